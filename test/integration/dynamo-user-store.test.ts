import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoSessionStore } from '../../shared/adapters/dynamo-session-store';
import { DynamoUserStore } from '../../shared/adapters/dynamo-user-store';
import { localDynamoClient } from '../../shared/local/local-clients';
import { createTable } from '../../shared/local/provision';
import type { UserRecord } from '../../shared/ports/user-store';
import { identityTable } from '../../shared/tables';

const store = new DynamoUserStore();
const user = (username: string): UserRecord => ({
  id: randomUUID(),
  username,
  roles: ['uploader'],
  passwordHash: '$scrypt$ln=17,r=8,p=1$x$y',
  mustChangePassword: true,
  disabled: false,
  credentialVersion: 0,
  sessions: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('DynamoDB user store (DynamoDB Local)', () => {
  it('finds a user by id and by username', async () => {
    const u = user(`u-${randomUUID()}`);
    await store.create(u);
    expect(await store.getById(u.id)).toEqual(u);
    expect(await store.getByUsername(u.username)).toEqual(u);
    expect(await store.getByUsername('nobody-here')).toBeUndefined();
  });

  it('refuses a second user with a taken username and leaves the first intact', async () => {
    const first = user(`taken-${randomUUID()}`);
    await store.create(first);
    const second = { ...user(first.username), roles: ['admin' as const] };
    await expect(store.create(second)).rejects.toMatchObject({ code: 'username_taken' });
    expect(await store.getById(second.id)).toBeUndefined();
    expect(await store.getByUsername(first.username)).toEqual(first);
  });

  it('pages through all users with its cursor, each exactly once', async () => {
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.create(user(`page-${i}-${randomUUID()}`))));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list(2, cursor);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u) => u.username));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((n) => n.startsWith('page-'))).toHaveLength(5);
    expect([...seen].sort()).toEqual(seen);
  });

  it('refuses a cursor it did not issue', async () => {
    await expect(store.list(2, 'bm90LWEtY3Vyc29y')).rejects.toMatchObject({ code: 'invalid_cursor' });
    const forged = Buffer.from(JSON.stringify({ pk: 1 })).toString('base64url');
    await expect(store.list(2, forged)).rejects.toMatchObject({ code: 'invalid_cursor' });
  });

  it('changes a password, moving the credential version on and keeping only the changing session', async () => {
    const session = (id: string) => ({
      id,
      userId: '',
      currentTokenHash: 'h',
      createdAt: 1,
      idleExpiresAt: 2,
      absoluteExpiresAt: 3,
      credentialVersion: 0,
    });
    const u = user(`pw-${randomUUID()}`);
    const sessions = new DynamoSessionStore();
    await store.create(u);
    const [mine, other] = [randomUUID(), randomUUID()];
    for (const id of [mine, other])
      expect(await sessions.create({ ...session(id), userId: u.id }, [])).toBe(true);
    await store.setPassword(u.id, 'new-hash', false, '2026-01-02T00:00:00.000Z', 0, {
      ...session(mine),
      userId: u.id,
    });
    const changed = await store.getById(u.id);
    expect(changed).toMatchObject({
      passwordHash: 'new-hash',
      mustChangePassword: false,
      credentialVersion: 1,
    });
    expect(changed?.sessions).toEqual({ [mine]: { ...session(mine), userId: u.id, credentialVersion: 1 } });
    // A login that verified version 0 cannot add its session any more.
    expect(await sessions.create({ ...session(randomUUID()), userId: u.id }, [])).toBe(false);
    // A writer that verified version 0 lost the race: nothing changes.
    await expect(store.setPassword(u.id, 'stale-hash', false, 'later', 0)).rejects.toMatchObject({
      code: 'concurrent_update',
    });
    expect((await store.getById(u.id))?.passwordHash).toBe('new-hash');
    await expect(store.setPassword(randomUUID(), 'h', false, 'now', 0)).rejects.toMatchObject({
      code: 'user_not_found',
    });
  });
});

describe('active-admin counter (own table)', () => {
  it('lets only one of two simultaneous demotions through when they would leave no admin', async () => {
    const client = localDynamoClient(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
    const tableName = `it-identity-${randomUUID().slice(0, 8)}`;
    await createTable(client, identityTable, tableName);
    const isolated = new DynamoUserStore(dynamoDocumentClient(), tableName);
    const a = { ...user(`admin-a-${randomUUID()}`), roles: ['admin' as const] };
    const b = { ...user(`admin-b-${randomUUID()}`), roles: ['admin' as const] };
    await isolated.create(a);
    await isolated.create(b);
    const demote = (u: UserRecord) =>
      isolated.update(u.id, { roles: ['verifier'] }, 'later', {
        expectedUpdatedAt: u.updatedAt,
        activeAdminDelta: -1,
      });
    const results = await Promise.allSettled([demote(a), demote(b)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'last_admin' });
    const admins = [await isolated.getById(a.id), await isolated.getById(b.id)].filter((u) =>
      u?.roles.includes('admin'),
    );
    expect(admins).toHaveLength(1);
  });

  it('refuses a change to a user that changed since it was read', async () => {
    const u = user(`stale-${randomUUID()}`);
    await store.create(u);
    await store.update(u.id, { disabled: true }, 'first', {
      expectedUpdatedAt: u.updatedAt,
      activeAdminDelta: 0,
    });
    await expect(
      store.update(u.id, { roles: ['admin'] }, 'second', {
        expectedUpdatedAt: u.updatedAt,
        activeAdminDelta: 0,
      }),
    ).rejects.toMatchObject({ code: 'concurrent_update' });
  });
});
