import { z } from 'zod';

/** Runtime configuration; validated wherever it is loaded from. No secrets here. */
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
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
});

export type Settings = z.infer<typeof settingsSchema>;
