import type { AuditEvent } from '../core/audit-event';

/** The outcome of claiming a login attempt. */
export type AttemptClaim =
  | { readonly allowed: true; readonly locked: boolean }
  | { readonly allowed: false; readonly retryAfterMs: number };

export interface LockoutPolicy {
  /** The attempt with this count (and every later one) locks the counter as it starts. */
  readonly threshold: number;
  /** How long (ms) the attempt with this count locks it. */
  lockMs(attempts: number): number;
}

/**
 * Failed-login counters of a username, kept whether or not the account
 * exists: one per source (`scope`, a client network) and one for the
 * username as a whole (`scope` ''), each with its own policy. An attempt is
 * counted *before* the password is checked, and the lock is set as the
 * attempt that reaches the threshold starts (`locked`), so a burst of
 * parallel guesses cannot slip past it while the KDF runs.
 */
export interface LoginAttempts {
  claim(username: string, scope: string, now: number, policy: LockoutPolicy): Promise<AttemptClaim>;
  /** Forgets one counter (a success from that source). */
  clear(username: string, scope: string): Promise<void>;
  /** Forgets every counter of the username (an administrator's unlock), with the unlock's audit event. */
  clearAll(username: string, audit?: AuditEvent): Promise<void>;
}
