import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_QUEUE, auditEventKey, DynamoAuditStore } from '../../shared/adapters/dynamo-audit-store';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoLogStore } from '../../shared/adapters/dynamo-log-store';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { S3AuditExport } from '../../shared/adapters/s3-audit-export';
import {
  auditQueries,
  auditSql,
  fetchAuditExport,
  openAuditSql,
  readAuditExport,
  verifyAuditExportAt,
} from '../../shared/cli/audit';
import type { AuditEvent, AuditInput } from '../../shared/core/audit-event';
import { AuditExporter, type AuditStreamRecord, sealedAuditEvents } from '../../shared/core/audit-export';
import { verifyAuditExport } from '../../shared/core/audit-export-verify';
import { AuditTrail } from '../../shared/core/audit-trail';
import { Integrator } from '../../shared/core/integrator';
import { Transparency } from '../../shared/core/transparency';
import { localDynamoClient, localS3Client } from '../../shared/local/local-clients';
import { createTable } from '../../shared/local/provision';
import { auditTable, logTable } from '../../shared/tables';
import { cli } from '../support/tools';

const ORIGIN = 'stempel.test/audit-export';

/** An audit log of its own: fresh Audit and Log tables, a fresh bucket, its own key. */
async function freshExport() {
  const suffix = randomUUID().slice(0, 8);
  const dynamo = localDynamoClient(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
  const names = {
    audit: `it-audit-${suffix}`,
    log: `it-auditlog-${suffix}`,
    bucket: `it-audit-export-${suffix}`,
  };
  await createTable(dynamo, auditTable, names.audit);
  await createTable(dynamo, logTable, names.log);
  const s3 = localS3Client(process.env.AWS_ENDPOINT_URL_S3 as string);
  await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
  const db = dynamoDocumentClient();
  const store = new DynamoLogStore('audit', db, names.log, names.audit, AUDIT_QUEUE);
  const signer = new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-it-')), 'audit.pem'));
  const transparency = new Transparency(store, signer, ORIGIN);
  const integrator = new Integrator(store, signer, { origin: ORIGIN });
  const exporter = new AuditExporter(
    (logIndex) => transparency.receipt({ logIndex }),
    new S3AuditExport(s3, names.bucket),
  );
  /** The stream's view of events: their new images as stored (marshalled), read back from the table. */
  const records = async (events: readonly AuditEvent[]): Promise<AuditStreamRecord[]> =>
    Promise.all(
      events.map(async (e) => {
        const { Item } = await dynamo.send(
          new GetItemCommand({
            TableName: names.audit,
            Key: { pk: { S: auditEventKey(e.id).pk }, sk: { S: 'EVENT' } },
            ConsistentRead: true,
          }),
        );
        return { dynamodb: { NewImage: Item as NonNullable<AuditStreamRecord['dynamodb']>['NewImage'] } };
      }),
    );
  // A second apart, so that the log (oldest first) and the queries (by time) keep the order of recording.
  const trailAt = (at: string) => {
    let n = 0;
    return new AuditTrail(new DynamoAuditStore(db, names.audit), () => new Date(Date.parse(at) + 1000 * n++));
  };
  return { names, s3, integrator, transparency, exporter, records, trailAt, url: `s3://${names.bucket}` };
}

const input = (over: Partial<AuditInput>): AuditInput => ({
  action: 'auth.login',
  actor: 'anonymous',
  target: '-',
  outcome: 'success',
  requestId: randomUUID(),
  personal: { sourceIp: '203.0.113.7', userAgent: 'audit-export-test/1.0', usernames: ['alice'] },
  ...over,
});

const ALICE = 'u-alice';
const BOB = 'u-bob';
const ADMIN = 'u-admin';
const DOC = 'notarization:N1';

describe('the audit export (DynamoDB Local, S3 emulator)', () => {
  let ex: Awaited<ReturnType<typeof freshExport>>;
  let key: string;
  let dir: string;
  let recorded: AuditEvent[];
  let second: () => Promise<AuditEvent>;

  beforeAll(async () => {
    ex = await freshExport();
    key = (await ex.transparency.key()).verifierKey;
    const day1 = ex.trailAt('2026-03-01T10:00:00.000Z');
    const day2 = ex.trailAt('2026-03-02T09:30:00.000Z');
    const fail = (target: string) => ({ outcome: 'failure' as const, reason: 'invalid_credentials', target });
    recorded = [
      await day1.record(input(fail(`user:${ALICE}`))),
      await day1.record(input(fail(`user:${ALICE}`))),
      await day1.record(input(fail(`user:${BOB}`))),
      await day1.record(input({ actor: ALICE, target: `user:${ALICE}` })),
    ];
    await ex.integrator.drain();
    // The second batch is recorded and sealed in the first test, after the first is exported.
    second = async () => {
      recorded.push(
        await day2.record(
          input({
            action: 'user.update_roles',
            actor: ADMIN,
            target: `user:${BOB}`,
            changes: { roles: { from: ['uploader'], to: ['uploader', 'verifier'] } },
          }),
        ),
        await day2.record(input({ action: 'notarization.receipt', actor: ALICE, target: DOC })),
        await day2.record(input({ action: 'notarization.file', actor: BOB, target: DOC })),
        await day2.record(input({ action: 'notarization.get', actor: ALICE, target: 'notarization:N2' })),
        await day2.record(input(fail(`user:${ALICE}`))),
      );
      await ex.integrator.drain();
      return ex.trailAt('2026-03-02T10:00:00.000Z').record(input({ action: 'auth.logout' }));
    };
    dir = mkdtempSync(join(tmpdir(), 'stempel-audit-export-'));
  });

  it('exports each sealed event once, after its checkpoint, without personal fields; a retry duplicates nothing', async () => {
    const batch1 = await ex.records(recorded);
    expect(await ex.exporter.export(sealedAuditEvents(batch1))).toEqual({ events: 4, checkpoints: 1 });
    // The same batch again (Lambda's retry), with a record twice: the same keys are written again.
    await ex.exporter.export(sealedAuditEvents([...batch1, ...batch1]));
    const unsealed = await second();
    const batch2 = await ex.records([...recorded.slice(4), unsealed]);
    expect(sealedAuditEvents(batch2).map((e) => e.id)).not.toContain(unsealed.id);
    expect(await ex.exporter.export(sealedAuditEvents(batch2))).toEqual({ events: 5, checkpoints: 1 });
    await ex.exporter.export(sealedAuditEvents(batch2));

    const files = await readAuditExport(ex.url);
    const events = [...files.keys()].filter((k) => k.startsWith('events/')).sort();
    expect(events).toEqual([
      ...[0, 1, 2, 3].map((i) => `events/date=2026-03-01/00000000000${i}.json`),
      ...[4, 5, 6, 7, 8].map((i) => `events/date=2026-03-02/00000000000${i}.json`),
    ]);
    // Tree sizes 4 and 9: each batch is proven against the tree of its time.
    expect([...files.keys()].filter((k) => k.startsWith('checkpoints/')).sort()).toEqual([
      'checkpoints/000000000004.txt',
      'checkpoints/000000000009.txt',
    ]);
    const roles = files.get('events/date=2026-03-02/000000000004.json') as string;
    expect(roles.endsWith('\n') && roles.split('\n').length).toBe(2);
    const line = JSON.parse(roles);
    expect(Object.keys(line)).toEqual([
      'index',
      'entry',
      'treeSize',
      'inclusionProof',
      'at',
      'action',
      'actor',
      'target',
      'outcome',
      'changes',
      'requestId',
    ]);
    expect(line).toMatchObject({
      index: 4,
      entry: recorded[4]?.entry,
      treeSize: 9,
      action: 'user.update_roles',
      actor: ADMIN,
      changes: { roles: { from: ['uploader'], to: ['uploader', 'verifier'] } },
    });
    for (const text of files.values()) {
      expect(text).not.toContain('203.0.113.7');
      expect(text).not.toContain('audit-export-test/1.0');
      expect(text).not.toContain('salt');
    }
    const object = await ex.s3.send(
      new GetObjectCommand({ Bucket: ex.names.bucket, Key: 'events/date=2026-03-02/000000000004.json' }),
    );
    expect(object.ContentType).toBe('application/json');

    expect(await fetchAuditExport(ex.url, dir)).toBe(11);
    expect(await verifyAuditExportAt(dir, key)).toEqual({
      ok: true,
      lines: ['OK: 9 events (indices 0..8) against 2 signed checkpoints'],
    });
    expect((await verifyAuditExportAt(ex.url, key)).ok).toBe(true);
    const ran = await cli(['audit', 'verify', dir, '--key', key]);
    expect(ran).toEqual({ code: 0, out: 'OK: 9 events (indices 0..8) against 2 signed checkpoints\n' });
  });

  /** A copy of the fetched export, changed by `tamper`, verified. */
  const tampered = async (tamper: (copy: string) => void) => {
    const copy = mkdtempSync(join(tmpdir(), 'stempel-audit-tampered-'));
    cpSync(dir, copy, { recursive: true });
    tamper(copy);
    const report = verifyAuditExport(await readAuditExport(copy), key);
    const ran = await cli(['audit', 'verify', copy, '--key', key]);
    rmSync(copy, { recursive: true, force: true });
    expect(report.ok).toBe(false);
    expect(ran.code).toBe(1);
    return { ...report, out: ran.out };
  };
  const event = (copy: string, i: number) =>
    join(copy, `events/date=2026-03-0${i < 4 ? 1 : 2}/${String(i).padStart(12, '0')}.json`);
  const edit = (path: string, change: (line: Record<string, unknown>) => void) => {
    const line = JSON.parse(readFileSync(path, 'utf8'));
    change(line);
    writeFileSync(path, `${JSON.stringify(line)}\n`);
  };

  it('names a deleted event (in the bucket) as missing', async () => {
    const gone = 'events/date=2026-03-01/000000000002.json';
    const copy = mkdtempSync(join(tmpdir(), 'stempel-audit-bucket-'));
    await fetchAuditExport(ex.url, copy);
    await ex.s3.send(new DeleteObjectCommand({ Bucket: ex.names.bucket, Key: gone }));
    const verdict = await verifyAuditExportAt(ex.url, key);
    expect(verdict.ok).toBe(false);
    expect(verdict.lines).toContain('FAILED: missing event 2');
    // Put it back for the other tests.
    await new S3AuditExport(ex.s3, ex.names.bucket).put(
      gone,
      readFileSync(join(copy, gone), 'utf8'),
      'application/json',
    );
    expect((await verifyAuditExportAt(ex.url, key)).ok).toBe(true);
  });

  it('names an event whose display fields or entry were edited as altered', async () => {
    const shown = await tampered((copy) =>
      edit(event(copy, 1), (l) => {
        l.action = 'auth.refresh';
      }),
    );
    expect(shown.altered).toEqual([
      {
        file: 'events/date=2026-03-01/000000000001.json',
        index: 1,
        reason: "action differ from the log entry's",
      },
    ]);
    expect(shown.out).toContain('FAILED: altered event 1 (events/date=2026-03-01/000000000001.json)');
    const entry = await tampered((copy) =>
      edit(event(copy, 5), (l) => {
        l.entry = (l.entry as string).replace(ALICE, BOB);
        l.actor = BOB;
      }),
    );
    expect(entry.altered).toMatchObject([{ index: 5, reason: expect.stringMatching(/not at index 5/) }]);
    expect(entry.missing).toEqual([]);
  });

  it('names both files of a swap (reordered events) as altered', async () => {
    const swapped = await tampered((copy) => {
      const [a, b] = [event(copy, 5), event(copy, 6)];
      const [ta, tb] = [readFileSync(a), readFileSync(b)];
      writeFileSync(a, tb);
      writeFileSync(b, ta);
    });
    expect(swapped.altered.map((p) => p.index).sort()).toEqual([5, 6]);
    expect(swapped.missing).toEqual([]);
    expect(swapped.out).toContain('FAILED: altered event 6');
  });

  it('names a copy under another index or day, and an event beyond every checkpoint, as extra', async () => {
    const copied = await tampered((copy) => {
      cpSync(event(copy, 3), join(copy, 'events/date=2026-03-02/000000000003.json'));
      cpSync(event(copy, 7), join(copy, 'events/date=2026-03-02/000000000042.json'));
    });
    expect(copied.extra.map((p) => p.file).sort()).toEqual([
      'events/date=2026-03-02/000000000003.json',
      'events/date=2026-03-02/000000000042.json',
    ]);
    expect(copied.altered).toEqual([]);
    const beyond = await tampered((copy) =>
      edit(join(copy, 'events/date=2026-03-02/000000000008.json'), (l) => {
        l.index = 9;
        l.treeSize = 10;
        writeFileSync(join(copy, 'events/date=2026-03-02/000000000009.json'), `${JSON.stringify(l)}\n`);
        l.index = 8;
        l.treeSize = 9;
      }),
    );
    expect(beyond.extra).toMatchObject([
      { file: 'events/date=2026-03-02/000000000009.json', reason: expect.stringMatching(/beyond every/) },
    ]);
    expect(beyond.out).toContain('FAILED: extra file events/date=2026-03-02/000000000009.json');
  });

  it('names a tampered or removed checkpoint', async () => {
    const signature = await tampered((copy) => {
      const path = join(copy, 'checkpoints/000000000009.txt');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/\n9\n/, '\n8\n'));
    });
    expect(signature.badCheckpoints).toMatchObject([
      { file: 'checkpoints/000000000009.txt', reason: 'the signature is invalid' },
    ]);
    expect(signature.out).toContain('FAILED: bad checkpoint checkpoints/000000000009.txt');
    const removed = await tampered((copy) => unlinkSync(join(copy, 'checkpoints/000000000004.txt')));
    expect(removed.badCheckpoints).toMatchObject([
      { file: 'checkpoints/000000000004.txt', reason: expect.stringMatching(/^missing/) },
    ]);
  });

  it('answers the saved queries with DuckDB over the fetched export', async () => {
    const sql = await openAuditSql(dir);
    const run = (name: string, ...parameters: string[]) =>
      auditSql(sql, auditQueries.find((q) => q.name === name)?.sql as string, parameters);
    try {
      expect(await run('failed-logins-per-user-per-day')).toEqual([
        { date: '2026-03-02', target: `user:${ALICE}`, failures: '1' },
        { date: '2026-03-01', target: `user:${ALICE}`, failures: '2' },
        { date: '2026-03-01', target: `user:${BOB}`, failures: '1' },
      ]);
      expect((await run('actions-of-one-actor', ALICE)).map((r) => [r.action, r.target, r.index])).toEqual([
        ['auth.login', `user:${ALICE}`, '3'],
        ['notarization.receipt', DOC, '5'],
        ['notarization.get', 'notarization:N2', '7'],
      ]);
      const roles = await run('role-changes');
      expect(roles).toMatchObject([{ actor: ADMIN, target: `user:${BOB}`, index: '4' }]);
      expect(JSON.parse(roles[0]?.changes as string)).toEqual({
        roles: { from: ['uploader'], to: ['uploader', 'verifier'] },
      });
      expect((await run('document-access', DOC)).map((r) => [r.actor, r.action])).toEqual([
        [ALICE, 'notarization.receipt'],
        [BOB, 'notarization.file'],
      ]);
    } finally {
      sql.closeSync();
    }
    const ran = await cli(['audit', 'sql', dir, 'document-access', DOC]);
    expect(ran.code).toBe(0);
    expect(ran.out.trim().split('\n')).toHaveLength(2);
  });

  it('lists an export of more than one page (1,000 keys) in full', async () => {
    const s3 = localS3Client(process.env.AWS_ENDPOINT_URL_S3 as string);
    const bucket = `it-audit-pages-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = Array.from(
      { length: 1030 },
      (_, i) => `events/date=2026-03-02/${String(i).padStart(12, '0')}.json`,
    );
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}\n' }))),
      );
    expect((await new S3AuditExport(s3, bucket).keys()).sort()).toEqual(keys);
  });
});
