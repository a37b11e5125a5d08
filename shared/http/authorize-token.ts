import type { AccessTokens } from '../core/access-tokens';
import { StempelError } from '../core/errors';
import type { Principal } from '../core/roles';
import type { UserStore } from '../ports/user-store';
import { logger } from './observability';

/**
 * Turns an Authorization header value into the caller, or undefined when the
 * request must be refused. The user is read on every request so that current
 * roles, disabling and the forced password change apply at once.
 */
export async function authorize(
  header: string | undefined,
  tokens: AccessTokens,
  users: UserStore,
): Promise<Principal | undefined> {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return undefined;
  try {
    const claims = await tokens.verify(match[1]);
    const user = await users.getById(claims.userId);
    if (!user || user.disabled) return undefined;
    return {
      userId: user.id,
      roles: user.roles,
      mustChangePassword: user.mustChangePassword,
      tokenId: claims.tokenId,
    };
  } catch (err) {
    if (err instanceof StempelError) {
      logger.info('token refused', { reason: err.code });
      return undefined;
    }
    throw err;
  }
}
