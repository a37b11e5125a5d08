import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../core/audit-event';
import { StempelError } from '../core/errors';
import type { AuditFilter, AuditStore, StoredAuditEvent } from '../ports/audit-store';
import type { Page } from '../ports/page';
import { auditTable, resourceName } from '../tables';
import { dynamoDocumentClient } from './dynamo-client';
import type { LogQueue } from './dynamo-log-store';

export const auditEventKey = (id: string) => ({ pk: `EVENT#${id}`, sk: 'EVENT' });

/** The audit log's queue shards (see QUEUE_SHARDS of the notarizations: the same reasoning). */
const AUDIT_SHARDS = Array.from({ length: 8 }, (_, k) => `audit#${k}`);
const shardOf = (id: string) =>
  AUDIT_SHARDS[(Number.parseInt(id.slice(0, 2), 16) || 0) % AUDIT_SHARDS.length];

/** How the audit log finds its queued events (for DynamoLogStore). */
export const AUDIT_QUEUE: LogQueue = { key: auditEventKey, shards: AUDIT_SHARDS };

/** The Audit table item of a new event: queued for the log, findable by day, actor, action and target. */
export const auditItem = (event: AuditEvent) => ({
  ...auditEventKey(event.id),
  ...event,
  receivedAt: event.at,
  day: event.at.slice(0, 10),
  pending: shardOf(event.id),
});

/** The transaction item that writes a new event, for stores that write it with their own change. */
export const auditPut = (event: AuditEvent, tableName = resourceName(auditTable)) => ({
  Put: { TableName: tableName, Item: auditItem(event), ConditionExpression: 'attribute_not_exists(pk)' },
});

/** The transaction items of a change's audit event, if it has one. */
export const auditWrites = (audit: AuditEvent | undefined) => (audit ? [auditPut(audit)] : []);

const toEvent = (item: Record<string, unknown>): StoredAuditEvent => {
  const { pk: _pk, sk: _sk, receivedAt: _r, day: _d, pending: _p, ...event } = item;
  return event as unknown as StoredAuditEvent;
};

/** A listing position: the index's last key, and for day-by-day listings the day it is in. */
interface Position {
  readonly day?: string;
  readonly key?: Record<string, string>;
}

const DAY_MS = 86_400_000;

/** Audit events in the Audit table. */
export class DynamoAuditStore implements AuditStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(auditTable),
  ) {}

  async record(event: AuditEvent): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: auditItem(event),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async erasePersonal(userId: string): Promise<number> {
    let erased = 0;
    for (const [index, attribute, value] of [
      ['byActor', 'actor', userId],
      ['byTarget', 'target', `user:${userId}`],
    ] as const) {
      let start: Record<string, unknown> | undefined;
      do {
        const { Items = [], LastEvaluatedKey } = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index,
            KeyConditionExpression: '#k = :v',
            ExpressionAttributeNames: { '#k': attribute },
            ExpressionAttributeValues: { ':v': value },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of Items) {
          if (item.salt === undefined && item.personal === undefined) continue;
          await this.db.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: auditEventKey(item.id as string),
              UpdateExpression: 'REMOVE personal, salt SET erasedAt = :now',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':now': new Date().toISOString() },
            }),
          );
          erased++;
        }
        start = LastEvaluatedKey;
      } while (start);
    }
    return erased;
  }

  async get(id: string): Promise<StoredAuditEvent | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: auditEventKey(id), ConsistentRead: true }),
    );
    return Item ? toEvent(Item) : undefined;
  }

  async query(filter: AuditFilter, limit: number, position?: string): Promise<Page<StoredAuditEvent>> {
    const at = parsePosition(position);
    // The most selective exact match picks the index; the others filter.
    const [index, attribute] = filter.actor
      ? (['byActor', 'actor'] as const)
      : filter.target
        ? (['byTarget', 'target'] as const)
        : filter.action
          ? (['byAction', 'action'] as const)
          : (['byDay', 'day'] as const);
    const rest = (['actor', 'target', 'action'] as const).filter((f) => f !== attribute && filter[f]);
    const page = (value: string, startKey: Record<string, string> | undefined, max: number) =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: '#k = :k AND #at BETWEEN :from AND :to',
          ...(rest.length > 0 ? { FilterExpression: rest.map((f) => `#${f} = :${f}`).join(' AND ') } : {}),
          ExpressionAttributeNames: {
            '#k': attribute,
            '#at': 'at',
            ...Object.fromEntries(rest.map((f) => [`#${f}`, f])),
          },
          ExpressionAttributeValues: {
            ':k': value,
            ':from': filter.from,
            ':to': filter.to,
            ...Object.fromEntries(rest.map((f) => [`:${f}`, filter[f]])),
          },
          ScanIndexForward: false,
          Limit: max,
          ExclusiveStartKey: startKey,
        }),
      );

    if (attribute !== 'day') {
      const { Items = [], LastEvaluatedKey } = await page(filter[attribute] as string, at.key, limit);
      return { items: Items.map(toEvent), nextCursor: encode({ key: LastEvaluatedKey }) };
    }
    // Day by day, newest first, from the position's day (or `to`'s) down to `from`'s.
    const items: StoredAuditEvent[] = [];
    let day = at.day ?? filter.to.slice(0, 10);
    let startKey = at.key;
    const first = filter.from.slice(0, 10);
    while (day >= first) {
      const { Items = [], LastEvaluatedKey } = await page(day, startKey, limit - items.length);
      items.push(...Items.map(toEvent));
      if (LastEvaluatedKey) {
        if (items.length >= limit) return { items, nextCursor: encode({ day, key: LastEvaluatedKey }) };
        startKey = LastEvaluatedKey as Record<string, string>;
        continue;
      }
      day = new Date(Date.parse(`${day}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
      startKey = undefined;
      if (items.length >= limit) return { items, nextCursor: day >= first ? encode({ day }) : undefined };
    }
    return { items };
  }
}

const encode = (position: { day?: string; key?: Record<string, unknown> }) =>
  position.key || position.day ? JSON.stringify(position) : undefined;

function parsePosition(position: string | undefined): Position {
  // Positions arrive MAC-checked (core/cursors.ts); the shape check is defence in depth.
  if (position === undefined) return {};
  try {
    const parsed = JSON.parse(position) as Position;
    if (typeof parsed === 'object' && parsed !== null) return parsed;
  } catch {
    // not ours
  }
  throw new StempelError('invalid', 'invalid_cursor', 'The cursor is not one this listing issued.');
}
