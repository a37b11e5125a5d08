import type { AuditEvent } from '../core/audit-event';

/**
 * A refresh-token family: created at login, rotated on every refresh, ended
 * as a whole. Kept inside its user's record (see UserRecord.sessions), so
 * that one read of the user tells the authorizer everything: roles, disabled,
 * credential version and the session itself. An ended session is gone.
 */
export interface Session {
  readonly id: string;
  readonly userId: string;
  /** SHA-256 (hex) of the only refresh token of this family that may still be used. */
  readonly currentTokenHash: string;
  /** Epoch milliseconds: when the password was entered to start it. */
  readonly createdAt: number;
  /** Epoch seconds. */
  readonly idleExpiresAt: number;
  /** Epoch seconds. */
  readonly absoluteExpiresAt: number;
  /**
   * The user's credential version that was verified to start this session (or
   * that this session itself set by changing the password). The session and
   * its access tokens are void once the user's version differs.
   */
  readonly credentialVersion: number;
}

/** `stale`: the family moved on (another refresh won); `gone`: the session ended meanwhile. */
export type RotationOutcome = 'rotated' | 'stale' | 'gone';

/** Each change may carry its audit event (`audit`), written in the same transaction. */
export interface SessionStore {
  /**
   * Adds the session to its user, only while the user exists, is enabled and
   * still has `session.credentialVersion` (a password change or disable that
   * landed since the password was checked makes this false and writes
   * nothing). Forgets the sessions `forget` (expired ones) in the same write.
   */
  create(session: Session, forget: readonly string[], audit?: AuditEvent): Promise<boolean>;
  /**
   * Swaps the current token hash for `newHash`, only if it is still the one
   * `session` was read with, and remembers the old one as spent (until the
   * session ends), in one write.
   */
  rotate(
    session: Session,
    newHash: string,
    idleExpiresAt: number,
    audit?: AuditEvent,
  ): Promise<RotationOutcome>;
  /** Whether `tokenHash` was a refresh token of this family that has been spent. */
  wasSpent(id: string, tokenHash: string): Promise<boolean>;
  /** Ends the session (and with it every access token it issued). */
  revoke(userId: string, id: string, audit?: AuditEvent): Promise<void>;
}
