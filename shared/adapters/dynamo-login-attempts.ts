import { DeleteCommand, GetCommand, QueryCommand, type UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../core/audit-event';
import type { AttemptClaim, LockoutPolicy, LoginAttempts } from '../ports/login-attempts';
import { identityTable, resourceName } from '../tables';
import { auditWrites } from './dynamo-audit-store';
import { dynamoDocumentClient, transactWrite, updateIf } from './dynamo-client';

/**
 * Keyed by username, not user id, so unknown usernames lock exactly like real
 * ones; all counters of a username share its partition, so an unlock finds them.
 */
const attemptsPk = (username: string) => `LOGIN#${username}`;
const attemptsKey = (username: string, scope: string) => ({
  pk: attemptsPk(username),
  sk: scope === '' ? 'ATTEMPTS' : `ATTEMPTS#${scope}`,
});
/** DynamoDB's limit on the items of one transaction. */
const TRANSACTION_ITEMS = 100;
/** A day without attempts forgets them (TTL). */
const FORGET_AFTER_SECONDS = 24 * 3600;

export class DynamoLoginAttempts implements LoginAttempts {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(identityTable),
  ) {}

  async claim(username: string, scope: string, now: number, policy: LockoutPolicy): Promise<AttemptClaim> {
    const Key = attemptsKey(username, scope);
    const forget = Math.floor(now / 1000) + FORGET_AFTER_SECONDS;
    const notLocked = '(attribute_not_exists(lockedUntil) OR lockedUntil <= :now)';
    for (let round = 0; round < 5; round++) {
      // Below the threshold: count, in one conditional write with the lock check.
      if (
        await this.tryUpdate({
          Key,
          UpdateExpression: 'ADD failures :one SET expiresAt = :forget',
          ConditionExpression: `${notLocked} AND (attribute_not_exists(failures) OR failures < :below)`,
          ExpressionAttributeValues: {
            ':one': 1,
            ':now': now,
            ':forget': forget,
            ':below': policy.threshold - 1,
          },
        })
      ) {
        return { allowed: true, locked: false };
      }
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
      );
      const lockedUntil = Item?.lockedUntil as number | undefined;
      if (lockedUntil !== undefined && lockedUntil > now)
        return { allowed: false, retryAfterMs: lockedUntil - now };
      // At or past the threshold: this attempt locks as it is counted; of racing attempts only one gets through.
      const seen = (Item?.failures as number | undefined) ?? 0;
      if (
        await this.tryUpdate({
          Key,
          UpdateExpression: 'ADD failures :one SET expiresAt = :forget, lockedUntil = :until',
          ConditionExpression: `${notLocked} AND failures = :seen`,
          ExpressionAttributeValues: {
            ':one': 1,
            ':now': now,
            ':forget': forget,
            ':seen': seen,
            ':until': now + policy.lockMs(seen + 1),
          },
        })
      ) {
        return { allowed: true, locked: true };
      }
    }
    return { allowed: false, retryAfterMs: 1000 }; // heavy contention on one username: that is an attack
  }

  private tryUpdate(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) {
    return updateIf(this.db, { TableName: this.tableName, ...input });
  }

  async clear(username: string, scope: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: attemptsKey(username, scope) }));
  }

  async clearAll(username: string, audit?: AuditEvent): Promise<void> {
    const keys: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': attemptsPk(username) },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      keys.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    // The username-wide counter (sk ATTEMPTS sorts first) goes in the last write, with the event: a
    // username locked everywhere stays locked until the unlock and its audit event land together.
    const last = [...keys.slice(0, 1), ...keys.slice(1).slice(-(TRANSACTION_ITEMS - 2))];
    const before = keys.filter((k) => !last.includes(k));
    await Promise.all(
      before.map((Key) => this.db.send(new DeleteCommand({ TableName: this.tableName, Key }))),
    );
    const deletes = last.map((Key) => ({ Delete: { TableName: this.tableName, Key } }));
    const writes = [...deletes, ...auditWrites(audit)];
    if (writes.length > 0) await transactWrite(this.db, writes);
  }
}
