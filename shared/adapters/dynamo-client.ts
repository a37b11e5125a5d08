import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { StempelError } from '../core/errors';

/**
 * One document client per process. The endpoint comes from the standard
 * AWS_ENDPOINT_URL_DYNAMODB variable, which points it at DynamoDB Local.
 */
let client: DynamoDBDocumentClient | undefined;
export const dynamoDocumentClient = (): DynamoDBDocumentClient => {
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
};

/** DynamoDB's own conflicts between transactions on the same item clear up when tried again. */
const CONFLICT_RETRIES = 5;
const isConflictOnly = (err: unknown) =>
  err instanceof TransactionCanceledException &&
  (err.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict') &&
  !(err.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');

/**
 * One TransactWriteItems, tried again (with jittered backoff) while it failed
 * only because another transaction held one of its items at that moment.
 */
export async function transactWrite(
  db: DynamoDBDocumentClient,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items as never }));
      return;
    } catch (err) {
      if (!isConflictOnly(err) || attempt >= CONFLICT_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
    }
  }
}

/**
 * One conditional UpdateItem: true if it was written, false if its condition
 * did not hold (nothing was written); any other failure is thrown. With
 * `together` (writes that must not fail their own conditions, such as an
 * audit event), all are one transaction: all written, or none.
 */
export async function updateIf(
  db: DynamoDBDocumentClient,
  input: ConstructorParameters<typeof UpdateCommand>[0],
  together: readonly Record<string, unknown>[] = [],
): Promise<boolean> {
  try {
    if (together.length === 0) await db.send(new UpdateCommand(input));
    else await transactWrite(db, [{ Update: input }, ...together]);
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    if (
      err instanceof TransactionCanceledException &&
      err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
    )
      return false;
    throw err;
  }
}

/** "The user still has credential version `:v`"; a user stored before versions existed has version 0. */
export const credentialVersionIs = (version: number) =>
  version === 0
    ? '(attribute_not_exists(credentialVersion) OR credentialVersion = :v)'
    : 'credentialVersion = :v';

/** A listing's position: the DynamoDB key to continue after (sealed into a cursor by the core). */
export const encodeCursor = (key: Record<string, unknown> | undefined): string | undefined =>
  key ? JSON.stringify(key) : undefined;

export const decodeCursor = (
  cursor: string | undefined,
  keyNames: readonly string[],
): Record<string, string> | undefined => {
  // Positions arrive MAC-checked; the shape check is defence in depth, never a silent restart from page one.
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(cursor) as unknown;
    if (
      typeof key === 'object' &&
      key !== null &&
      Object.keys(key).length === keyNames.length &&
      keyNames.every((k) => typeof (key as Record<string, unknown>)[k] === 'string')
    ) {
      return key as Record<string, string>;
    }
  } catch {
    // not JSON: not ours
  }
  throw new StempelError('invalid', 'invalid_cursor', 'The cursor is not one this listing issued.');
};

/**
 * Writes `item` together with a `reservation` that makes some other key unique
 * (a username, an owner's hash), in one transaction. Returns false, writing
 * nothing, when the reservation is taken.
 */
export async function putWithReservation(
  db: DynamoDBDocumentClient,
  tableName: string,
  reservation: Record<string, unknown>,
  item: Record<string, unknown>,
  /** Further writes of the same transaction (which must not fail their own conditions). */
  more: Record<string, unknown>[] = [],
): Promise<boolean> {
  const put = (Item: Record<string, unknown>) => ({
    Put: { TableName: tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
  });
  try {
    await transactWrite(db, [put(reservation), put(item), ...more]);
    return true;
  } catch (err) {
    if (
      err instanceof TransactionCanceledException &&
      err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
    ) {
      return false;
    }
    throw err;
  }
}
