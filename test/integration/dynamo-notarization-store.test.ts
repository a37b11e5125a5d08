import { randomBytes, randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../shared/adapters/dynamo-audit-store';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import {
  DynamoNotarizationStore,
  notarizationKey,
  PENDING_QUEUES,
  queueOf,
} from '../../shared/adapters/dynamo-notarization-store';
import { newAuditEvent } from '../../shared/core/audit-event';
import { notarizationId } from '../../shared/core/notarization-id';
import type { Notarization } from '../../shared/ports/notarization-store';
import { notarizationsTable, resourceName } from '../../shared/tables';

const store = new DynamoNotarizationStore();
const sha = () => randomBytes(32).toString('hex');
const notarization = (
  owner: string,
  sha256: string,
  receivedAt = new Date().toISOString(),
): Notarization => ({
  id: notarizationId(owner, sha256),
  owner,
  sha256,
  receivedAt,
  status: 'pending',
});

describe('DynamoDB notarization store (DynamoDB Local)', () => {
  it('stores and reads back a notarization', async () => {
    const n = { ...notarization(randomUUID(), sha()), name: 'deed.pdf', metadata: { case: '42' } };
    expect(await store.createOnce(n)).toEqual({ created: true, notarization: n });
    expect(await store.get(n.id)).toEqual(n);
    expect(await store.get(randomUUID())).toBeUndefined();
  });

  it('creates exactly one notarization when the same owner sends the same hash concurrently', async () => {
    const owner = randomUUID();
    const hash = sha();
    const attempts = Array.from({ length: 12 }, () => notarization(owner, hash));
    const results = await Promise.all(attempts.map((n) => store.createOnce(n)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)?.notarization;
    for (const r of results) expect(r.notarization.id).toBe(winner?.id);
    // (The local runtime's integrator may seal it meanwhile; identity is what counts.)
    expect((await store.findBySha256(hash, 100)).map((n) => n.id)).toEqual([winner?.id]);
  });

  it('keeps different owners of one hash apart and lists them oldest first', async () => {
    const hash = sha();
    const later = notarization(randomUUID(), hash, '2026-02-01T00:00:00.000Z');
    const earlier = notarization(randomUUID(), hash, '2026-01-01T00:00:00.000Z');
    await store.createOnce(later);
    await store.createOnce(earlier);
    expect((await store.findBySha256(hash, 100)).map((n) => n.id)).toEqual([earlier.id, later.id]);
    expect(await store.findBySha256(hash, 1)).toHaveLength(1);
  });
});

describe('the pending queue (DynamoDB Local)', () => {
  it('spreads over its shards, so no index partition takes every notarization', async () => {
    const owner = randomUUID();
    const created = await Promise.all(
      Array.from({ length: 40 }, () => store.createOnce(notarization(owner, sha()))),
    );
    for (const { notarization: n } of created) {
      const { Item } = await dynamoDocumentClient().send(
        new GetCommand({ TableName: resourceName(notarizationsTable), Key: notarizationKey(n.id) }),
      );
      // (The local runtime's integrator may have sealed it already: then it has left the queue.)
      if (Item?.pending) expect(Item.pending).toBe(queueOf(n.id));
    }
    // The shard is a function of the id alone, so the spread does not depend on what was sealed meanwhile.
    const queues = new Set(created.map(({ notarization: n }) => queueOf(n.id)));
    for (const q of queues) expect(PENDING_QUEUES).toContain(q);
    expect(queues.size).toBeGreaterThan(3);
  });
});

describe('a notarization and its audit event land together', () => {
  const event = (id: string) =>
    newAuditEvent(
      {
        action: 'notarization.create',
        actor: 'someone',
        target: `notarization:${id}`,
        outcome: 'success',
        requestId: randomUUID(),
        personal: { sourceIp: '192.0.2.1' },
      },
      new Date(),
    );

  it('writes both in one transaction; a repeat writes neither', async () => {
    const audit = new DynamoAuditStore();
    const n = notarization(randomUUID(), sha());
    const first = event(n.id);
    expect(await store.createOnce(n, first)).toEqual({ created: true, notarization: n });
    expect(await audit.get(first.id)).toMatchObject({ id: first.id, entry: first.entry });
    const again = event(n.id);
    expect((await store.createOnce(n, again)).created).toBe(false);
    expect(await audit.get(again.id)).toBeUndefined();
  });

  it('writes nothing when the audit event cannot be written', async () => {
    const broken = new DynamoNotarizationStore(
      dynamoDocumentClient(),
      resourceName(notarizationsTable),
      () => 'no-such-table',
    );
    const n = notarization(randomUUID(), sha());
    await expect(broken.createOnce(n, event(n.id))).rejects.toThrow();
    expect(await store.get(n.id)).toBeUndefined();
  });
});
