import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoLogStore } from '../../shared/adapters/dynamo-log-store';
import { DynamoNotarizationStore } from '../../shared/adapters/dynamo-notarization-store';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { openCheckpoint } from '../../shared/core/checkpoint';
import { Integrator } from '../../shared/core/integrator';
import { verifyConsistency } from '../../shared/core/merkle';
import { verifyReceipt } from '../../shared/core/receipt';
import { parseVerifierKey } from '../../shared/core/signed-note';
import { Transparency } from '../../shared/core/transparency';
import { localDynamoClient } from '../../shared/local/local-clients';
import { createTable } from '../../shared/local/provision';
import type { LogStore } from '../../shared/ports/log-store';
import { logTable, notarizationsTable } from '../../shared/tables';
import { wrapLogStore } from '../support/log-store';

const ORIGIN = 'stempel.test/integrator';

/** A log of its own (fresh tables), so the local runtime's integrator does not touch it. */
async function freshLog() {
  const suffix = randomUUID().slice(0, 8);
  const client = localDynamoClient(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
  const names = { notarizations: `it-notarizations-${suffix}`, log: `it-log-${suffix}` };
  await createTable(client, notarizationsTable, names.notarizations);
  await createTable(client, logTable, names.log);
  const db = dynamoDocumentClient();
  const notarizations = new DynamoNotarizationStore(db, names.notarizations);
  const store = new DynamoLogStore('notary', db, names.log, names.notarizations);
  const signer = new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-it-')), 'log.pem'));
  const transparency = new Transparency(store, signer, ORIGIN);
  const notarize = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        notarizations.createOnce({
          id: randomUUID(),
          owner: randomUUID(),
          sha256: randomBytes(32).toString('hex'),
          receivedAt: new Date().toISOString(),
          status: 'pending',
        }),
      ),
    ).then((rs) => rs.map((r) => r.notarization));
  return { notarizations, store, signer, transparency, notarize };
}

type Log = Awaited<ReturnType<typeof freshLog>>;

/** The log holds each notarization exactly once, at consecutive indices, and every receipt verifies. */
async function expectExactlyOnce(log: Log, ids: string[]) {
  const key = (await log.transparency.key()).verifierKey;
  const head = await log.store.head();
  expect(head?.size).toBe(ids.length);
  // Sixteen at a time: hundreds of receipts one by one would dominate the suite's time.
  const indices: number[] = [];
  for (let i = 0; i < ids.length; i += 16) {
    await Promise.all(
      ids.slice(i, i + 16).map(async (id) => {
        const n = await log.notarizations.get(id);
        expect(n?.status, id).toBe('sealed');
        indices.push(n?.logIndex as number);
        const receipt = await log.transparency.receipt(n as NonNullable<typeof n>);
        expect(verifyReceipt(n?.sha256 as string, receipt, key).entry.id).toBe(id);
      }),
    );
  }
  expect(indices.sort((a, b) => a - b)).toEqual(ids.map((_, i) => i));
  expect(await log.store.pending(10)).toEqual([]);
  expect(head?.unsealed).toEqual([]);
}

/** A LogStore whose step `step` fails (after doing its work when `after`) the first `times` calls. */
const crashing = <K extends 'commit' | 'markSealed' | 'finishSeal'>(
  store: LogStore,
  step: K,
  { times = 1, after = true } = {},
): LogStore => {
  let left = times;
  const real = store[step].bind(store) as (...args: unknown[]) => Promise<unknown>;
  return wrapLogStore(store, {
    [step]: async (...args: unknown[]) => {
      if (left > 0 && !after) {
        left--;
        throw new Error(`crash in ${step}`);
      }
      const out = await real(...args);
      if (left-- > 0) throw new Error(`crash in ${step}`);
      return out;
    },
  });
};

describe('integrator (DynamoDB Local)', () => {
  let log: Log;
  beforeAll(async () => {
    log = await freshLog();
  });

  it('publishes a signed checkpoint of the empty log before anything is logged, once', async () => {
    const empty = await freshLog();
    await expect(empty.transparency.checkpoint()).rejects.toMatchObject({ code: 'log_empty' });
    const integrator = new Integrator(empty.store, empty.signer, { origin: ORIGIN });
    expect(await integrator.drain()).toMatchObject({ sealed: 0, treeSize: 0 });
    const key = parseVerifierKey((await empty.transparency.key()).verifierKey);
    const note = await empty.transparency.checkpoint();
    const checkpoint = openCheckpoint(note, key);
    expect(checkpoint.size).toBe(0);
    // RFC 9162 §2.1.1: the root of the empty tree is the hash of the empty string.
    expect(Buffer.from(checkpoint.rootHash).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(await integrator.initialize()).toBe(false);
    expect(await empty.transparency.checkpoint()).toBe(note);
    // The log grows from it as from any other head.
    const created = await empty.notarize(3);
    expect(await integrator.drain()).toMatchObject({ sealed: 3, treeSize: 3 });
    await expectExactlyOnce(
      empty,
      created.map((n) => n.id),
    );
  });

  it('seals pending notarizations in batches, one signed checkpoint per batch', async () => {
    const created = await log.notarize(30);
    // The queue is sharded (one index partition takes ~1,000 writes/s); the oldest come first across shards.
    const queued = await log.store.pending(1000);
    expect(queued.map((n) => n.receivedAt)).toEqual(queued.map((n) => n.receivedAt).sort());
    expect(queued).toHaveLength(30);
    const integrator = new Integrator(log.store, log.signer, { origin: ORIGIN, maxBatch: 8 });
    const result = await integrator.drain();
    expect(result).toMatchObject({ sealed: 30, treeSize: 30 });
    await expectExactlyOnce(
      log,
      created.map((n) => n.id),
    );
    const key = parseVerifierKey((await log.transparency.key()).verifierKey);
    expect(openCheckpoint(await log.transparency.checkpoint(), key).size).toBe(30);
  });

  it('keeps every checkpoint consistent with every earlier one', async () => {
    const key = parseVerifierKey((await log.transparency.key()).verifierKey);
    const checkpoints = [openCheckpoint(await log.transparency.checkpoint(), key)];
    for (let round = 0; round < 4; round++) {
      await log.notarize(3 + round * 5);
      await new Integrator(log.store, log.signer, { origin: ORIGIN, maxBatch: 7 }).drain();
      checkpoints.push(openCheckpoint(await log.transparency.checkpoint(), key));
    }
    for (const [i, early] of checkpoints.entries()) {
      for (const late of checkpoints.slice(i + 1)) {
        const { proof } = await log.transparency.consistency(early.size, late.size);
        const hashes = proof.map((p) => new Uint8Array(Buffer.from(p, 'base64')));
        expect(verifyConsistency(early.size, late.size, early.rootHash, late.rootHash, hashes)).toBe(true);
      }
    }
  });
});

describe('integrator faults (DynamoDB Local)', () => {
  it('completes after a crash right after a commit, without duplicating anything', async () => {
    const log = await freshLog();
    const created = await log.notarize(12);
    const failing = new Integrator(crashing(log.store, 'commit'), log.signer, {
      origin: ORIGIN,
      maxBatch: 5,
    });
    await expect(failing.drain()).rejects.toThrow('crash in commit');
    const head = await log.store.head();
    expect(head?.size).toBe(5);
    expect(head?.unsealed).toMatchObject([{ start: 0, end: 5 }]);
    // The committed entries are in the log but not yet marked: they must not be appended again.
    expect((await log.store.pending(20)).length).toBe(12);
    await new Integrator(log.store, log.signer, { origin: ORIGIN, maxBatch: 5 }).drain();
    await expectExactlyOnce(
      log,
      created.map((n) => n.id),
    );
  });

  it.each([
    ['halfway through marking notarizations sealed', 'markSealed', false],
    ['after marking, before the range leaves the head', 'finishSeal', false],
    ['after the range left the head, before the caller heard', 'finishSeal', true],
  ] as const)('completes after a crash %s', async (_, step, after) => {
    const log = await freshLog();
    const created = await log.notarize(300); // crosses a tile boundary at 256
    let store = crashing(log.store, step, { after });
    if (step === 'markSealed') {
      // Mark some of the range, then die: a partly marked range.
      store = wrapLogStore(log.store, {
        markSealed: async (positions, at) => {
          await log.store.markSealed(positions.slice(0, Math.floor(positions.length / 2)), at);
          throw new Error('crash in markSealed');
        },
      });
    }
    await expect(
      new Integrator(store, log.signer, { origin: ORIGIN, maxBatch: 280 }).drain(),
    ).rejects.toThrow(`crash in ${step}`);
    // The failed range stays listed as unsealed; the next batch may have been committed meanwhile.
    expect((await log.store.head())?.size).toBeGreaterThanOrEqual(280);
    // A concurrent pair of runs finishes the work.
    await Promise.all([
      new Integrator(log.store, log.signer, { origin: ORIGIN, maxBatch: 100 }).drain(),
      new Integrator(log.store, log.signer, { origin: ORIGIN, maxBatch: 100 }).drain(),
    ]);
    await expectExactlyOnce(
      log,
      created.map((n) => n.id),
    );
  });

  it('changes nothing when signing fails before the commit', async () => {
    const log = await freshLog();
    const created = await log.notarize(4);
    const broken = {
      sign: async () => Promise.reject(new Error('KMS unavailable')),
      publicKey: () => log.signer.publicKey(),
    };
    await expect(new Integrator(log.store, broken, { origin: ORIGIN }).drain()).rejects.toThrow(
      'KMS unavailable',
    );
    expect(await log.store.head()).toBeUndefined();
    // Not pending(10): each of the 8 queue shards gives ceil(2·10/8) = 3, and all 4 may share one shard.
    expect((await log.store.pending(100)).length).toBe(4);
    // Signing the first batch fails too, once the empty head exists.
    await new Integrator(log.store, log.signer, { origin: ORIGIN }).initialize();
    await expect(new Integrator(log.store, broken, { origin: ORIGIN }).drain()).rejects.toThrow(
      'KMS unavailable',
    );
    expect((await log.store.head())?.size).toBe(0);
    await new Integrator(log.store, log.signer, { origin: ORIGIN }).drain();
    await expectExactlyOnce(
      log,
      created.map((n) => n.id),
    );
  });

  it('never forks or duplicates under concurrent and repeated runs (duplicate stream deliveries)', async () => {
    const log = await freshLog();
    const created = await log.notarize(400);
    const runs = [6, 50, 130, 300, 1024].map((maxBatch) =>
      new Integrator(log.store, log.signer, { origin: ORIGIN, maxBatch }).drain(),
    );
    const results = await Promise.all(runs);
    expect(results.reduce((sum, r) => sum + r.sealed, 0)).toBe(400);
    await new Integrator(log.store, log.signer, { origin: ORIGIN }).drain(); // a late duplicate delivery: nothing to do
    await expectExactlyOnce(
      log,
      created.map((n) => n.id),
    );
  });

  it('builds the next batch while the last one is being marked, without taking its entries twice', async () => {
    const log = await freshLog();
    const created = await log.notarize(50);
    let marking = 0;
    let overlapped = 0;
    const slowMarks = wrapLogStore(log.store, {
      markSealed: async (positions, at) => {
        marking++;
        await new Promise((r) => setTimeout(r, 150));
        await log.store.markSealed(positions, at);
        marking--;
      },
      commit: async (batch) => {
        if (marking > 0) overlapped++;
        return log.store.commit(batch);
      },
    });
    const result = await new Integrator(slowMarks, log.signer, { origin: ORIGIN, maxBatch: 10 }).drain();
    expect(result.sealed).toBe(50);
    expect(overlapped).toBeGreaterThan(0);
    // drain returned only once every range was marked and taken off the head.
    await expectExactlyOnce(
      log,
      created.map((n) => n.id),
    );
  });

  it('drops a stale queue entry that is already in the log instead of appending it twice', async () => {
    const log = await freshLog();
    const created = await log.notarize(3);
    await new Integrator(log.store, log.signer, { origin: ORIGIN }).drain();
    // A queue index that lags behind: it still lists the sealed notarizations.
    const lagging: LogStore = wrapLogStore(log.store, { pending: async () => created });
    const result = await new Integrator(lagging, log.signer, { origin: ORIGIN }).drain(Date.now() + 2000);
    expect(result.sealed).toBe(0);
    await expectExactlyOnce(
      log,
      created.map((n) => n.id),
    );
  });

  it('waits out a lagging queue index instead of stopping while newer entries wait behind it', async () => {
    const log = await freshLog();
    const first = await log.notarize(3);
    await new Integrator(log.store, log.signer, { origin: ORIGIN }).drain();
    const later = await log.notarize(2);
    let stalePages = 2;
    const lagging = wrapLogStore(log.store, {
      pending: async (limit) => (stalePages-- > 0 ? first : log.store.pending(limit)),
    });
    const result = await new Integrator(lagging, log.signer, { origin: ORIGIN }).drain();
    expect(result.sealed).toBe(2);
    await expectExactlyOnce(
      log,
      [...first, ...later].map((n) => n.id),
    );
  });
});
