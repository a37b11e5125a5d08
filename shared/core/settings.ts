import { z } from 'zod';

/** Runtime configuration; validated wherever it is loaded from. No secrets here. */
export const settingsSchema = z.object({
  /** JWT `iss` and `aud`. */
  issuer: z.string().min(1).default('stempel'),
  audience: z.string().min(1).default('stempel-api'),
  accessTokenTtlSeconds: z.number().int().min(60).max(3600).default(900),
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
});

export type Settings = z.infer<typeof settingsSchema>;
