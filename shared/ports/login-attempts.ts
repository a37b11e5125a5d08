/** The outcome of claiming a login attempt for a username. */
export type AttemptClaim =
  | { readonly allowed: true; readonly locked: boolean }
  | { readonly allowed: false; readonly retryAfterMs: number };

export interface LockoutPolicy {
  /** The attempt with this count (and every later one) locks the username as it starts. */
  readonly threshold: number;
  /** How long (ms) the attempt with this count locks it. */
  lockMs(attempts: number): number;
}

/**
 * Login attempts per username, kept whether or not the account exists. An
 * attempt is counted *before* the password is checked, and the lock is set as
 * the attempt that reaches the threshold starts (`locked`), so a burst of
 * parallel guesses cannot slip past it while the KDF runs. A success clears
 * the count.
 */
export interface LoginAttempts {
  claim(username: string, now: number, policy: LockoutPolicy): Promise<AttemptClaim>;
  clear(username: string): Promise<void>;
}
