/**
 * Per-client fixed-window counter: the local stand-in for the WAF's per-IP
 * rate rule on /v1/auth/*. Returns the seconds to wait when over the limit.
 */
export function createRateLimiter(limitPerMinute: number, now: () => number = Date.now) {
  const windows = new Map<string, { start: number; count: number }>();
  return (client: string): number | undefined => {
    const t = now();
    const w = windows.get(client);
    if (!w || t - w.start >= 60_000) {
      // Bounded memory: forget only windows that have ended, never a client's running count.
      if (windows.size >= 10_000)
        for (const [c, old] of windows) if (t - old.start >= 60_000) windows.delete(c);
      windows.set(client, { start: t, count: 1 });
      return undefined;
    }
    w.count += 1;
    return w.count > limitPerMinute ? Math.ceil((w.start + 60_000 - t) / 1000) : undefined;
  };
}
