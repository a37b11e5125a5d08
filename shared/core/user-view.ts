import type { UserRecord } from '../ports/user-store';
import type { Principal, Role } from './roles';

/** What an API caller may see of a user: never the password hash or OTP secret. */
export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly roles: readonly Role[];
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly otpEnabled: boolean;
  readonly createdAt: string;
}

export const toUserView = (u: UserRecord): UserView => ({
  id: u.id,
  username: u.username,
  roles: u.roles,
  mustChangePassword: u.mustChangePassword,
  disabled: u.disabled,
  otpEnabled: u.otpSecret !== undefined,
  createdAt: u.createdAt,
});

/**
 * The caller's own view (GET /v1/me), from the user's item as the authorizer
 * read it on this request: no second read. The authorizer admits no disabled user.
 */
export const ownView = (p: Principal): UserView => ({
  id: p.userId,
  username: p.username,
  roles: p.roles,
  mustChangePassword: p.mustChangePassword,
  disabled: false,
  otpEnabled: p.otpEnabled,
  createdAt: p.createdAt,
});
