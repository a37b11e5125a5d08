import { z } from 'zod';

/** Runtime configuration; validated wherever it is loaded from. No secrets here. */
/** No session outlives this, whatever the configuration says. */
export const SESSION_HARD_MAX_SECONDS = 30 * 24 * 3600;

export const settingsSchema = z.object({
  /** JWT `iss` and `aud`. */
  issuer: z.string().min(1).default('stempel'),
  audience: z.string().min(1).default('stempel-api'),
  accessTokenTtlSeconds: z.number().int().min(60).max(3600).default(900),
  /** The log's origin line in checkpoints and the name of its verifier key. */
  logOrigin: z
    .string()
    .regex(/^[A-Za-z0-9._~:/-]{1,128}$/, 'an origin like example.com/log, without spaces or "+"')
    .default('stempel.local/notarizations'),
  /** A session (refresh-token family) ends after this long unused… */
  sessionIdleSeconds: z
    .number()
    .int()
    .min(300)
    .max(SESSION_HARD_MAX_SECONDS)
    .default(8 * 3600),
  /** …and after this long in any case (absolute lifetime). */
  sessionMaxSeconds: z
    .number()
    .int()
    .min(300)
    .max(SESSION_HARD_MAX_SECONDS)
    .default(7 * 24 * 3600),
  /** Failed logins in a row from one source network before the username (existing or not) is locked for it. */
  lockoutThreshold: z.number().int().min(3).max(20).default(5),
  /**
   * Failed logins in a row from all sources together before the username is
   * locked for everyone: high, so that one attacker cannot lock a user out,
   * yet a bound on guesses spread over many networks.
   */
  lockoutUsernameThreshold: z.number().int().min(5).max(10_000).default(50),
  /** First lockout; each further failure doubles it, up to lockoutMaxSeconds. */
  lockoutBaseSeconds: z.number().int().min(1).max(3600).default(30),
  lockoutMaxSeconds: z.number().int().min(1).max(86_400).default(900),
  /** New notarizations are refused (503) while the oldest unsealed one is older than this. */
  maxIntegrationLagSeconds: z.number().int().min(10).max(86_400).default(120),
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
});

export type Settings = z.infer<typeof settingsSchema>;
