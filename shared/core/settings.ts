import * as z from 'zod/mini';

/**
 * Runtime configuration; validated wherever it is loaded from. No secrets here.
 * Written with zod/mini: the authorizer and the integrator load settings but
 * validate nothing else, and should not carry the whole of zod for it.
 */

/** No session outlives this, whatever the configuration says. */
export const SESSION_HARD_MAX_SECONDS = 30 * 24 * 3600;

const integer = (min: number, max: number, fallback: number) =>
  z._default(z.int().check(z.minimum(min), z.maximum(max)), fallback);

export const settingsSchema = z.object({
  /** JWT `iss` and `aud`. */
  issuer: z._default(z.string().check(z.minLength(1)), 'stempel'),
  audience: z._default(z.string().check(z.minLength(1)), 'stempel-api'),
  accessTokenTtlSeconds: integer(60, 3600, 900),
  /** The log's origin line in checkpoints and the name of its verifier key. */
  logOrigin: z._default(
    z
      .string()
      .check(z.regex(/^[A-Za-z0-9._~:/-]{1,128}$/, 'an origin like example.com/log, without spaces or "+"')),
    'stempel.local/notarizations',
  ),
  /** The audit log's origin line and key name (docs/audit.md). */
  auditLogOrigin: z._default(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9._~:/-]{1,128}$/, 'an origin like example.com/audit, without spaces or "+"'),
      ),
    'stempel.local/audit',
  ),
  /** A session (refresh-token family) ends after this long unused… */
  sessionIdleSeconds: integer(300, SESSION_HARD_MAX_SECONDS, 8 * 3600),
  /** …and after this long in any case (absolute lifetime). */
  sessionMaxSeconds: integer(300, SESSION_HARD_MAX_SECONDS, 7 * 24 * 3600),
  /** Failed logins in a row from one source network before the username (existing or not) is locked for it. */
  lockoutThreshold: integer(3, 20, 5),
  /**
   * Failed logins in a row from all sources together before the username is
   * locked for everyone: high, so that one attacker cannot lock a user out,
   * yet a bound on guesses spread over many networks.
   */
  lockoutUsernameThreshold: integer(5, 10_000, 50),
  /** First lockout; each further failure doubles it, up to lockoutMaxSeconds. */
  lockoutBaseSeconds: integer(1, 3600, 30),
  lockoutMaxSeconds: integer(1, 86_400, 900),
  /** New notarizations are refused (503) while the oldest unsealed one is older than this. */
  maxIntegrationLagSeconds: integer(10, 86_400, 120),
  /** Largest document an upload may declare (S3 takes up to 5 TiB). */
  maxUploadBytes: integer(1, 5 * 2 ** 40, 5 * 2 ** 30),
  /** Uploads of this size or more go in parts (S3's smallest part is 5 MiB). */
  multipartThresholdBytes: integer(5 * 2 ** 20, 5 * 2 ** 30, 100 * 2 ** 20),
  /** How long an upload's presigned URLs, and the upload itself, stay usable. */
  uploadExpirySeconds: integer(60, 7 * 86_400, 3600),
  /** How long a download link stays valid. */
  downloadUrlSeconds: integer(30, 3600, 300),
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: integer(1024, 1_048_576, 16_384),
  /**
   * The integrator quarantines, rather than seals, a notarization recorded
   * more than this long ago (or in the future by more than the clock skew
   * below): a row written behind the API's back cannot buy a past date.
   */
  maxSealDelaySeconds: integer(60, 7 * 86_400, 86_400),
  /** How far in the future a recorded time may be before it is quarantined (clock skew between functions). */
  maxClockSkewSeconds: integer(0, 300, 5),
  /**
   * The TSA policy OID of every token (RFC 3161 TSTInfo.policy). The default
   * is a UUID OID (ITU-T X.667, arc 2.25), which needs no registration; an
   * operator with its own arc sets its own.
   */
  tsaPolicyOid: z._default(
    z.string().check(z.regex(/^[0-2](\.(0|[1-9][0-9]*)){1,40}$/, 'a dotted OID such as 1.3.6.1.4.1.99999.1')),
    '2.25.166997583374799921756625760470347785849',
  ),
  /** TSTInfo.accuracy in milliseconds: how far genTime may be from UTC (README, "Honest time"). */
  tsaAccuracyMillis: integer(1, 60_000, 1000),
  /**
   * External RFC 3161 TSAs that time-stamp the log's checkpoints, so the log's
   * time does not rest on Stempel's clock alone. Empty: no anchoring.
   */
  externalTsas: z._default(
    z.array(
      z.strictObject({
        /** Short name, used in metrics and stored with each anchor. */
        name: z.string().check(z.regex(/^[a-z0-9-]{1,32}$/, 'lower-case letters, digits and -')),
        /** HTTPS endpoint (http is allowed only for loopback addresses, for tests). */
        url: z.url(),
      }),
    ),
    [],
  ),
  /**
   * Anchor the latest checkpoint once the log has grown and this long has
   * passed since the last anchor: a receipt's external time bound is at most
   * about this (plus the integration lag) after the notarization.
   */
  anchorIntervalSeconds: integer(60, 86_400, 600),
});

export type Settings = z.infer<typeof settingsSchema>;
