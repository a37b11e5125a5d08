import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../core/audit-event';
import { StempelError } from '../core/errors';
import type {
  IssuedToken,
  Notarization,
  NotarizationStore,
  NotarizedFile,
} from '../ports/notarization-store';
import type { Page } from '../ports/page';
import { auditTable, notarizationsTable, resourceName } from '../tables';
import { auditPut } from './dynamo-audit-store';
import { decodeCursor, dynamoDocumentClient, encodeCursor, updateIf } from './dynamo-client';

export const notarizationKey = (id: string) => ({ pk: `NOTARIZATION#${id}`, sk: 'NOTARIZATION' });
/**
 * Values of the sparse `pending` attribute that queues a notarization for the
 * log (the byPending index), one per shard: one partition of an index takes
 * about 1,000 writes/s, and every notarization enters and leaves the queue,
 * so one queue key would cap a log near 500 notarizations/s. The shard is a
 * function of the id (itself a hash), so shards fill evenly.
 */
export const QUEUE_SHARDS = 8;
export const queueOf = (id: string) => `notary#${(Number.parseInt(id.slice(0, 2), 16) || 0) % QUEUE_SHARDS}`;
export const PENDING_QUEUES = Array.from({ length: QUEUE_SHARDS }, (_, k) => `notary#${k}`);

/** A new item's index keys: its log queue (byPending) and its UTC day (byDay). */
const queued = (n: Notarization) => ({ pending: queueOf(n.id), day: n.receivedAt.slice(0, 10) });

const DAY_MS = 86_400_000;

const toNotarization = (item: Record<string, unknown>): Notarization => ({
  id: item.id as string,
  owner: item.owner as string,
  sha256: item.sha256 as string,
  receivedAt: item.receivedAt as string,
  status: item.status as Notarization['status'],
  ...(item.name === undefined ? {} : { name: item.name as string }),
  ...(item.metadata === undefined ? {} : { metadata: item.metadata as Record<string, string> }),
  ...(item.file === undefined ? {} : { file: item.file as NotarizedFile }),
  ...(item.logIndex === undefined ? {} : { logIndex: item.logIndex as number }),
  ...(item.sealedAt === undefined ? {} : { sealedAt: item.sealedAt as string }),
  ...(item.quarantine === undefined ? {} : { quarantine: item.quarantine as Notarization['quarantine'] }),
  ...(item.timestamp === undefined ? {} : { timestamp: item.timestamp as IssuedToken }),
  ...(item.timestampId === undefined ? {} : { timestampId: item.timestampId as string }),
});

/**
 * Notarizations in their table. The id is a function of (owner, hash)
 * (core/notarization-id.ts), so one conditional put means a retried or
 * concurrent request can never create a second notarization of the same
 * document for the same owner.
 */
export class DynamoNotarizationStore implements NotarizationStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(notarizationsTable),
    /** Resolved when an audit event is written: functions that never write one need no Audit table. */
    private readonly auditTableName = () => resourceName(auditTable),
  ) {}

  async createOnce(notarization: Notarization, audit?: AuditEvent) {
    const put = {
      TableName: this.tableName,
      Item: { ...notarizationKey(notarization.id), ...notarization, ...queued(notarization) },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    try {
      if (audit) {
        // The notarization and its audit event land together, or neither does.
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: put }, auditPut(audit, this.auditTableName())],
          }),
        );
      } else {
        await this.db.send(new PutCommand(put));
      }
      return { created: true, notarization };
    } catch (err) {
      const exists =
        err instanceof ConditionalCheckFailedException ||
        (err instanceof TransactionCanceledException &&
          err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed');
      if (!exists) throw err;
    }
    const existing = await this.get(notarization.id);
    // The id is a function of (owner, hash), so the item in the way is this owner's notarization of this hash.
    if (!existing || existing.owner !== notarization.owner || existing.sha256 !== notarization.sha256)
      throw new Error(`notarization ${notarization.id} exists with another owner or hash`);
    return { created: false, notarization: existing };
  }

  async get(id: string): Promise<Notarization | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: notarizationKey(id), ConsistentRead: true }),
    );
    return Item ? toNotarization(Item) : undefined;
  }

  async createTimestamp(
    entry: Notarization,
    forNotarization?: string,
    audit?: AuditEvent,
  ): Promise<'created' | 'taken'> {
    const put = {
      Put: {
        TableName: this.tableName,
        Item: { ...notarizationKey(entry.id), ...entry, ...queued(entry) },
        // Token ids are random: an item in the way is a bug, never a retry.
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const record = forNotarization && {
      Update: {
        TableName: this.tableName,
        Key: notarizationKey(forNotarization),
        UpdateExpression: 'SET timestampId = :t',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(timestampId)',
        ExpressionAttributeValues: { ':t': entry.id },
      },
    };
    try {
      // The record stays second: a cancellation reason at index 1 means the notarization has a token.
      const items = [
        put,
        ...(record ? [record] : []),
        ...(audit ? [auditPut(audit, this.auditTableName())] : []),
      ];
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return 'created';
    } catch (err) {
      if (
        record &&
        err instanceof TransactionCanceledException &&
        err.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed'
      )
        return 'taken';
      throw err;
    }
  }

  async attachFile(id: string, owner: string, file: NotarizedFile): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.tableName,
      Key: notarizationKey(id),
      UpdateExpression: 'SET #file = :file',
      ConditionExpression: 'attribute_exists(pk) AND #owner = :owner AND attribute_not_exists(#file)',
      ExpressionAttributeNames: { '#file': 'file', '#owner': 'owner' },
      ExpressionAttributeValues: { ':file': file, ':owner': owner },
    });
  }

  async eraseDetails(id: string, owner: string): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.tableName,
      Key: notarizationKey(id),
      UpdateExpression: 'REMOVE #name, metadata',
      ConditionExpression:
        'attribute_exists(pk) AND #owner = :owner AND (attribute_exists(#name) OR attribute_exists(metadata))',
      ExpressionAttributeNames: { '#name': 'name', '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': owner },
    });
  }

  async findBySha256(sha256: string, limit: number): Promise<readonly Notarization[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'bySha256',
        KeyConditionExpression: 'sha256 = :h',
        ExpressionAttributeValues: { ':h': sha256 },
        Limit: limit,
      }),
    );
    return Items.map(toNotarization);
  }

  async listByOwner(owner: string, limit: number, cursor?: string): Promise<Page<Notarization>> {
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byOwner',
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': owner },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: this.ownedCursor(owner, cursor),
      }),
    );
    return { items: Items.map(toNotarization), nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  async listAll(limit: number, cursor?: string): Promise<Page<Notarization>> {
    // An operator's listing: a filtered scan (pages may hold fewer than `limit`), in no particular order.
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'sk = :sk',
        ExpressionAttributeValues: { ':sk': 'NOTARIZATION' },
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor, ['pk', 'sk']),
      }),
    );
    return { items: Items.map(toNotarization), nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  async listBetween(
    filter: { readonly owner?: string; readonly from: string; readonly to: string },
    limit: number,
    position?: string,
  ): Promise<Page<Notarization>> {
    const at =
      position === undefined ? {} : (JSON.parse(position) as { day?: string; key?: Record<string, string> });
    const page = (index: string, attribute: string, value: string, start: unknown, max: number) =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: '#k = :k AND receivedAt BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#k': attribute },
          ExpressionAttributeValues: { ':k': value, ':from': filter.from, ':to': filter.to },
          Limit: max,
          ExclusiveStartKey: start as Record<string, unknown> | undefined,
        }),
      );
    if (filter.owner) {
      const { Items = [], LastEvaluatedKey } = await page('byOwner', 'owner', filter.owner, at.key, limit);
      return {
        items: Items.map(toNotarization),
        nextCursor: encodeCursor(LastEvaluatedKey && { key: LastEvaluatedKey }),
      };
    }
    // Day by day, oldest first, from the position's day (or `from`'s) to `to`'s.
    const items: Notarization[] = [];
    let day = at.day ?? filter.from.slice(0, 10);
    let start: unknown = at.key;
    const last = filter.to.slice(0, 10);
    while (day <= last) {
      const { Items = [], LastEvaluatedKey } = await page('byDay', 'day', day, start, limit - items.length);
      items.push(...Items.map(toNotarization));
      if (LastEvaluatedKey) {
        if (items.length >= limit)
          return { items, nextCursor: JSON.stringify({ day, key: LastEvaluatedKey }) };
        start = LastEvaluatedKey;
        continue;
      }
      day = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
      start = undefined;
      if (items.length >= limit)
        return { items, nextCursor: day <= last ? JSON.stringify({ day }) : undefined };
    }
    return { items };
  }

  /** A cursor of someone else's listing is refused, not followed. */
  private ownedCursor(owner: string, cursor: string | undefined) {
    const key = decodeCursor(cursor, ['pk', 'sk', 'owner', 'receivedAt']);
    if (key && key.owner !== owner)
      throw new StempelError('invalid', 'invalid_cursor', 'The cursor is not one this listing issued.');
    return key;
  }
}
