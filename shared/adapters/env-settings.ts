import { type Settings, settingsSchema } from '../core/settings';
import type { SettingsSource } from '../ports/settings-source';

/** Local configuration from environment variables (and `.env`, which bin/local.ts loads). */
export class EnvSettings implements SettingsSource {
  private readonly settings: Settings;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const int = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
    this.settings = settingsSchema.parse({
      issuer: env.STEMPEL_TOKEN_ISSUER || undefined,
      audience: env.STEMPEL_TOKEN_AUDIENCE || undefined,
      accessTokenTtlSeconds: int(env.STEMPEL_ACCESS_TOKEN_TTL_SECONDS),
      maxBodyBytes: int(env.STEMPEL_MAX_BODY_BYTES),
      logOrigin: env.STEMPEL_LOG_ORIGIN || undefined,
      auditLogOrigin: env.STEMPEL_AUDIT_LOG_ORIGIN || undefined,
      sessionIdleSeconds: int(env.STEMPEL_SESSION_IDLE_SECONDS),
      sessionMaxSeconds: int(env.STEMPEL_SESSION_MAX_SECONDS),
      lockoutThreshold: int(env.STEMPEL_LOCKOUT_THRESHOLD),
      lockoutUsernameThreshold: int(env.STEMPEL_LOCKOUT_USERNAME_THRESHOLD),
      lockoutBaseSeconds: int(env.STEMPEL_LOCKOUT_BASE_SECONDS),
      lockoutMaxSeconds: int(env.STEMPEL_LOCKOUT_MAX_SECONDS),
      maxIntegrationLagSeconds: int(env.STEMPEL_MAX_INTEGRATION_LAG_SECONDS),
      maxUploadBytes: int(env.STEMPEL_MAX_UPLOAD_BYTES),
      multipartThresholdBytes: int(env.STEMPEL_MULTIPART_THRESHOLD_BYTES),
      uploadExpirySeconds: int(env.STEMPEL_UPLOAD_EXPIRY_SECONDS),
      downloadUrlSeconds: int(env.STEMPEL_DOWNLOAD_URL_SECONDS),
      maxSealDelaySeconds: int(env.STEMPEL_MAX_SEAL_DELAY_SECONDS),
      maxClockSkewSeconds: int(env.STEMPEL_MAX_CLOCK_SKEW_SECONDS),
      tsaPolicyOid: env.STEMPEL_TSA_POLICY_OID || undefined,
      tsaAccuracyMillis: int(env.STEMPEL_TSA_ACCURACY_MILLIS),
      externalTsas: externalTsas(env.STEMPEL_EXTERNAL_TSAS),
      anchorIntervalSeconds: int(env.STEMPEL_ANCHOR_INTERVAL_SECONDS),
    });
  }

  async load(): Promise<Settings> {
    return this.settings;
  }
}

/** `name=url,name=url` (a URL has no comma), so one variable lists them all. */
function externalTsas(value: string | undefined) {
  if (!value) return undefined;
  return value.split(',').map((pair) => {
    const at = pair.indexOf('=');
    return { name: pair.slice(0, at).trim(), url: pair.slice(at + 1).trim() };
  });
}
