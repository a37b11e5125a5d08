import type { UserStore } from '../ports/user-store';
import type { AccessTokens } from './access-tokens';
import { StempelError } from './errors';
import type { Principal } from './roles';
import { toUserView } from './user-view';

export interface AuthorizerDeps {
  readonly users: Pick<UserStore, 'getById'>;
  readonly tokens: Pick<AccessTokens, 'verify'>;
  readonly now?: () => Date;
}

/**
 * The REST API authorizer's decision for a bearer token: the caller, or
 * undefined. Kept apart from login and refresh so that the authorizer
 * function carries no password hashing, TOTP or password policy.
 *
 * One consistent read per request: the user's item holds its roles, its
 * disabled flag, its credential version and its live sessions, and every
 * action that revokes access (logout, password change, disable, role change)
 * writes that item, so each takes effect at the next request. Logout removes
 * the session, which ends every access token it issued; no per-token
 * deny-list is needed. The principal carries what GET /v1/me answers (no
 * secret), so that route reads nothing more.
 */
export class Authorizer {
  private readonly now: () => Date;

  constructor(private readonly deps: AuthorizerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async authorize(header: string | undefined): Promise<Principal | undefined> {
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header?.trim() ?? '');
    if (!match?.[1]) return undefined;
    let claims: Awaited<ReturnType<AccessTokens['verify']>>;
    try {
      claims = await this.deps.tokens.verify(match[1]);
    } catch (err) {
      if (err instanceof StempelError) return undefined;
      throw err;
    }
    const user = await this.deps.users.getById(claims.userId);
    const session = user?.sessions[claims.sessionId];
    if (!user || user.disabled || !session) return undefined;
    // Access tokens outlive the refresh token's idle window by design (≤ their own TTL), not its absolute end.
    const nowS = Math.floor(this.now().getTime() / 1000);
    if (nowS >= session.absoluteExpiresAt || session.credentialVersion !== user.credentialVersion) {
      return undefined;
    }
    const { id, username, roles, mustChangePassword, otpEnabled, createdAt } = toUserView(user);
    return {
      userId: id,
      username,
      roles,
      mustChangePassword,
      otpEnabled,
      createdAt,
      tokenId: claims.tokenId,
      tokenExpiresAt: claims.expiresAt,
      sessionId: claims.sessionId,
    };
  }
}
