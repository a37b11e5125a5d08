/** `auditor`: reads the audit trail and its exports, nothing else. */
export const ROLES = ['admin', 'uploader', 'verifier', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The authenticated caller, as the authorizer saw it on this request: what it
 * read of the user's item (never a secret) and what the access token said.
 */
export interface Principal {
  readonly userId: string;
  /** Personal data: answered by GET /v1/me, never logged. */
  readonly username: string;
  readonly roles: readonly Role[];
  readonly mustChangePassword: boolean;
  readonly otpEnabled: boolean;
  /** When the user was created (ISO 8601). */
  readonly createdAt: string;
  /** Access-token id (jti), so logout can revoke exactly this token. */
  readonly tokenId: string;
  /** Epoch seconds at which the access token expires. */
  readonly tokenExpiresAt: number;
  /** The session (refresh-token family) the token belongs to. */
  readonly sessionId: string;
}

export const hasAnyRole = (principal: Principal, roles: readonly Role[]): boolean =>
  roles.some((role) => principal.roles.includes(role));
