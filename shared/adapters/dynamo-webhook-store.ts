import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../core/audit-event';
import type { AttemptRecord, StoredWebhook, WebhookStore } from '../ports/webhooks';
import { resourceName, webhooksTable } from '../tables';
import { auditWrites } from './dynamo-audit-store';
import { dynamoDocumentClient, transactWrite, updateIf } from './dynamo-client';

/** All endpoints share one partition (there are at most a few dozen), one item each. */
const PARTITION = 'WEBHOOK';
const webhookKey = (id: string) => ({ pk: PARTITION, sk: id });

const toWebhook = (item: Record<string, unknown>): StoredWebhook => ({
  id: item.id as string,
  url: item.url as string,
  events: item.events as StoredWebhook['events'],
  enabled: item.enabled as boolean,
  ...(item.description === undefined ? {} : { description: item.description as string }),
  createdAt: item.createdAt as string,
  createdBy: item.createdBy as string,
  sealedSecret: item.sealedSecret as string,
  delivery: {
    attempts: (item.attempts as number | undefined) ?? 0,
    ...(item.lastStatus === undefined ? {} : { lastStatus: item.lastStatus as 'delivered' | 'failed' }),
    ...(item.lastErrorCode === undefined ? {} : { lastErrorCode: item.lastErrorCode as string }),
    ...(item.lastAttemptAt === undefined ? {} : { lastAttemptAt: item.lastAttemptAt as string }),
    ...(item.lastDeliveredAt === undefined ? {} : { lastDeliveredAt: item.lastDeliveredAt as string }),
  },
});

const conditionFailed = (err: unknown) =>
  err instanceof ConditionalCheckFailedException ||
  (err instanceof TransactionCanceledException &&
    err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed');

/** Webhook endpoints in the Webhooks table; each admin change with its audit event in one transaction. */
export class DynamoWebhookStore implements WebhookStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(webhooksTable),
  ) {}

  async create(webhook: StoredWebhook, audit?: AuditEvent): Promise<void> {
    const { delivery, ...rest } = webhook;
    const put = {
      TableName: this.tableName,
      Item: { ...webhookKey(webhook.id), ...rest, attempts: delivery.attempts },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    if (audit) await transactWrite(this.db, [{ Put: put }, ...auditWrites(audit)]);
    else await this.db.send(new PutCommand(put));
  }

  async get(id: string): Promise<StoredWebhook | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: webhookKey(id), ConsistentRead: true }),
    );
    return Item ? toWebhook(Item) : undefined;
  }

  async list(): Promise<StoredWebhook[]> {
    const items: StoredWebhook[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': PARTITION },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []).map(toWebhook));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async delete(id: string, audit?: AuditEvent): Promise<boolean> {
    const del = {
      TableName: this.tableName,
      Key: webhookKey(id),
      ConditionExpression: 'attribute_exists(pk)',
    };
    try {
      if (audit) await transactWrite(this.db, [{ Delete: del }, ...auditWrites(audit)]);
      else await this.db.send(new DeleteCommand(del));
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  async setEnabled(id: string, enabled: boolean, audit?: AuditEvent): Promise<StoredWebhook | undefined> {
    const written = await updateIf(
      this.db,
      {
        TableName: this.tableName,
        Key: webhookKey(id),
        UpdateExpression: 'SET enabled = :e',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':e': enabled },
      },
      auditWrites(audit),
    );
    return written ? this.get(id) : undefined;
  }

  async recordAttempt(id: string, attempt: AttemptRecord): Promise<void> {
    const values: Record<string, unknown> = {
      ':one': 1,
      ':zero': 0,
      ':at': attempt.at,
      ':status': attempt.delivered ? 'delivered' : 'failed',
    };
    let set = 'attempts = if_not_exists(attempts, :zero) + :one, lastAttemptAt = :at, lastStatus = :status';
    if (attempt.delivered) set += ', lastDeliveredAt = :at';
    if (attempt.errorCode) {
      set += ', lastErrorCode = :code';
      values[':code'] = attempt.errorCode;
    }
    // A deleted endpoint is not brought back by a late attempt.
    await updateIf(this.db, {
      TableName: this.tableName,
      Key: webhookKey(id),
      UpdateExpression: `SET ${set}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: values,
    });
  }
}
