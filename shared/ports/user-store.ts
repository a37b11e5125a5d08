import type { AuditEvent } from '../core/audit-event';
import type { Role } from '../core/roles';
import type { Page } from './page';
import type { Session } from './session-store';

export interface UserRecord {
  readonly id: string;
  /** Lower-case, unique. Personal data: never logged. */
  readonly username: string;
  readonly roles: readonly Role[];
  readonly passwordHash: string;
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** TOTP secret, encrypted (SecretBox); present once 2FA is confirmed. */
  readonly otpSecret?: string;
  /** TOTP secret being enrolled, encrypted, until confirmed. */
  readonly otpPendingSecret?: string;
  /** The time step of the last accepted code: codes at or before it are replays. */
  readonly otpLastStep?: number;
  /**
   * Moves on with every change that must end the user's sessions (password
   * change, disable). A session records the value it was started with, from
   * the same read that verified the password, and is valid only while the
   * user still has that value: a login that raced such a change is void.
   */
  readonly credentialVersion: number;
  /** The user's live sessions by id (SessionStore writes them). */
  readonly sessions: Readonly<Record<string, Session>>;
}

/** Fields an update may set; `null` removes the attribute. */
export type UserChanges = {
  readonly [K in
    | 'roles'
    | 'disabled'
    | 'otpSecret'
    | 'otpPendingSecret'
    | 'otpLastStep'
    | 'credentialVersion'
    | 'sessions']?: UserRecord[K] | null;
};

/**
 * Optimistic concurrency for administrative changes: the write happens only if
 * the user is unchanged since it was read, and moves the count of active
 * admins by `activeAdminDelta`, refusing (StempelError `last_admin`) to take it
 * below one.
 */
export interface AdminGuard {
  readonly expectedUpdatedAt: string;
  readonly activeAdminDelta: -1 | 0 | 1;
}

export interface UserStore {
  /** Throws StempelError `username_taken` (conflict) when the username exists. Counts an active admin. */
  /** `audit`: the creation's audit event, written in the same transaction. */
  create(user: UserRecord, audit?: AuditEvent): Promise<void>;
  getById(id: string): Promise<UserRecord | undefined>;
  getByUsername(username: string): Promise<UserRecord | undefined>;
  /** Users ordered by username, without password hash, TOTP secrets or sessions (the listing index holds none). */
  list(limit: number, cursor?: string): Promise<Page<UserRecord>>;
  /**
   * Sets the password and moves the credential version on from
   * `credentialVersion` (the value the caller verified), which ends every
   * session of the user but `keep` (the one that made the change, which is
   * bound to the new version in the same write). Throws StempelError
   * `concurrent_update` when the version moved meanwhile.
   */
  setPassword(
    id: string,
    passwordHash: string,
    mustChangePassword: boolean,
    updatedAt: string,
    credentialVersion: number,
    keep?: Session,
    /** The change's audit event, written in the same transaction. */
    audit?: AuditEvent,
  ): Promise<void>;
  /** Throws StempelError `user_not_found` when the user does not exist. */
  /** `audit`: the change's audit event, written in the same transaction. */
  update(
    id: string,
    changes: UserChanges,
    updatedAt: string,
    guard?: AdminGuard,
    audit?: AuditEvent,
  ): Promise<UserRecord>;
  /** Records an accepted TOTP step; false when that step (or a later one) was used already. */
  acceptOtpStep(id: string, step: number): Promise<boolean>;
  /** Deletes the user and frees the username. */
  delete(user: UserRecord, guard: AdminGuard, audit?: AuditEvent): Promise<void>;
}
