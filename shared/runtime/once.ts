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
