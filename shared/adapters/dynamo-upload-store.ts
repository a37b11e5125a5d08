import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../core/audit-event';
import type { Rejection, Upload, UploadStore } from '../ports/upload-store';
import { filesTable, resourceName } from '../tables';
import { auditWrites } from './dynamo-audit-store';
import { dynamoDocumentClient, transactWrite, updateIf } from './dynamo-client';

const uploadKey = (id: string) => ({ pk: `UPLOAD#${id}`, sk: 'UPLOAD' });
/** DynamoDB removes an upload's record a day after the upload expired (used or not). */
const RECORD_GRACE_SECONDS = 86_400;

/** Uploads in the Files table, one item each; state changes are conditional, so one request wins a claim. */
export class DynamoUploadStore implements UploadStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(filesTable),
  ) {}

  async create(upload: Upload, audit?: AuditEvent): Promise<void> {
    const { expiresAt, ...rest } = upload;
    const put = {
      TableName: this.tableName,
      Item: {
        ...uploadKey(upload.id),
        ...rest,
        validUntil: expiresAt,
        expiresAt: Math.ceil(Date.parse(expiresAt) / 1000) + RECORD_GRACE_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    // A random id that exists already is a bug, never a retry to absorb.
    if (audit) await transactWrite(this.db, [{ Put: put }, ...auditWrites(audit)]);
    else await this.db.send(new PutCommand(put));
  }

  async get(id: string): Promise<Upload | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: uploadKey(id), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _ttl, validUntil, ...upload } = Item;
    return { ...upload, expiresAt: validUntil } as Upload;
  }

  async claim(id: string, owner: string, now: string, staleBefore: string): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.tableName,
      Key: uploadKey(id),
      UpdateExpression: 'SET #state = :verifying, claimedAt = :now',
      ConditionExpression:
        '#owner = :owner AND validUntil > :now AND (#state = :open OR (#state IN (:verifying, :hashing) AND claimedAt < :stale))',
      ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
      ExpressionAttributeValues: {
        ':verifying': 'verifying',
        ':hashing': 'hashing',
        ':open': 'open',
        ':owner': owner,
        ':now': now,
        ':stale': staleBefore,
      },
    });
  }

  async release(id: string, claimedAt: string): Promise<void> {
    await updateIf(this.db, {
      TableName: this.tableName,
      Key: uploadKey(id),
      UpdateExpression: 'SET #state = :open REMOVE claimedAt',
      ConditionExpression: '#state = :verifying AND claimedAt = :claimedAt',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':open': 'open', ':verifying': 'verifying', ':claimedAt': claimedAt },
    });
  }

  async handOver(
    id: string,
    claimedAt: string,
    now: string,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.tableName,
      Key: uploadKey(id),
      UpdateExpression: `SET #state = :hashing, claimedAt = :now${metadata ? ', metadata = :metadata' : ''}`,
      ConditionExpression: '#state = :verifying AND claimedAt = :claimedAt',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':hashing': 'hashing',
        ':verifying': 'verifying',
        ':claimedAt': claimedAt,
        ':now': now,
        ...(metadata ? { ':metadata': { ...metadata } } : {}),
      },
    });
  }

  async finish(
    id: string,
    outcome: { notarizationId: string; created: boolean } | { rejection: Rejection },
    audit?: AuditEvent,
  ): Promise<void> {
    const fields =
      'rejection' in outcome ? { state: 'rejected', ...outcome } : { state: 'notarized', ...outcome };
    const names = Object.keys(fields);
    // The first outcome stands: a verifier that finishes second (a repeated delivery) changes nothing.
    // Its audit event is written only with the outcome that stands.
    await updateIf(
      this.db,
      {
        TableName: this.tableName,
        Key: uploadKey(id),
        UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')} REMOVE claimedAt`,
        ConditionExpression: '#state IN (:verifying, :hashing)',
        ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(Object.entries(fields).map(([n, v]) => [`:${n}`, v])),
          ':verifying': 'verifying',
          ':hashing': 'hashing',
        },
      },
      auditWrites(audit),
    );
  }
}
