/**
 * A value built on first use and kept for the life of the process (a Lambda
 * execution environment). A failed asynchronous start (KMS or SSM throttled at
 * cold start) is retried on the next call, not cached.
 */
export const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => {
    if (value === undefined) {
      value = make();
      if (value instanceof Promise) value.catch(() => (value = undefined));
    }
    return value;
  };
};

/**
 * The last answer of `load`, reused for `ttlMs`; concurrent callers share one
 * call in flight, and a failure is not kept. For values that may be a moment
 * old, such as how far the log lags behind (the back-pressure check), so that
 * a busy function asks once a second instead of on every request.
 */
export const cachedFor = <T>(ttlMs: number, load: () => Promise<T>, now: () => number = Date.now) => {
  let cached: { at: number; value: Promise<T> } | undefined;
  return (): Promise<T> => {
    const t = now();
    if (!cached || t - cached.at >= ttlMs) {
      const value = load();
      const entry = { at: t, value };
      cached = entry;
      value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
};
