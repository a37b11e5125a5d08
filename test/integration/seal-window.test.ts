import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoLogStore } from '../../shared/adapters/dynamo-log-store';
import { DynamoNotarizationStore } from '../../shared/adapters/dynamo-notarization-store';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { Integrator } from '../../shared/core/integrator';
import { localDynamoClient } from '../../shared/local/local-clients';
import { createTable } from '../../shared/local/provision';
import { logTable, notarizationsTable } from '../../shared/tables';

/**
 * "Honest time": the integrator seals only notarizations whose recorded time
 * is plausible for when it sees them. A row written behind the API's back
 * with a past (or future) date is quarantined: kept, taken off the queue,
 * counted, and never sealed.
 */
describe('the integrator quarantines recorded times out of range', () => {
  it('seals the plausible entries and quarantines a backdated and a future one, with reasons', async () => {
    const suffix = randomUUID().slice(0, 8);
    const client = localDynamoClient(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
    const names = { notarizations: `sw-notarizations-${suffix}`, log: `sw-log-${suffix}` };
    await createTable(client, notarizationsTable, names.notarizations);
    await createTable(client, logTable, names.log);
    const db = dynamoDocumentClient();
    const notarizations = new DynamoNotarizationStore(db, names.notarizations);
    const store = new DynamoLogStore('notary', db, names.log, names.notarizations);
    const signer = new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-sw-')), 'log.pem'));
    const now = new Date('2026-11-26T12:00:00.000Z');
    const integrator = new Integrator(store, signer, {
      origin: 'stempel.test/seal-window',
      now: () => now,
      sealWindow: async () => ({ maxDelaySeconds: 3600, maxSkewSeconds: 5 }),
    });
    const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000).toISOString();
    const create = async (receivedAt: string) =>
      (
        await notarizations.createOnce({
          id: randomUUID(),
          owner: randomUUID(),
          sha256: randomBytes(32).toString('hex'),
          receivedAt,
          status: 'pending',
        })
      ).notarization.id;
    const fresh = await Promise.all([create(at(-10)), create(at(-3599)), create(at(4))]);
    const backdated = await create(at(-2 * 86_400));
    const future = await create(at(600));

    const result = await integrator.drain();
    // The integration lag (metric OldestPendingSeconds): the backdated entry had waited two days.
    expect(result).toMatchObject({ sealed: 3, quarantined: 2, treeSize: 3, oldestPendingSeconds: 172_800 });
    for (const id of fresh) expect((await notarizations.get(id))?.status).toBe('sealed');
    const old = await notarizations.get(backdated);
    expect(old).toMatchObject({ status: 'quarantined', quarantine: { at: now.toISOString() } });
    expect(old?.quarantine?.reason).toMatch(/172800 s old, more than the 3600 s allowed/);
    expect(old?.logIndex).toBeUndefined();
    const ahead = await notarizations.get(future);
    expect(ahead).toMatchObject({ status: 'quarantined' });
    expect(ahead?.quarantine?.reason).toMatch(/600 s in the future/);

    // Off the queue: the next run has nothing to do, and seals nothing of theirs.
    expect(await store.pending(10)).toEqual([]);
    expect(await integrator.drain()).toMatchObject({
      sealed: 0,
      quarantined: 0,
      treeSize: 3,
      oldestPendingSeconds: 0,
    });
  });
});
