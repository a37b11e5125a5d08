import * as z from 'zod/mini';

/**
 * The live log channel (docs/live.md): one WebSocket protocol, served by an
 * API Gateway WebSocket API in AWS and by the local runtime at `/v1/live`.
 * Frames are JSON text. What it pushes is what the public log already shows
 * (checkpoints and entries), but only to a signed-in subscriber.
 */

/** Entries sent at most per catch-up: a browser further behind reads the list instead. */
export const LIVE_CATCH_UP_LIMIT = 100;

/** Client → server: (re)authenticate, and ask for what was sealed since `since` (a tree size). */
export const liveSubscribe = z.strictObject({
  action: z.literal('subscribe'),
  token: z.string().check(z.minLength(1), z.maxLength(4096)),
  since: z.optional(z.int().check(z.nonnegative())),
});
export type LiveSubscribe = z.infer<typeof liveSubscribe>;

export const liveEntry = z.object({
  index: z.int().check(z.nonnegative()),
  id: z.string(),
  sha256: z.string(),
  receivedAt: z.string(),
  kind: z.enum(['notarization', 'timestamp']),
});
export type LiveEntry = z.infer<typeof liveEntry>;

export const liveServerMessage = z.discriminatedUnion('type', [
  /** The subscription is accepted until the access token expires (seconds since the epoch). */
  z.object({ type: z.literal('subscribed'), expiresAt: z.int() }),
  /** The newest signed checkpoint (C2SP signed note) and what it commits to. */
  z.object({
    type: z.literal('checkpoint'),
    treeSize: z.int().check(z.nonnegative()),
    rootHash: z.string(),
    checkpoint: z.string(),
  }),
  /** Entries sealed into the log, in index order; on catch-up those from `since` on. */
  z.object({
    type: z.literal('sealed'),
    treeSize: z.int().check(z.nonnegative()),
    entries: z.array(liveEntry),
  }),
  /** A refused frame; `invalid_token` and `token_expired` are followed by a close (4401). */
  z.object({
    type: z.literal('error'),
    code: z.enum(['invalid_message', 'invalid_token', 'token_expired']),
    detail: z.string(),
  }),
]);
export type LiveServerMessage = z.infer<typeof liveServerMessage>;

/** Close code after an authentication failure (4000–4999 are the application's). */
export const LIVE_CLOSE_UNAUTHORIZED = 4401;
