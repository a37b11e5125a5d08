import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../shared/local/rate-limit';

describe('local per-IP rate limit on /v1/auth/*', () => {
  it('lets the limit through per minute and per client, then says how long to wait', () => {
    let now = 0;
    const limited = createRateLimiter(3, () => now);
    expect([limited('a'), limited('a'), limited('a')]).toEqual([undefined, undefined, undefined]);
    expect(limited('b')).toBeUndefined();
    now = 20_000;
    expect(limited('a')).toBe(40);
    now = 60_000;
    expect(limited('a')).toBeUndefined();
  });
});
