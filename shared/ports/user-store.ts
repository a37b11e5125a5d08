import type { Role } from '../core/roles';
import type { Page } from './page';

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
}

export interface UserStore {
  /** Throws StempelError `username_taken` (conflict) when the username exists. */
  create(user: UserRecord): Promise<void>;
  getById(id: string): Promise<UserRecord | undefined>;
  getByUsername(username: string): Promise<UserRecord | undefined>;
  /** Users ordered by username. */
  list(limit: number, cursor?: string): Promise<Page<UserRecord>>;
  setPassword(
    id: string,
    passwordHash: string,
    mustChangePassword: boolean,
    updatedAt: string,
  ): Promise<void>;
}
