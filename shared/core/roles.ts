export const ROLES = ['admin', 'uploader', 'verifier'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, as the authorizer saw it on this request. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly mustChangePassword: boolean;
  /** Token id, so later features (logout) can revoke exactly this token. */
  readonly tokenId: string;
}

export const hasAnyRole = (principal: Principal, roles: readonly Role[]): boolean =>
  roles.some((role) => principal.roles.includes(role));
