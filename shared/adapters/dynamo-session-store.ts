import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RotationOutcome, Session, SessionStore } from '../ports/session-store';
import { identityTable, resourceName } from '../tables';
import { credentialVersionIs, dynamoDocumentClient, updateIf } from './dynamo-client';
import { storedSession, userKey } from './dynamo-user-store';

/** A spent refresh token of a family, in an item of its own: a replay of it revokes the family. */
const spentKey = (id: string, tokenHash: string) => ({ pk: `SESSION#${id}`, sk: `SPENT#${tokenHash}` });
/** DynamoDB's answer to a SET on a path inside a map the item does not have. */
const isMissingMap = (err: unknown) =>
  (err as Error).name === 'ValidationException' && /document path/i.test((err as Error).message);
/** Kept a day past the session's end, for forensics, then removed by the table's TTL. */
const TTL_GRACE_SECONDS = 24 * 3600;

/**
 * Refresh-token families, stored in the `sessions` map of their user's item
 * (so the authorizer needs one read), and the hashes of their spent refresh
 * tokens, in items that expire through the table's TTL attribute `expiresAt`.
 */
export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(identityTable),
  ) {}

  async create(session: Session, forget: readonly string[]): Promise<boolean> {
    const names: Record<string, string> = { '#s': session.id };
    forget.forEach((id, i) => {
      names[`#f${i}`] = id;
    });
    const removes = forget.map((_, i) => `sessions.#f${i}`);
    const allowed = `attribute_exists(pk) AND disabled = :false AND ${credentialVersionIs(session.credentialVersion)}`;
    const values = { ':false': false, ':v': session.credentialVersion };
    try {
      return await updateIf(this.db, {
        TableName: this.tableName,
        Key: userKey(session.userId),
        UpdateExpression: `SET sessions.#s = :session${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: allowed,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':session': storedSession(session) },
      });
    } catch (err) {
      if (!isMissingMap(err) || forget.length > 0) throw err;
      // A user written before sessions lived in the user item has no map to add to: start one.
      return updateIf(this.db, {
        TableName: this.tableName,
        Key: userKey(session.userId),
        UpdateExpression: 'SET sessions = :sessions',
        ConditionExpression: `${allowed} AND attribute_not_exists(sessions)`,
        ExpressionAttributeValues: { ...values, ':sessions': { [session.id]: storedSession(session) } },
      });
    }
  }

  async rotate(session: Session, newHash: string, idleExpiresAt: number): Promise<RotationOutcome> {
    // Spent first, then the swap: a spent mark for a swap that then fails is harmless (a hash is looked
    // up among the spent only when it is not the current one), and a single-item update on the user
    // never conflicts with other writes to it the way a transaction would.
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...spentKey(session.id, session.currentTokenHash),
          expiresAt: session.absoluteExpiresAt + TTL_GRACE_SECONDS,
        },
      }),
    );
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: userKey(session.userId),
          UpdateExpression: 'SET sessions.#s.currentTokenHash = :new, sessions.#s.idleExpiresAt = :idle',
          ConditionExpression: 'sessions.#s.currentTokenHash = :expected',
          ExpressionAttributeNames: { '#s': session.id },
          ExpressionAttributeValues: {
            ':new': newHash,
            ':idle': idleExpiresAt,
            ':expected': session.currentTokenHash,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'rotated';
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const sessions = (err.Item?.sessions as { M?: Record<string, unknown> } | undefined)?.M;
      return sessions && session.id in sessions ? 'stale' : 'gone';
    }
  }

  async wasSpent(id: string, tokenHash: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: spentKey(id, tokenHash), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  async revoke(userId: string, id: string): Promise<void> {
    // A user that is gone has no sessions left to end: a failed condition is the same outcome.
    await updateIf(this.db, {
      TableName: this.tableName,
      Key: userKey(userId),
      UpdateExpression: 'REMOVE sessions.#s',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#s': id },
    });
  }
}
