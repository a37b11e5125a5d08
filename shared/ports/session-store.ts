/** A refresh-token family: created at login, rotated on every refresh, revoked as a whole. */
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
  readonly revoked: boolean;
  /**
   * The user's credential version that was verified to start this session (or
   * that this session itself set by changing the password). The session and
   * its access tokens are void once the user's version differs.
   */
  readonly credentialVersion: number;
}

export type RotationOutcome = 'rotated' | 'stale';

export interface SessionStore {
  create(session: Session): Promise<void>;
  get(id: string): Promise<Session | undefined>;
  /**
   * Swaps the current token hash for `newHash`, only if it is still the one
   * `session` was read with and the family is not revoked, and remembers the
   * old one as spent (until the session ends), in one write.
   */
  rotate(session: Session, newHash: string, idleExpiresAt: number): Promise<RotationOutcome>;
  /** Whether `tokenHash` was a refresh token of this family that has been spent. */
  wasSpent(id: string, tokenHash: string): Promise<boolean>;
  revoke(id: string): Promise<void>;
  /** Binds the session to a new credential version (the password change it made); false if it is gone or revoked. */
  rebind(id: string, credentialVersion: number): Promise<boolean>;
}
