import type { SessionStore } from '../ports/session-store';
import type { UserStore } from '../ports/user-store';
import type { AccessTokens } from './access-tokens';
import { StempelError } from './errors';
import type { Principal } from './roles';

export interface AuthorizerDeps {
  readonly users: Pick<UserStore, 'getById'>;
  readonly sessions: Pick<SessionStore, 'get'>;
  readonly tokens: Pick<AccessTokens, 'verify'>;
  readonly now?: () => Date;
}

/**
 * The REST API authorizer's decision for a bearer token: the caller, or
 * undefined. Kept apart from login and refresh so that the authorizer
 * function carries no password hashing, TOTP or password policy.
 *
 * Reads the user and the session on every request (in parallel), so role
 * changes, disabling, password changes and logout apply at once. Logout
 * revokes the session, which ends every access token it issued; no
 * per-token deny-list is needed.
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
    const [user, session] = await Promise.all([
      this.deps.users.getById(claims.userId),
      this.deps.sessions.get(claims.sessionId),
    ]);
    const nowS = Math.floor(this.now().getTime() / 1000);
    if (!user || user.disabled) return undefined;
    if (!session || session.revoked || session.userId !== user.id || nowS >= session.absoluteExpiresAt) {
      return undefined;
    }
    // A disable or a password change moves the version on: every session but the changer's is void.
    if (session.credentialVersion !== user.credentialVersion) return undefined;
    return {
      userId: user.id,
      roles: user.roles,
      mustChangePassword: user.mustChangePassword,
      tokenId: claims.tokenId,
      tokenExpiresAt: claims.expiresAt,
      sessionId: claims.sessionId,
    };
  }
}
