import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../core/audit-event';
import { StempelError } from '../core/errors';
import type { Page } from '../ports/page';
import type { Session } from '../ports/session-store';
import type { AdminGuard, UserChanges, UserRecord, UserStore } from '../ports/user-store';
import { identityTable, resourceName } from '../tables';
import { auditWrites } from './dynamo-audit-store';
import {
  credentialVersionIs,
  decodeCursor,
  dynamoDocumentClient,
  encodeCursor,
  putWithReservation,
  transactWrite,
  updateIf,
} from './dynamo-client';

export const userKey = (id: string) => ({ pk: `USER#${id}`, sk: 'USER' });
const usernameKey = (username: string) => ({ pk: `USERNAME#${username}`, sk: 'USERNAME' });
const LIST_PARTITION = 'USER';

const toRecord = (item: Record<string, unknown>): UserRecord => ({
  id: item.id as string,
  username: item.username as string,
  roles: item.roles as UserRecord['roles'],
  // Absent from listings (the byList index does not carry it); an empty hash never verifies.
  passwordHash: (item.passwordHash as string | undefined) ?? '',
  mustChangePassword: item.mustChangePassword as boolean,
  disabled: item.disabled as boolean,
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string,
  ...(item.otpSecret === undefined ? {} : { otpSecret: item.otpSecret as string }),
  ...(item.otpPendingSecret === undefined ? {} : { otpPendingSecret: item.otpPendingSecret as string }),
  ...(item.otpLastStep === undefined ? {} : { otpLastStep: item.otpLastStep as number }),
  credentialVersion: (item.credentialVersion as number | undefined) ?? 0,
  sessions: Object.fromEntries(
    Object.entries((item.sessions as Record<string, Record<string, unknown>> | undefined) ?? {}).map(
      ([id, s]) => [id, toSession(item.id as string, id, s)],
    ),
  ),
});

/** A session as stored inside its user's item: the user id and session id are the item's and the key's. */
export const toSession = (userId: string, id: string, s: Record<string, unknown>): Session => ({
  id,
  userId,
  currentTokenHash: s.currentTokenHash as string,
  createdAt: s.createdAt as number,
  idleExpiresAt: s.idleExpiresAt as number,
  absoluteExpiresAt: s.absoluteExpiresAt as number,
  credentialVersion: s.credentialVersion as number,
});

export const storedSession = ({ id: _id, userId: _userId, ...rest }: Session) => rest;

/** How many enabled admins exist; kept in the same transactions that change them. */
const ADMIN_COUNTER_KEY = { pk: 'COUNTER#ACTIVE_ADMINS', sk: 'COUNTER' };
const ADMIN_COUNTER_INCREMENT = (TableName: string) => ({
  Update: {
    TableName,
    Key: ADMIN_COUNTER_KEY,
    UpdateExpression: 'ADD #c :one',
    ExpressionAttributeNames: { '#c': 'count' },
    ExpressionAttributeValues: { ':one': 1 },
  },
});

const userNotFound = () => new StempelError('not_found', 'user_not_found', 'No such user.');
const concurrentUpdate = () =>
  new StempelError('conflict', 'concurrent_update', 'The user changed meanwhile; reload it and try again.');

/**
 * Users in the identity table: one item per user, plus one per username that
 * reserves it, written together in a transaction so usernames stay unique.
 */
export class DynamoUserStore implements UserStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(identityTable),
  ) {}

  async create(user: UserRecord, audit?: AuditEvent): Promise<void> {
    const activeAdmin = user.roles.includes('admin') && !user.disabled;
    const created = await putWithReservation(
      this.db,
      this.tableName,
      { ...usernameKey(user.username), userId: user.id },
      { ...userKey(user.id), ...user, listPk: LIST_PARTITION, listSk: user.username },
      [...(activeAdmin ? [ADMIN_COUNTER_INCREMENT(this.tableName)] : []), ...auditWrites(audit)],
    );
    if (!created) throw new StempelError('conflict', 'username_taken', 'That username is already taken.');
  }

  async getById(id: string): Promise<UserRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: userKey(id), ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async getByUsername(username: string): Promise<UserRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: usernameKey(username), ConsistentRead: true }),
    );
    return Item ? this.getById(Item.userId as string) : undefined;
  }

  async list(limit: number, cursor?: string): Promise<Page<UserRecord>> {
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byList',
        KeyConditionExpression: 'listPk = :p',
        ExpressionAttributeValues: { ':p': LIST_PARTITION },
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor, ['pk', 'sk', 'listPk', 'listSk']),
      }),
    );
    return { items: Items.map(toRecord), nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  async setPassword(
    id: string,
    passwordHash: string,
    mustChangePassword: boolean,
    updatedAt: string,
    credentialVersion: number,
    keep?: Session,
    audit?: AuditEvent,
  ): Promise<void> {
    const next = credentialVersion + 1;
    const written = await updateIf(
      this.db,
      {
        TableName: this.tableName,
        Key: userKey(id),
        UpdateExpression:
          'SET passwordHash = :h, mustChangePassword = :m, updatedAt = :u, credentialVersion = :next, sessions = :kept',
        // The kept session must still be as read: a refresh or logout meanwhile is not undone.
        ConditionExpression: `attribute_exists(pk) AND ${credentialVersionIs(credentialVersion)}${
          keep ? ' AND sessions.#k.currentTokenHash = :kh' : ''
        }`,
        ...(keep ? { ExpressionAttributeNames: { '#k': keep.id } } : {}),
        ExpressionAttributeValues: {
          ':h': passwordHash,
          ':m': mustChangePassword,
          ':u': updatedAt,
          ':v': credentialVersion,
          ':next': next,
          ':kept': keep ? { [keep.id]: { ...storedSession(keep), credentialVersion: next } } : {},
          ...(keep ? { ':kh': keep.currentTokenHash } : {}),
        },
      },
      auditWrites(audit),
    );
    if (written) return;
    if (!(await this.getById(id))) throw userNotFound();
    throw concurrentUpdate();
  }

  async update(
    id: string,
    changes: UserChanges,
    updatedAt: string,
    guard?: AdminGuard,
    audit?: AuditEvent,
  ): Promise<UserRecord> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':u': updatedAt };
    const sets = ['updatedAt = :u'];
    const removes: string[] = [];
    Object.entries(changes).forEach(([field, value], i) => {
      if (value === undefined) return;
      names[`#f${i}`] = field;
      if (value === null) removes.push(`#f${i}`);
      else {
        values[`:v${i}`] = value;
        sets.push(`#f${i} = :v${i}`);
      }
    });
    if (guard) values[':prev'] = guard.expectedUpdatedAt;
    const userUpdate = {
      TableName: this.tableName,
      Key: userKey(id),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: guard ? 'attribute_exists(pk) AND updatedAt = :prev' : 'attribute_exists(pk)',
      ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
      ExpressionAttributeValues: values,
    };
    await this.writeWithAdminCount(
      { Update: userUpdate },
      guard?.activeAdminDelta ?? 0,
      id,
      auditWrites(audit),
    );
    const updated = await this.getById(id);
    if (!updated) throw userNotFound();
    return updated;
  }

  acceptOtpStep(id: string, step: number): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.tableName,
      Key: userKey(id),
      UpdateExpression: 'SET otpLastStep = :s',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(otpLastStep) OR otpLastStep < :s)',
      ExpressionAttributeValues: { ':s': step },
    });
  }

  async delete(user: UserRecord, guard: AdminGuard, audit?: AuditEvent): Promise<void> {
    await this.writeWithAdminCount(
      {
        Delete: {
          TableName: this.tableName,
          Key: userKey(user.id),
          ConditionExpression: 'attribute_exists(pk) AND updatedAt = :prev',
          ExpressionAttributeValues: { ':prev': guard.expectedUpdatedAt },
        },
      },
      guard.activeAdminDelta,
      user.id,
      [{ Delete: { TableName: this.tableName, Key: usernameKey(user.username) } }, ...auditWrites(audit)],
    );
  }

  /**
   * One transaction of the user write and the active-admin counter, which may
   * never drop below one: two admins demoting each other at the same moment
   * cannot both succeed.
   */
  private async writeWithAdminCount(
    userWrite: Record<string, unknown>,
    delta: number,
    userId: string,
    more: Record<string, unknown>[] = [],
  ): Promise<void> {
    const counter =
      delta === 0
        ? []
        : [
            {
              Update: {
                TableName: this.tableName,
                Key: ADMIN_COUNTER_KEY,
                UpdateExpression: 'ADD #c :d',
                ...(delta < 0
                  ? {
                      ConditionExpression: '#c > :one',
                      ExpressionAttributeValues: { ':d': delta, ':one': 1 },
                    }
                  : { ExpressionAttributeValues: { ':d': delta } }),
                ExpressionAttributeNames: { '#c': 'count' },
              },
            },
          ];
    try {
      await transactWrite(this.db, [userWrite, ...more, ...counter]);
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons ?? [];
      if (counter.length > 0 && reasons.at(-1)?.Code === 'ConditionalCheckFailed') {
        throw new StempelError('conflict', 'last_admin', 'This would leave no active admin.');
      }
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        if (!(await this.getById(userId))) throw userNotFound();
        throw concurrentUpdate();
      }
      throw err;
    }
  }
}
