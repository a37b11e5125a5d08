import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LoginAttemptState, LoginAttempts } from '../ports/login-attempts';
import { identityTable, resourceName } from '../tables';
import { dynamoDocumentClient } from './dynamo-client';

/** Keyed by username, not user id, so unknown usernames lock exactly like real ones. */
const attemptsKey = (username: string) => ({ pk: `LOGIN#${username}`, sk: 'ATTEMPTS' });
/** A day without failures forgets them (TTL). */
const FORGET_AFTER_SECONDS = 24 * 3600;

export class DynamoLoginAttempts implements LoginAttempts {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(identityTable),
  ) {}

  async get(username: string): Promise<LoginAttemptState> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: attemptsKey(username), ConsistentRead: true }),
    );
    return {
      failures: (Item?.failures as number | undefined) ?? 0,
      ...(Item?.lockedUntil === undefined ? {} : { lockedUntil: Item.lockedUntil as number }),
    };
  }

  async recordFailure(username: string, now: number, lockFor: (failures: number) => number | undefined) {
    // ADD is atomic, so concurrent guesses each count.
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: attemptsKey(username),
        UpdateExpression: 'ADD failures :one SET expiresAt = :forget',
        ExpressionAttributeValues: { ':one': 1, ':forget': Math.floor(now / 1000) + FORGET_AFTER_SECONDS },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const failures = Attributes?.failures as number;
    const lockMs = lockFor(failures);
    if (lockMs === undefined) return { failures };
    const lockedUntil = now + lockMs;
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: attemptsKey(username),
        UpdateExpression: 'SET lockedUntil = :until',
        ExpressionAttributeValues: { ':until': lockedUntil },
      }),
    );
    return { failures, lockedUntil };
  }

  async clear(username: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: attemptsKey(username) }));
  }
}
