/**
 * The ECDSA key of the time-stamp authority (RFC 3161) and its certificate
 * chain. The private half may never leave its home (KMS in AWS, the data
 * directory locally).
 */
export interface TsaSigner {
  /** ES256: P-256 with SHA-256; ES384: P-384 with SHA-384. */
  readonly algorithm: 'ES256' | 'ES384';
  /** DER ECDSA-Sig-Value over the SHA-256 (ES256) or SHA-384 (ES384) of `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * DER certificates, the TSA's own first (its key is the one `sign` uses,
   * with a critical extendedKeyUsage of id-kp-timeStamping only), then its
   * issuers. The root may be omitted.
   */
  certificateChain(): Promise<Uint8Array[]>;
}
