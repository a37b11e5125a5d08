import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from '../ports/page';
import type { UserRecord, UserStore } from '../ports/user-store';
import type { AccessTokens } from './access-tokens';
import { StempelError } from './errors';
import { decoyPasswordHash, hashPassword, verifyPassword } from './password-hash';
import { assertPasswordAcceptable } from './password-policy';
import type { Principal, Role } from './roles';

export interface LoginResult {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly mustChangePassword: boolean;
}

/** What an API caller may see of a user: never the password hash. */
export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly roles: readonly Role[];
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly createdAt: string;
}

export const toUserView = (u: UserRecord): UserView => ({
  id: u.id,
  username: u.username,
  roles: u.roles,
  mustChangePassword: u.mustChangePassword,
  disabled: u.disabled,
  createdAt: u.createdAt,
});

const badCredentials = () =>
  new StempelError('unauthenticated', 'invalid_credentials', 'The username or password is incorrect.');

/** Login, password changes and user administration. */
export class Identity {
  constructor(
    private readonly users: UserStore,
    private readonly tokens: Pick<AccessTokens, 'issue'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * One answer for an unknown user, a disabled user and a wrong password, and
   * one KDF run on every path, so neither the response nor its timing tells
   * which usernames exist.
   */
  async login(username: string, password: string): Promise<LoginResult> {
    const user = await this.users.getByUsername(username.toLowerCase());
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
    if (!user || !ok || user.disabled) throw badCredentials();
    const { token, expiresIn } = await this.tokens.issue(user.id);
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn,
      mustChangePassword: user.mustChangePassword,
    };
  }

  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.requireUser(principal.userId);
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      throw new StempelError('forbidden', 'invalid_current_password', 'The current password is incorrect.');
    }
    if (currentPassword === newPassword) {
      throw new StempelError(
        'invalid',
        'weak_password',
        'The new password must differ from the current one.',
        {
          errors: [{ path: 'newPassword', message: 'must differ from the current password' }],
        },
      );
    }
    assertPasswordAcceptable(newPassword, user.username);
    await this.users.setPassword(user.id, await hashPassword(newPassword), false, this.now().toISOString());
  }

  async me(principal: Principal): Promise<UserView> {
    return toUserView(await this.requireUser(principal.userId));
  }

  /**
   * Creates a user with a generated temporary password, returned once; the
   * user must replace it before doing anything else.
   */
  async createUser(input: {
    username: string;
    roles: readonly Role[];
  }): Promise<{ user: UserView; temporaryPassword: string }> {
    const temporaryPassword = generateTemporaryPassword();
    const user = await this.addUser(input.username, input.roles, temporaryPassword, true);
    return { user: toUserView(user), temporaryPassword };
  }

  /** Used by the bootstrap: the first admin, with a password chosen by the operator or generated. */
  async addUser(
    username: string,
    roles: readonly Role[],
    password: string,
    mustChangePassword: boolean,
  ): Promise<UserRecord> {
    const at = this.now().toISOString();
    const user: UserRecord = {
      id: randomUUID(),
      username: username.toLowerCase(),
      roles: [...new Set(roles)].sort(),
      passwordHash: await hashPassword(password),
      mustChangePassword,
      disabled: false,
      createdAt: at,
      updatedAt: at,
    };
    await this.users.create(user);
    return user;
  }

  async getUser(id: string): Promise<UserView> {
    return toUserView(await this.requireUser(id));
  }

  async listUsers(limit: number, cursor?: string): Promise<Page<UserView>> {
    const page = await this.users.list(limit, cursor);
    return { items: page.items.map(toUserView), nextCursor: page.nextCursor };
  }

  private async requireUser(id: string): Promise<UserRecord> {
    const user = await this.users.getById(id);
    if (!user) throw new StempelError('not_found', 'user_not_found', 'No such user.');
    return user;
  }
}

/** 24 random bytes in base64url: 192 bits, never in any common-password list. */
export const generateTemporaryPassword = (): string => randomBytes(24).toString('base64url');
