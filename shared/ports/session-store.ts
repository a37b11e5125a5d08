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
  /** Epoch milliseconds of the last password re-entry in this session (a password change, which it outlives). */
  readonly reauthenticatedAt?: number;
}

/** When a session (and its access tokens) last proved the password. */
export const sessionAuthenticatedAt = (s: Session) => Math.max(s.createdAt, s.reauthenticatedAt ?? 0);

export type RotationOutcome = 'rotated' | 'stale';

export interface SessionStore {
  create(session: Session): Promise<void>;
  get(id: string): Promise<Session | undefined>;
  /** Swaps the current token hash, only if it is still `expectedHash` and the family is not revoked. */
  rotate(id: string, expectedHash: string, newHash: string, idleExpiresAt: number): Promise<RotationOutcome>;
  revoke(id: string): Promise<void>;
  markReauthenticated(id: string, at: number): Promise<void>;
  /** Deny-lists one access token until it would have expired anyway. */
  revokeAccessToken(tokenId: string, expiresAt: number): Promise<void>;
  isAccessTokenRevoked(tokenId: string): Promise<boolean>;
}
