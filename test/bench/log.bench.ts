/**
 * `npm run bench`: the Merkle log against a naive per-entry hash chain, both
 * measured in this run on the same DynamoDB Local, so the ratios mean
 * something on a shared, noisy machine. Absolute numbers do not.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoLogStore } from '../../shared/adapters/dynamo-log-store';
import { DynamoNotarizationStore } from '../../shared/adapters/dynamo-notarization-store';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { Integrator } from '../../shared/core/integrator';
import { entryBytes } from '../../shared/core/log-entry';
import { verifyReceipt } from '../../shared/core/receipt';
import { Transparency } from '../../shared/core/transparency';
import { startDynamoDbLocal } from '../../shared/local/dynamodb-local';
import { freePort } from '../../shared/local/free-port';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from '../../shared/local/local-clients';
import { createTable } from '../../shared/local/provision';
import { logTable, notarizationsTable } from '../../shared/tables';
import { wrapLogStore } from '../support/log-store';

/** Entries the log integrates per run; the chain, much slower, appends fewer (its rate does not depend on N). */
const N = Number(process.env.BENCH_ENTRIES ?? 2000);
const CHAIN_N = Number(process.env.BENCH_CHAIN_ENTRIES ?? 300);
const ORIGIN = 'stempel.bench/log';

const dynamo = await startDynamoDbLocal(await freePort());
Object.assign(process.env, {
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
});
const db = dynamoDocumentClient();
const signer = new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-bench-')), 'log.pem'));

async function freshTables() {
  const suffix = randomUUID().slice(0, 8);
  const names = { notarizations: `bench-n-${suffix}`, log: `bench-log-${suffix}` };
  const client = localDynamoClient(dynamo.endpoint);
  await createTable(client, notarizationsTable, names.notarizations);
  await createTable(client, logTable, names.log);
  return {
    notarizations: new DynamoNotarizationStore(db, names.notarizations),
    store: new DynamoLogStore('notary', db, names.log, names.notarizations),
    logTableName: names.log,
  };
}

const newNotarization = () => ({
  id: randomUUID(),
  owner: randomUUID(),
  sha256: randomBytes(32).toString('hex'),
  receivedAt: new Date().toISOString(),
  status: 'pending' as const,
});

/** The baseline: one entry at a time, each a conditional head update in a transaction with its entry. */
class HashChain {
  constructor(private readonly table: string) {}
  async append(entry: string) {
    const { Item } = await db.send(
      new GetCommand({ TableName: this.table, Key: { pk: 'chain/HEAD' }, ConsistentRead: true }),
    );
    const seq = (Item?.seq as number | undefined) ?? 0;
    const prev = Item ? Buffer.from(Item.hash as Uint8Array) : Buffer.alloc(32);
    const hash = createHash('sha256').update(prev).update(entry).digest();
    await db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.table,
              Item: { pk: 'chain/HEAD', seq: seq + 1, hash },
              ConditionExpression: seq === 0 ? 'attribute_not_exists(pk)' : 'seq = :s',
              ExpressionAttributeValues: seq === 0 ? undefined : { ':s': seq },
            },
          },
          { Put: { TableName: this.table, Item: { pk: `chain/E/${seq}`, entry, hash } } },
        ],
      }),
    );
  }
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
const fmt = (x: number, digits = 1) => x.toFixed(digits);
const rows: [string, string, string, string][] = [];
const row = (metric: string, log: number, chain: number, unit: string, digits = 1) =>
  rows.push([
    metric,
    `${fmt(log, digits)} ${unit}`,
    `${fmt(chain, digits)} ${unit}`,
    chain === 0 ? '-' : `${fmt(log / chain, 2)}×`,
  ]);

// 1. Throughput: N pending entries sealed, per batch size, against the chain appending N entries.
const chainTables = await freshTables();
const chain = new HashChain(chainTables.logTableName);
let t0 = performance.now();
for (let i = 0; i < CHAIN_N; i++) await chain.append(entryBytes(newNotarization()));
const chainRate = CHAIN_N / ((performance.now() - t0) / 1000);
for (const batch of [25, 256, 1024]) {
  const { notarizations, store } = await freshTables();
  for (let i = 0; i < N; i += 25)
    await Promise.all(
      Array.from({ length: Math.min(25, N - i) }, () => notarizations.createOnce(newNotarization())),
    );
  // When the last batch was in the log (its checkpoint signed and committed). Marking each
  // notarization sealed overlaps the next batches, so it cannot be subtracted as a sum of durations.
  let lastCommitAt = 0;
  const timed = wrapLogStore(store, {
    commit: async (batch) => {
      const outcome = await store.commit(batch);
      if (outcome === 'committed') lastCommitAt = performance.now();
      return outcome;
    },
  });
  t0 = performance.now();
  const result = await new Integrator(timed, signer, { origin: ORIGIN, maxBatch: batch }).drain();
  const totalMs = performance.now() - t0;
  if (result.sealed !== N) throw new Error(`sealed ${result.sealed} of ${N}`);
  row(`sealed entries/s, batch ≤ ${batch}`, N / (totalMs / 1000), chainRate, '/s');
  row(`  in the log (last checkpoint committed)`, N / ((lastCommitAt - t0) / 1000), chainRate, '/s');
}

// 2. Accept → sealed latency under a steady stream of submissions (20 every 50 ms).
async function latency(kind: 'log' | 'chain') {
  const { notarizations, store, logTableName } = await freshTables();
  const accepted = new Map<string, number>();
  const sealedAt = new Map<string, number>();
  const timed = wrapLogStore(store, {
    markSealed: async (positions, at) => {
      await store.markSealed(positions, at);
      for (const p of positions) sealedAt.set(p.notarizationId, performance.now());
    },
  });
  const integrator = new Integrator(timed, signer, { origin: ORIGIN, maxBatch: 25 });
  const chainQueue: { id: string; entry: string }[] = [];
  const hashChain = new HashChain(logTableName);
  let producing = true;
  const worker = (async () => {
    while (producing || accepted.size > sealedAt.size) {
      if (kind === 'log') {
        if ((await integrator.integrateBatch()).sealed === 0) await new Promise((r) => setTimeout(r, 50));
      } else {
        const next = chainQueue.shift();
        if (!next) await new Promise((r) => setTimeout(r, 50));
        else {
          await hashChain.append(next.entry);
          sealedAt.set(next.id, performance.now());
        }
      }
    }
  })();
  for (let wave = 0; wave < N / 20; wave++) {
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const n = newNotarization();
        await notarizations.createOnce(n);
        accepted.set(n.id, performance.now());
        if (kind === 'chain') chainQueue.push({ id: n.id, entry: entryBytes(n) });
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
  }
  producing = false;
  await worker;
  return [...accepted].map(([id, at]) => (sealedAt.get(id) as number) - at);
}
const logLatency = await latency('log');
const chainLatency = await latency('chain');
row('accept→sealed p50', percentile(logLatency, 50), percentile(chainLatency, 50), 'ms', 0);
row('accept→sealed p99', percentile(logLatency, 99), percentile(chainLatency, 99), 'ms', 0);

// 3. Proof size and offline verification per receipt, at the final tree size.
const { notarizations, store } = await freshTables();
const ids: string[] = [];
for (let i = 0; i < N; i += 25) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(25, N - i) }, () => notarizations.createOnce(newNotarization())),
  );
  ids.push(...batch.map((b) => b.notarization.id));
}
await new Integrator(store, signer, { origin: ORIGIN }).drain();
const transparency = new Transparency(store, signer, ORIGIN);
const key = (await transparency.key()).verifierKey;
const target = (await notarizations.get(ids[0] as string)) as NonNullable<
  Awaited<ReturnType<typeof notarizations.get>>
>;
const receipt = await transparency.receipt(target);
const receiptBytes = Buffer.byteLength(JSON.stringify(receipt));
const runs = 2000;
t0 = performance.now();
for (let i = 0; i < runs; i++) verifyReceipt(target.sha256, receipt, key);
const verifyMs = (performance.now() - t0) / runs;
// A chain entry is only as good as the chain before it: verifying entry 0 means rehashing all N entries.
const entries = ids.map(() => entryBytes(newNotarization()));
t0 = performance.now();
for (let r = 0; r < runs / 20; r++) {
  let h = Buffer.alloc(32);
  for (const e of entries) h = createHash('sha256').update(h).update(e).digest();
}
const chainVerifyMs = (performance.now() - t0) / (runs / 20);
const chainProofBytes = entries.reduce((sum, e) => sum + Buffer.byteLength(e), 0);
row(`proof size per receipt (n=${N})`, receiptBytes, chainProofBytes, 'B', 0);
row(`offline verification per receipt (n=${N})`, verifyMs, chainVerifyMs, 'ms', 3);
row('inclusion proof hashes', receipt?.inclusionProof.length ?? 0, N, '', 0);

await dynamo.stop();
const mem = process.memoryUsage();
const widths = [0, 1, 2, 3].map((c) =>
  Math.max(
    ...[['metric', 'merkle log', 'hash chain (baseline)', 'ratio'], ...rows].map((r) => r[c]?.length ?? 0),
  ),
);
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`\nStempel log benchmark: ${N} entries per run, DynamoDB Local, same run for both columns\n`);
console.log(line(['metric', 'merkle log', 'hash chain (baseline)', 'ratio']));
for (const r of rows) console.log(line(r));
console.log(
  `\nprocess memory: rss ${fmt(mem.rss / 2 ** 20)} MiB, heap used ${fmt(mem.heapUsed / 2 ** 20)} MiB`,
);
