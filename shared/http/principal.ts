import { type Principal, ROLES, type Role } from '../core/roles';

/**
 * The authorizer's context travels through API Gateway as flat strings; these
 * two functions are the only place that knows that encoding. It carries the
 * username (personal data): pass it on, never log it.
 */
export type AuthorizerContext = Record<
  | 'userId'
  | 'username'
  | 'roles'
  | 'mustChangePassword'
  | 'otpEnabled'
  | 'createdAt'
  | 'tokenId'
  | 'tokenExpiresAt'
  | 'sessionId',
  string
>;

export const toAuthorizerContext = (p: Principal): AuthorizerContext => ({
  userId: p.userId,
  username: p.username,
  roles: p.roles.join(','),
  mustChangePassword: String(p.mustChangePassword),
  otpEnabled: String(p.otpEnabled),
  createdAt: p.createdAt,
  tokenId: p.tokenId,
  tokenExpiresAt: String(p.tokenExpiresAt),
  sessionId: p.sessionId,
});

export const fromAuthorizerContext = (
  ctx: Record<string, unknown> | null | undefined,
): Principal | undefined => {
  if (
    !ctx ||
    typeof ctx.userId !== 'string' ||
    typeof ctx.username !== 'string' ||
    typeof ctx.createdAt !== 'string' ||
    typeof ctx.tokenId !== 'string' ||
    typeof ctx.sessionId !== 'string'
  ) {
    return undefined;
  }
  const roles = String(ctx.roles ?? '')
    .split(',')
    .filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  return {
    userId: ctx.userId,
    username: ctx.username,
    roles,
    mustChangePassword: String(ctx.mustChangePassword) === 'true',
    otpEnabled: String(ctx.otpEnabled) === 'true',
    createdAt: ctx.createdAt,
    tokenId: ctx.tokenId,
    tokenExpiresAt: Number(ctx.tokenExpiresAt),
    sessionId: ctx.sessionId,
  };
};
