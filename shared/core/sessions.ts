import type { Session } from '../ports/session-store';

/** At most this many live sessions per user; logging in again ends the oldest beyond it. */
export const MAX_SESSIONS_PER_USER = 20;

/** Whether a session can still be refreshed: before both deadlines, and bound to the user's current credentials. */
export const isLive = (s: Session, credentialVersion: number, nowS: number) =>
  nowS < s.idleExpiresAt && nowS < s.absoluteExpiresAt && s.credentialVersion === credentialVersion;
