/**
 * The environment variables through which a deployment (the CDK stack, or the
 * local runtime) tells the functions where their resources are. Table and
 * bucket names use the variables named in shared/tables.ts.
 */
export const ENV = {
  /** SSM parameter (String, JSON) holding the runtime settings. Unset locally: settings come from the environment. */
  settingsParameter: 'STEMPEL_SETTINGS_PARAMETER',
  /** KMS key (ECC_NIST_EDWARDS25519, SIGN_VERIFY) that signs access tokens. Unset locally. */
  tokenKeyId: 'STEMPEL_TOKEN_KMS_KEY_ID',
  /** KMS key (ECC_NIST_EDWARDS25519, SIGN_VERIFY) that signs log checkpoints. Unset locally. */
  logKeyId: 'STEMPEL_LOG_KMS_KEY_ID',
  /** KMS key (ECC_NIST_EDWARDS25519, SIGN_VERIFY) that signs audit log checkpoints. Unset locally. */
  auditKeyId: 'STEMPEL_AUDIT_KMS_KEY_ID',
  /** KMS data key that wraps secrets at rest (TOTP seeds, owner file keys). Unset locally. */
  dataKeyId: 'STEMPEL_DATA_KMS_KEY_ID',
  /** KMS key (HMAC_256, GENERATE_VERIFY_MAC) that signs pagination cursors. Unset locally. */
  cursorKeyId: 'STEMPEL_CURSOR_KMS_KEY_ID',
  /** KMS key (ECC_NIST_P256 or ECC_NIST_P384, SIGN_VERIFY) of the RFC 3161 time-stamp authority. Unset locally. */
  tsaKeyId: 'STEMPEL_TSA_KMS_KEY_ID',
  /** ES256 (P-256) or ES384 (P-384): the TSA key's algorithm. Unset locally (P-256). */
  tsaKeyAlgorithm: 'STEMPEL_TSA_KEY_ALGORITHM',
  /** SSM parameter (String) holding the TSA certificate chain as PEM, TSA certificate first. Unset locally. */
  tsaChainParameter: 'STEMPEL_TSA_CHAIN_PARAMETER',
  /** Local data directory: key files live here when no KMS key is configured. */
  dataDir: 'STEMPEL_DATA_DIR',
  /** The SQS queue of webhook deliveries. Unset locally: an in-process queue stands in. */
  webhookQueueUrl: 'STEMPEL_WEBHOOK_QUEUE_URL',
  /**
   * Tests and the local runtime only, never set by the CDK stack: comma-separated
   * non-public addresses (such as 127.0.0.1) that webhooks may be registered and delivered to anyway.
   */
  webhooksTestAllowAddresses: 'STEMPEL_WEBHOOKS_TEST_ALLOW_ADDRESSES',
  /** Tests only, never set by the CDK stack: a PEM file of one more CA that webhook deliveries trust. */
  webhooksTestCaFile: 'STEMPEL_WEBHOOKS_TEST_CA_FILE',
  /** The live channel's @connections endpoint (https://<api>.execute-api.<region>.amazonaws.com/<stage>). Unset locally. */
  liveConnectionsEndpoint: 'STEMPEL_LIVE_CONNECTIONS_ENDPOINT',
  /** The live-push function the integrator invokes after each seal. Unset locally: the runtime pushes in process. */
  livePushFunction: 'STEMPEL_LIVE_PUSH_FUNCTION',
  /** Comma-separated browser origins allowed by CORS. */
  corsOrigins: 'STEMPEL_CORS_ORIGINS',
  /**
   * `true` only where the regional WAF in front of every API stage blocks any
   * request that carries the viewer address header without the console
   * distribution's origin secret (lib/waf.ts): then that header is the
   * client's address (shared/http/client-address.ts). Unset locally.
   */
  viewerAddressTrusted: 'STEMPEL_VIEWER_ADDRESS_TRUSTED',
} as const;
