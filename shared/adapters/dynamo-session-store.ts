import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../core/audit-event';
import type { RotationOutcome, Session, SessionStore } from '../ports/session-store';
import { identityTable, resourceName } from '../tables';
import { auditWrites } from './dynamo-audit-store';
import { credentialVersionIs, dynamoDocumentClient, updateIf } from './dynamo-client';
import { storedSession, userKey } from './dynamo-user-store';

/** A spent refresh token of a family, in an item of its own: a replay of it revokes the family. */
const spentKey = (id: string, tokenHash: string) => ({ pk: `SESSION#${id}`, sk: `SPENT#${tokenHash}` });
/** DynamoDB's answer to a SET on a path inside a map the item does not have (alone, or in a transaction). */
const isMissingMap = (err: unknown) =>
  err instanceof TransactionCanceledException
    ? (err.CancellationReasons ?? []).some((r) => /document path/i.test(r.Message ?? ''))
    : (err as Error).name === 'ValidationException' && /document path/i.test((err as Error).message);
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

  async create(session: Session, forget: readonly string[], audit?: AuditEvent): Promise<boolean> {
    const names: Record<string, string> = { '#s': session.id };
    forget.forEach((id, i) => {
      names[`#f${i}`] = id;
    });
    const removes = forget.map((_, i) => `sessions.#f${i}`);
    const allowed = `attribute_exists(pk) AND disabled = :false AND ${credentialVersionIs(session.credentialVersion)}`;
    const values = { ':false': false, ':v': session.credentialVersion };
    try {
      return await updateIf(
        this.db,
        {
          TableName: this.tableName,
          Key: userKey(session.userId),
          UpdateExpression: `SET sessions.#s = :session${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: allowed,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':session': storedSession(session) },
        },
        auditWrites(audit),
      );
    } catch (err) {
      if (!isMissingMap(err) || forget.length > 0) throw err;
      // A user written before sessions lived in the user item has no map to add to: start one.
      return updateIf(
        this.db,
        {
          TableName: this.tableName,
          Key: userKey(session.userId),
          UpdateExpression: 'SET sessions = :sessions',
          ConditionExpression: `${allowed} AND attribute_not_exists(sessions)`,
          ExpressionAttributeValues: { ...values, ':sessions': { [session.id]: storedSession(session) } },
        },
        auditWrites(audit),
      );
    }
  }

  async rotate(
    session: Session,
    newHash: string,
    idleExpiresAt: number,
    audit?: AuditEvent,
  ): Promise<RotationOutcome> {
    // Spent first, then the swap (with its audit event): a spent mark for a swap that then fails is
    // harmless, as a hash is looked up among the spent only when it is not the current one.
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...spentKey(session.id, session.currentTokenHash),
          expiresAt: session.absoluteExpiresAt + TTL_GRACE_SECONDS,
        },
      }),
    );
    const rotated = await updateIf(
      this.db,
      {
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
      },
      auditWrites(audit),
    );
    if (rotated) return 'rotated';
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: userKey(session.userId),
        ProjectionExpression: 'sessions.#s',
        ExpressionAttributeNames: { '#s': session.id },
        ConsistentRead: true,
      }),
    );
    return (Item?.sessions as Record<string, unknown> | undefined)?.[session.id] ? 'stale' : 'gone';
  }

  async wasSpent(id: string, tokenHash: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: spentKey(id, tokenHash), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  async revoke(userId: string, id: string, audit?: AuditEvent): Promise<void> {
    // A user that is gone has no sessions left to end: a failed condition is the same outcome.
    await updateIf(
      this.db,
      {
        TableName: this.tableName,
        Key: userKey(userId),
        UpdateExpression: 'REMOVE sessions.#s',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#s': id },
      },
      auditWrites(audit),
    );
  }
}
