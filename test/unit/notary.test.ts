import { describe, expect, it } from 'vitest';
import { Cursors } from '../../shared/core/cursors';
import { Notary } from '../../shared/core/notary';
import type { Principal } from '../../shared/core/roles';
import type { Notarization, NotarizationStore } from '../../shared/ports/notarization-store';

const principal: Principal = {
  userId: 'u1',
  username: 'ulla',
  roles: ['uploader'],
  mustChangePassword: false,
  otpEnabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  tokenId: 't',
  tokenExpiresAt: 0,
  sessionId: 's',
};

/** Only createOnce matters here; the store's real behaviour is tested against DynamoDB Local. */
const store = {
  createOnce: async (n: Notarization) => ({ created: true, notarization: n }),
} as unknown as NotarizationStore;

const now = new Date('2026-06-01T12:00:00.000Z');
const notaryWithOldest = (oldest: string | undefined) =>
  new Notary(
    store,
    new Cursors({ mac: async () => new Uint8Array(32), verify: async () => false }),
    { oldestPending: async () => (oldest ? new Date(oldest) : undefined), maxLagSeconds: async () => 120 },
    () => now,
  );

describe('back-pressure', () => {
  it('accepts while the log keeps up', async () => {
    await expect(
      notaryWithOldest(undefined).notarize(principal, { sha256: 'ab'.repeat(32) }),
    ).resolves.toMatchObject({
      created: true,
    });
    await expect(
      notaryWithOldest('2026-06-01T11:58:30.000Z').notarize(principal, { sha256: 'ab'.repeat(32) }),
    ).resolves.toBeDefined();
  });

  it('refuses with 503 log_backpressure and Retry-After when the oldest pending entry is too old', async () => {
    await expect(
      notaryWithOldest('2026-06-01T11:57:00.000Z').notarize(principal, { sha256: 'ab'.repeat(32) }),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'log_backpressure',
      extra: { retryAfterSeconds: 5 },
    });
  });
});
