/** Failed-login bookkeeping per username, kept whether or not the account exists. */
export interface LoginAttemptState {
  readonly failures: number;
  /** Epoch ms; absent when not locked. */
  readonly lockedUntil?: number;
}

export interface LoginAttempts {
  get(username: string): Promise<LoginAttemptState>;
  /** Counts one more failure and, when `lockFor` says so, locks; returns the new state. */
  recordFailure(
    username: string,
    now: number,
    lockFor: (failures: number) => number | undefined,
  ): Promise<LoginAttemptState>;
  clear(username: string): Promise<void>;
}
