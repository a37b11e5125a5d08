import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RotationOutcome, Session, SessionStore } from '../ports/session-store';
import { identityTable, resourceName } from '../tables';
import { dynamoDocumentClient } from './dynamo-client';

const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: 'SESSION' });
/** A spent refresh token of the family, in the session's partition: a replay of it revokes the family. */
const spentKey = (id: string, tokenHash: string) => ({ pk: `SESSION#${id}`, sk: `SPENT#${tokenHash}` });
/** Kept a day past its end, for forensics, then removed by the table's TTL. */
const TTL_GRACE_SECONDS = 24 * 3600;

/**
 * Refresh-token families, and the hashes of their spent refresh tokens, in the
 * identity table; both expire through the table's TTL attribute `expiresAt`.
 */
export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(identityTable),
  ) {}

  async create(session: Session): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...sessionKey(session.id),
          ...session,
          expiresAt: session.absoluteExpiresAt + TTL_GRACE_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<Session | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: sessionKey(id), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      id: Item.id as string,
      userId: Item.userId as string,
      currentTokenHash: Item.currentTokenHash as string,
      createdAt: Item.createdAt as number,
      idleExpiresAt: Item.idleExpiresAt as number,
      absoluteExpiresAt: Item.absoluteExpiresAt as number,
      revoked: Item.revoked as boolean,
      credentialVersion: (Item.credentialVersion as number | undefined) ?? 0,
    };
  }

  async rotate(session: Session, newHash: string, idleExpiresAt: number): Promise<RotationOutcome> {
    const { id, currentTokenHash: expectedHash } = session;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: sessionKey(id),
                UpdateExpression: 'SET currentTokenHash = :new, idleExpiresAt = :idle',
                ConditionExpression: 'currentTokenHash = :expected AND revoked = :false',
                ExpressionAttributeValues: {
                  ':new': newHash,
                  ':idle': idleExpiresAt,
                  ':expected': expectedHash,
                  ':false': false,
                },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...spentKey(id, expectedHash),
                  expiresAt: session.absoluteExpiresAt + TTL_GRACE_SECONDS,
                },
              },
            },
          ],
        }),
      );
      return 'rotated';
    } catch (err) {
      if (
        err instanceof TransactionCanceledException &&
        err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      ) {
        return 'stale';
      }
      throw err;
    }
  }

  async wasSpent(id: string, tokenHash: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: spentKey(id, tokenHash), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(id),
          UpdateExpression: 'SET revoked = :true',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err; // gone already: nothing to revoke
    }
  }

  async rebind(id: string, credentialVersion: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sessionKey(id),
          UpdateExpression: 'SET credentialVersion = :v',
          ConditionExpression: 'attribute_exists(pk) AND revoked = :false',
          ExpressionAttributeValues: { ':v': credentialVersion, ':false': false },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
