export const ROLES = ['admin', 'uploader', 'verifier'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, as the authorizer saw it on this request. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly mustChangePassword: boolean;
  /** Access-token id (jti), so logout can revoke exactly this token. */
  readonly tokenId: string;
  /** Epoch seconds at which the access token expires. */
  readonly tokenExpiresAt: number;
  /** The session (refresh-token family) the token belongs to. */
  readonly sessionId: string;
}

export const hasAnyRole = (principal: Principal, roles: readonly Role[]): boolean =>
  roles.some((role) => principal.roles.includes(role));
