import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoLoginAttempts } from '../../shared/adapters/dynamo-login-attempts';
import { DynamoSessionStore } from '../../shared/adapters/dynamo-session-store';
import { DynamoUserStore } from '../../shared/adapters/dynamo-user-store';
import { LocalMessageAuthenticator } from '../../shared/adapters/local-message-authenticator';
import { LocalSecretBox } from '../../shared/adapters/local-secret-box';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { AccessTokens } from '../../shared/core/access-tokens';
import { Authentication, type AuthenticationDeps } from '../../shared/core/authentication';
import { Authorizer } from '../../shared/core/authorizer';
import { Cursors } from '../../shared/core/cursors';
import { Identity } from '../../shared/core/identity';
import { MAX_SESSIONS_PER_USER } from '../../shared/core/sessions';
import type { UserStore } from '../../shared/ports/user-store';
import { identityTable, resourceName } from '../../shared/tables';

/*
 * The core's authentication on the real DynamoDB stores, with the
 * interleavings that matter forced deterministically: a store wrapper runs the
 * competing action between the login's read of the user and its password check.
 */

const keys = mkdtempSync(join(tmpdir(), 'stempel-auth-races-'));
const users = new DynamoUserStore();
const sessions = new DynamoSessionStore();
const attempts = new DynamoLoginAttempts();
const identity = new Identity(
  users,
  attempts,
  new Cursors(new LocalMessageAuthenticator(join(keys, 'cursor.key'))),
);
const tokens = new AccessTokens(new LocalSigner(join(keys, 'token.pem')), async () => ({
  issuer: 'stempel',
  audience: 'stempel-api',
  accessTokenTtlSeconds: 900,
}));
const settings = async () => ({
  sessionIdleSeconds: 3600,
  sessionMaxSeconds: 86_400,
  lockoutThreshold: 3,
  lockoutUsernameThreshold: 7,
  lockoutBaseSeconds: 60,
  lockoutMaxSeconds: 600,
});
const auth = (overrides: Partial<AuthenticationDeps> = {}) =>
  new Authentication({
    users,
    sessions,
    attempts,
    tokens,
    secrets: new LocalSecretBox(join(keys, 'box.key')),
    settings,
    ...overrides,
  });

const authorizer = new Authorizer({ users, tokens });
const IP = '192.0.2.10';

async function newUser() {
  const username = `race-${randomUUID().slice(0, 8)}`;
  const password = `${randomBytes(9).toString('base64url')}-Pw1`;
  const user = await identity.addUser(username, ['uploader'], password, false);
  return { user, username, password };
}

/** The user store, but `between` runs after the login has read the user and before it checks anything. */
const readThen = (between: () => Promise<void>): UserStore => {
  const store = Object.create(users) as UserStore;
  store.getByUsername = async (name: string) => {
    const read = await users.getByUsername(name);
    await between();
    return read;
  };
  return store;
};

const failuresCounted = async (username: string, source: string) => {
  const { Item } = await dynamoDocumentClient().send(
    new GetCommand({
      TableName: resourceName(identityTable),
      Key: { pk: `LOGIN#${username}`, sk: `ATTEMPTS#${source}` },
      ConsistentRead: true,
    }),
  );
  return (Item?.failures as number | undefined) ?? 0;
};

describe('a login in flight while the credentials change', () => {
  it('is refused when a password change lands between its read and its password check', async () => {
    const { user, username, password } = await newUser();
    const first = await auth().login(username, password, undefined, IP);
    const changer = await authorizer.authorize(`Bearer ${first.accessToken}`);
    if (!changer) throw new Error('the first session should be valid');

    const racing = auth({
      users: readThen(() =>
        auth().changePassword(changer, password, 'a-brand-new-passphrase-9', '203.0.113.77'),
      ),
    });
    await expect(racing.login(username, password, undefined, IP)).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    // The failure still counts: a raced success must not clear the lockout.
    expect(await failuresCounted(username, IP)).toBe(1);
    // The session that changed the password lives on; the new password works.
    expect((await authorizer.authorize(`Bearer ${first.accessToken}`))?.userId).toBe(user.id);
    expect((await auth().refresh(first.refreshToken)).accessToken).toBeTruthy();
    await expect(auth().login(username, 'a-brand-new-passphrase-9', undefined, IP)).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  it('is refused when the user is disabled and enabled again between its read and its password check', async () => {
    const { user, username, password } = await newUser();
    const racing = auth({
      users: readThen(async () => {
        await identity.setDisabled(user.id, true);
        await identity.setDisabled(user.id, false);
      }),
    });
    await expect(racing.login(username, password, undefined, IP)).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    await expect(auth().login(username, password, undefined, IP)).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  it('cannot use a session bound to an older credential version, even if one was created', async () => {
    const { user, username, password } = await newUser();
    const pair = await auth().login(username, password, undefined, IP);
    await identity.setDisabled(user.id, true);
    await identity.setDisabled(user.id, false);
    expect(await authorizer.authorize(`Bearer ${pair.accessToken}`)).toBeUndefined();
    await expect(auth().refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
  });
});

describe('refresh tokens', () => {
  it('answers a forged token for a known session with 401 and changes nothing', async () => {
    const { username, password } = await newUser();
    const pair = await auth().login(username, password, undefined, IP);
    const sessionId = pair.refreshToken.split('.')[0];
    const forged = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    await expect(auth().refresh(forged)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    // The owner's family is intact.
    expect(await authorizer.authorize(`Bearer ${pair.accessToken}`)).toBeDefined();
    const next = await auth().refresh(pair.refreshToken);
    expect(next.refreshToken).not.toBe(pair.refreshToken);
  });

  it('revokes the whole family when a token it really issued and spent comes back', async () => {
    const { username, password } = await newUser();
    const pair = await auth().login(username, password, undefined, IP);
    const next = await auth().refresh(pair.refreshToken);
    await expect(auth().refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    await expect(auth().refresh(next.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    expect(await authorizer.authorize(`Bearer ${next.accessToken}`)).toBeUndefined();
  });
});

describe('lockout', () => {
  const wrong = (a: Authentication, username: string, ip: string) =>
    a.login(username, 'definitely-not-it-42', undefined, ip).then(
      () => 200,
      (err: { code?: string }) => err.code,
    );

  it('locks a username for the source that guessed, not for the owner elsewhere', async () => {
    const { username, password } = await newUser();
    const a = auth();
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await wrong(a, username, '198.51.100.7'));
    expect(outcomes).toEqual([
      'invalid_credentials',
      'invalid_credentials',
      'invalid_credentials',
      'too_many_attempts',
    ]);
    await expect(a.login(username, password, undefined, '198.51.100.7')).rejects.toMatchObject({
      code: 'too_many_attempts',
    });
    await expect(a.login(username, password, undefined, '203.0.113.5')).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  it('counts an IPv6 /64 as one source', async () => {
    const { username } = await newUser();
    const a = auth();
    const outcomes = [];
    for (const ip of ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:abcd::1', '2001:db8:7:1:f:f:f:f'])
      outcomes.push(await wrong(a, username, ip));
    expect(outcomes.at(-1)).toBe('too_many_attempts');
  });

  it('locks the username for everyone at the higher ceiling, until an admin unlocks it', async () => {
    const { user, username, password } = await newUser();
    const a = auth();
    // Seven failures spread over four networks: no source reaches its own threshold of three.
    for (const ip of ['10.0.0.1', '10.0.0.1', '10.0.1.1', '10.0.1.1', '10.0.2.1', '10.0.2.1', '10.0.3.1'])
      expect(await wrong(a, username, ip)).toBe('invalid_credentials');
    await expect(a.login(username, password, undefined, '10.9.9.9')).rejects.toMatchObject({
      code: 'too_many_attempts',
    });
    await identity.unlock(user.id);
    await expect(a.login(username, password, undefined, '10.9.9.9')).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  it('forgets the failures of a source and of the username when the owner gets in', async () => {
    const { username, password } = await newUser();
    const a = auth();
    expect(await wrong(a, username, IP)).toBe('invalid_credentials');
    expect(await wrong(a, username, IP)).toBe('invalid_credentials');
    await a.login(username, password, undefined, IP);
    expect(await failuresCounted(username, IP)).toBe(0);
  });
});

describe('sessions inside the user item', () => {
  it('authorizes with exactly one read of one item', async () => {
    const { user, username, password } = await newUser();
    const pair = await auth().login(username, password, undefined, IP);
    const reads: string[] = [];
    const counting = Object.create(users) as UserStore;
    counting.getById = async (id: string) => {
      reads.push(id);
      return users.getById(id);
    };
    const principal = await new Authorizer({ users: counting, tokens }).authorize(
      `Bearer ${pair.accessToken}`,
    );
    expect(principal?.userId).toBe(user.id);
    expect(reads).toEqual([user.id]);
  });

  it(`keeps at most ${MAX_SESSIONS_PER_USER} live sessions per user, ending the oldest`, async () => {
    const { user, username, password } = await newUser();
    const first = await auth().login(username, password, undefined, IP);
    for (let i = 1; i <= MAX_SESSIONS_PER_USER; i++) await auth().login(username, password, undefined, IP);
    const sessionsNow = (await users.getById(user.id))?.sessions ?? {};
    expect(Object.keys(sessionsNow)).toHaveLength(MAX_SESSIONS_PER_USER);
    expect(await authorizer.authorize(`Bearer ${first.accessToken}`)).toBeUndefined();
  });

  it('starts the session map of a user stored before sessions lived there', async () => {
    const { user, username, password } = await newUser();
    await dynamoDocumentClient().send(
      new UpdateCommand({
        TableName: resourceName(identityTable),
        Key: { pk: `USER#${user.id}`, sk: 'USER' },
        UpdateExpression: 'REMOVE sessions, credentialVersion',
      }),
    );
    const pair = await auth().login(username, password, undefined, IP);
    expect((await authorizer.authorize(`Bearer ${pair.accessToken}`))?.userId).toBe(user.id);
  });
});

describe('writes to the user item that race each other', () => {
  /** The user store, but `between` runs once, after the first read by id. */
  const readByIdThen = (between: () => Promise<void>): UserStore => {
    const store = Object.create(users) as UserStore;
    let done = false;
    store.getById = async (id: string) => {
      const read = await users.getById(id);
      if (!done) {
        done = true;
        await between();
      }
      return read;
    };
    return store;
  };

  it('a password change does not write back a session that was refreshed meanwhile', async () => {
    const { username, password } = await newUser();
    const pair = await auth().login(username, password, undefined, IP);
    const changer = await authorizer.authorize(`Bearer ${pair.accessToken}`);
    if (!changer) throw new Error('the session should be valid');
    let refreshed: Awaited<ReturnType<Authentication['refresh']>> | undefined;
    const racing = auth({
      users: readByIdThen(async () => {
        refreshed = await auth().refresh(pair.refreshToken);
      }),
    });
    await expect(
      racing.changePassword(changer, password, 'another-fine-passphrase-3', IP),
    ).rejects.toMatchObject({ code: 'concurrent_update' });
    // The refresh stands: its new token works, and the spent one did not come back.
    const next = await auth().refresh(refreshed?.refreshToken ?? '');
    expect(next.tokenType).toBe('Bearer');
  });

  it('a refresh that meets a logout is refused without being taken for token theft', async () => {
    const { username, password } = await newUser();
    const pair = await auth().login(username, password, undefined, IP);
    const principal = await authorizer.authorize(`Bearer ${pair.accessToken}`);
    if (!principal) throw new Error('the session should be valid');
    const events: string[] = [];
    const racing = auth({
      users: readByIdThen(() => auth().logout(principal)),
      onEvent: (e) => events.push(e.type),
    });
    await expect(racing.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    expect(events).not.toContain('refresh_token_reused');
  });
});
