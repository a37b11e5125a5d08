import { randomBytes, randomUUID } from 'node:crypto';
import type { LoginAttempts } from '../ports/login-attempts';
import type { Page } from '../ports/page';
import type { AdminGuard, UserChanges, UserRecord, UserStore } from '../ports/user-store';
import type { AuditEvent, AuditFor } from './audit-event';
import type { Cursors } from './cursors';
import { StempelError } from './errors';
import { hashPassword } from './password-hash';
import type { Principal, Role } from './roles';
import { toUserView, type UserView } from './user-view';

const isActiveAdmin = (u: Pick<UserRecord, 'roles' | 'disabled'>) => u.roles.includes('admin') && !u.disabled;

/** User administration. A user's own view (GET /v1/me) needs no store: see `ownView`. */

export class Identity {
  constructor(
    private readonly users: UserStore,
    private readonly attempts: Pick<LoginAttempts, 'clearAll'>,
    private readonly cursors: Cursors,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates a user with a generated temporary password, returned once; the
   * user must replace it before doing anything else.
   */
  /** `audit` gives the creation's audit event for the new user's id, written with the user. */
  async createUser(
    input: { username: string; roles: readonly Role[] },
    audit?: (userId: string) => AuditEvent | undefined,
  ) {
    const temporaryPassword = generateTemporaryPassword();
    const user = await this.addUser(input.username, input.roles, temporaryPassword, true, audit);
    return { user: toUserView(user), temporaryPassword };
  }

  /** Used by the bootstrap: the first admin, with a password chosen by the operator or generated. */
  async addUser(
    username: string,
    roles: readonly Role[],
    password: string,
    mustChangePassword: boolean,
    audit?: (userId: string) => AuditEvent | undefined,
  ) {
    const at = this.now().toISOString();
    const user: UserRecord = {
      id: randomUUID(),
      username: username.toLowerCase(),
      roles: [...new Set(roles)].sort(),
      passwordHash: await hashPassword(password),
      mustChangePassword,
      disabled: false,
      credentialVersion: 0,
      sessions: {},
      createdAt: at,
      updatedAt: at,
    };
    await this.users.create(user, audit?.(user.id));
    return user;
  }

  async getUser(id: string): Promise<UserView> {
    return toUserView(await this.requireUser(id));
  }

  async listUsers(principal: Principal, limit: number, cursor?: string): Promise<Page<UserView>> {
    const binding = { listing: 'users', caller: principal.userId };
    const page = await this.users.list(limit, await this.cursors.open(cursor, binding));
    return this.cursors.sealPage({ ...page, items: page.items.map(toUserView) }, binding);
  }

  /** Whether any user exists (the bootstrap creates the first admin only into an empty table). */
  async hasUsers(): Promise<boolean> {
    return (await this.users.list(1)).items.length > 0;
  }

  async setRoles(id: string, roles: readonly Role[], audit?: AuditFor): Promise<UserView> {
    const next = [...new Set(roles)].sort();
    return this.change(
      id,
      () => ({ roles: next }),
      (u) => ({ ...u, roles: next }),
      audit,
    );
  }

  /**
   * Disabling also ends every session and access token the user holds, and
   * voids a login that verified the password before it (the credential version moves on).
   */
  async setDisabled(id: string, disabled: boolean, audit?: AuditFor): Promise<UserView> {
    return this.change(
      id,
      (u) =>
        disabled ? { disabled, credentialVersion: u.credentialVersion + 1, sessions: {} } : { disabled },
      (u) => ({ ...u, disabled }),
      audit,
    );
  }

  async resetOtp(id: string, audit?: AuditFor): Promise<UserView> {
    return this.change(
      id,
      () => ({ otpSecret: null, otpPendingSecret: null, otpLastStep: null }),
      (u) => u,
      audit,
      (u) => ({ otp: { from: u.otpSecret !== undefined, to: false } }),
    );
  }

  /** Lifts every login lockout on the user's name (from every source). */
  async unlock(id: string, audit?: AuditFor): Promise<void> {
    const user = await this.requireUser(id);
    await this.attempts.clearAll(user.username, audit?.());
  }

  async deleteUser(id: string, audit?: AuditFor): Promise<void> {
    const user = await this.requireUser(id);
    // Whether 2FA went with the user: the 2FA adoption figure (core/kpis.ts) reads it.
    const changes = { otp: { from: user.otpSecret !== undefined, to: false } };
    await this.users.delete(user, guardFor(user, { ...user, disabled: true }), audit?.({ changes }));
  }

  /**
   * Changes the user as read: the guard makes the write fail if anything
   * changed meanwhile. The audit event, if any, carries the exact from/to of
   * roles and `disabled` and is written in the same transaction.
   */
  private async change(
    id: string,
    changes: (u: UserRecord) => UserChanges,
    after: (u: UserRecord) => Pick<UserRecord, 'roles' | 'disabled'>,
    audit?: AuditFor,
    /** Changes of fields the diff of roles and `disabled` does not see. */
    more: (u: UserRecord) => Record<string, { from: unknown; to: unknown }> = () => ({}),
  ): Promise<UserView> {
    const user = await this.requireUser(id);
    const next = after(user);
    const diff = {
      ...more(user),
      ...(String(user.roles) === String(next.roles) ? {} : { roles: { from: user.roles, to: next.roles } }),
      ...(user.disabled === next.disabled ? {} : { disabled: { from: user.disabled, to: next.disabled } }),
    };
    return toUserView(
      await this.users.update(
        id,
        changes(user),
        this.now().toISOString(),
        guardFor(user, next),
        audit?.(Object.keys(diff).length > 0 ? { changes: diff } : {}),
      ),
    );
  }

  private async requireUser(id: string): Promise<UserRecord> {
    const user = await this.users.getById(id);
    if (!user) throw new StempelError('not_found', 'user_not_found', 'No such user.');
    return user;
  }
}

/** The change must find the user as read, and keeps at least one active admin (enforced by the store). */
const guardFor = (before: UserRecord, after: Pick<UserRecord, 'roles' | 'disabled'>): AdminGuard => ({
  expectedUpdatedAt: before.updatedAt,
  activeAdminDelta: ((isActiveAdmin(after) ? 1 : 0) -
    (isActiveAdmin(before) ? 1 : 0)) as AdminGuard['activeAdminDelta'],
});

/** 24 random bytes in base64url: 192 bits, never in any common-password list. */
export const generateTemporaryPassword = (): string => randomBytes(24).toString('base64url');
