import { describe, expect, it } from 'vitest';
import { checkHealth } from '../../shared/core/health';

describe('health', () => {
  it('is ok when every check passes and degraded when one fails or hangs', async () => {
    const ok = { name: 'a', check: async () => undefined };
    const broken = { name: 'b', check: async () => Promise.reject(new Error('down')) };
    const hanging = { name: 'c', check: () => new Promise<void>(() => undefined) };
    expect(await checkHealth([ok])).toEqual({ status: 'ok', checks: { a: 'ok' } });
    expect(await checkHealth([ok, broken, hanging], 50)).toEqual({
      status: 'degraded',
      checks: { a: 'ok', b: 'failing', c: 'failing' },
    });
  });
});
