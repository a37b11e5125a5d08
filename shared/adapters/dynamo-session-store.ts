import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RotationOutcome, Session, SessionStore } from '../ports/session-store';
import { identityTable, resourceName } from '../tables';
import { dynamoDocumentClient } from './dynamo-client';

const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: 'SESSION' });
const revokedKey = (tokenId: string) => ({ pk: `REVOKED#${tokenId}`, sk: 'REVOKED' });
/** Kept a day past its end, for forensics, then removed by the table's TTL. */
const TTL_GRACE_SECONDS = 24 * 3600;

/**
 * Refresh-token families and the access-token deny-list in the identity
 * table; both expire through the table's TTL attribute `expiresAt`.
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
      ...(Item.reauthenticatedAt === undefined
        ? {}
        : { reauthenticatedAt: Item.reauthenticatedAt as number }),
    };
  }

  async rotate(
    id: string,
    expectedHash: string,
    newHash: string,
    idleExpiresAt: number,
  ): Promise<RotationOutcome> {
    try {
      await this.db.send(
        new UpdateCommand({
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
        }),
      );
      return 'rotated';
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return 'stale';
      throw err;
    }
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

  async markReauthenticated(id: string, at: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: sessionKey(id),
        UpdateExpression: 'SET reauthenticatedAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  async revokeAccessToken(tokenId: string, expiresAt: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...revokedKey(tokenId), expiresAt: expiresAt + TTL_GRACE_SECONDS },
      }),
    );
  }

  async isAccessTokenRevoked(tokenId: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: revokedKey(tokenId), ConsistentRead: true }),
    );
    return Item !== undefined;
  }
}
