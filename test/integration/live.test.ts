import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoLiveConnectionStore } from '../../shared/adapters/dynamo-live-connection-store';
import { DynamoLogStore } from '../../shared/adapters/dynamo-log-store';
import { DynamoNotarizationStore } from '../../shared/adapters/dynamo-notarization-store';
import { DynamoSessionStore } from '../../shared/adapters/dynamo-session-store';
import { DynamoUserStore } from '../../shared/adapters/dynamo-user-store';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { AccessTokens } from '../../shared/core/access-tokens';
import { Authorizer } from '../../shared/core/authorizer';
import { Integrator } from '../../shared/core/integrator';
import { LiveChannel } from '../../shared/core/live';
import {
  LIVE_CATCH_UP_LIMIT,
  LIVE_CLOSE_UNAUTHORIZED,
  type LiveServerMessage,
  liveServerMessage,
} from '../../shared/core/live-protocol';
import { localDynamoClient } from '../../shared/local/local-clients';
import { createTable } from '../../shared/local/provision';
import type { LiveSender, LiveSubscription, LogRange } from '../../shared/ports/live';
import type { UserRecord } from '../../shared/ports/user-store';
import { identityTable, liveConnectionsTable, logTable, notarizationsTable } from '../../shared/tables';

const ORIGIN = 'stempel.test/live';
const TOKEN_SETTINGS = { issuer: 'stempel', audience: 'stempel-api', accessTokenTtlSeconds: 900 };

/**
 * The @connections API as the channel sees it: frames per connection (each
 * checked against the protocol's schema), closes, and connections that are
 * gone (API Gateway's 410) or fail.
 */
class RecordingSender implements LiveSender {
  readonly frames = new Map<string, LiveServerMessage[]>();
  readonly closed = new Map<string, number>();
  readonly gone = new Set<string>();
  readonly failing = new Set<string>();

  async send(connectionId: string, message: LiveServerMessage): Promise<'sent' | 'gone'> {
    if (this.failing.has(connectionId)) throw new Error('throttled');
    if (this.gone.has(connectionId) || this.closed.has(connectionId)) return 'gone';
    const list = this.frames.get(connectionId) ?? [];
    list.push(liveServerMessage.parse(JSON.parse(JSON.stringify(message))));
    this.frames.set(connectionId, list);
    return 'sent';
  }

  async close(connectionId: string, code: number): Promise<void> {
    this.closed.set(connectionId, code);
  }

  of(connectionId: string) {
    return this.frames.get(connectionId) ?? [];
  }
}

const suffix = () => randomUUID().slice(0, 8);

/** Fresh tables, so that the local runtime's integrator and other tests never touch this log. */
async function freshWorld() {
  const client = localDynamoClient(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
  const names = {
    notarizations: `it-live-notarizations-${suffix()}`,
    log: `it-live-log-${suffix()}`,
    identity: `it-live-identity-${suffix()}`,
  };
  await createTable(client, notarizationsTable, names.notarizations);
  await createTable(client, logTable, names.log);
  await createTable(client, identityTable, names.identity);
  const db = dynamoDocumentClient();
  const notarizations = new DynamoNotarizationStore(db, names.notarizations);
  const store = new DynamoLogStore('notary', db, names.log, names.notarizations);
  const dir = mkdtempSync(join(tmpdir(), 'stempel-it-live-'));
  const sealed: LogRange[] = [];
  const integrator = new Integrator(store, new LocalSigner(join(dir, 'log.pem')), {
    origin: ORIGIN,
    onSealed: async (range) => {
      sealed.push(range);
    },
  });
  const tokenSigner = new LocalSigner(join(dir, 'token.pem'));
  const tokensAt = (at: Date) =>
    new AccessTokens(
      tokenSigner,
      async () => TOKEN_SETTINGS,
      () => at,
    );
  const users = new DynamoUserStore(db, names.identity);
  const sessions = new DynamoSessionStore(db, names.identity);
  const authorizer = new Authorizer({
    users,
    tokens: new AccessTokens(tokenSigner, async () => TOKEN_SETTINGS),
  });

  /** A signed-in user: the user item with one live session, and an access token of it. */
  const signIn = async (options: { mustChangePassword?: boolean; issuedAt?: Date } = {}) => {
    const id = randomUUID();
    const sessionId = randomUUID();
    const nowS = Math.floor(Date.now() / 1000);
    const user: UserRecord = {
      id,
      username: `live-${suffix()}`,
      roles: ['uploader'],
      passwordHash: 'not used here',
      mustChangePassword: options.mustChangePassword ?? false,
      disabled: false,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      credentialVersion: 1,
      sessions: {
        [sessionId]: {
          id: sessionId,
          userId: id,
          currentTokenHash: randomBytes(32).toString('hex'),
          createdAt: Date.now(),
          idleExpiresAt: nowS + 3600,
          absoluteExpiresAt: nowS + 86_400,
          credentialVersion: 1,
        },
      },
    };
    await users.create(user);
    const { token, claims } = await tokensAt(options.issuedAt ?? new Date()).issue(id, sessionId);
    return { userId: id, sessionId, token, expiresAt: claims.expiresAt };
  };

  /** A new connections table and a channel over it. */
  const channel = async (options: { now?: () => Date } = {}) => {
    const table = `it-live-connections-${suffix()}`;
    await createTable(client, liveConnectionsTable, table);
    const connections = new DynamoLiveConnectionStore(db, table);
    const sender = new RecordingSender();
    const live = new LiveChannel({ authorizer, log: store, connections, sender, ...options });
    const subscriptions = async () => {
      const all: LiveSubscription[] = [];
      for await (const page of connections.pages()) all.push(...page);
      return all.sort((a, b) => a.connectionId.localeCompare(b.connectionId));
    };
    return { live, sender, connections, subscriptions };
  };

  /** Notarizes `n` hashes (the last `timestamps` of them as RFC 3161 token entries) and seals them. */
  const notarizeAndSeal = async (n: number, timestamps = 0) => {
    const created = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        notarizations.createOnce({
          id: randomUUID(),
          owner: randomUUID(),
          sha256: randomBytes(32).toString('hex'),
          receivedAt: new Date(Date.now() - (n - i)).toISOString(),
          status: 'pending',
          ...(i >= n - timestamps
            ? { timestamp: { serial: randomBytes(8).toString('hex'), token: new Uint8Array([1]) } }
            : {}),
        }),
      ),
    );
    await integrator.drain();
    return created.map((c) => c.notarization);
  };

  return { store, notarizations, integrator, sealed, signIn, sessions, channel, notarizeAndSeal, tokensAt };
}

type World = Awaited<ReturnType<typeof freshWorld>>;

const subscribe = (token: string, since?: number) =>
  JSON.stringify({ action: 'subscribe', token, ...(since === undefined ? {} : { since }) });

describe('the live channel core, over DynamoDB Local', () => {
  let world: World;
  /** Notarizations in log order: 300 entries, so catch-ups cross an entry bundle (256 entries). */
  let logged: Awaited<ReturnType<World['notarizeAndSeal']>>;

  beforeAll(async () => {
    world = await freshWorld();
    logged = await world.notarizeAndSeal(300, 2);
    const ids = new Map(logged.map((n) => [n.id, n]));
    // Re-read in index order (the integrator sorts by receivedAt; ties are possible).
    const sealedOnes = await Promise.all([...ids.keys()].map((id) => world.notarizations.get(id)));
    logged = sealedOnes
      .map((n) => n as NonNullable<typeof n>)
      .sort((a, b) => (a.logIndex as number) - (b.logIndex as number));
    expect(logged.map((n) => n.logIndex)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  describe('subscribe', () => {
    it('records the subscription until the token expires, and answers subscribed, the checkpoint and the newest entries', async () => {
      const { live, sender, subscriptions } = await world.channel();
      const user = await world.signIn();
      await live.receive('conn-a', subscribe(user.token));
      expect(await subscriptions()).toEqual([{ connectionId: 'conn-a', expiresAt: user.expiresAt }]);
      const [subscribed, checkpoint, sealed, ...rest] = sender.of('conn-a');
      expect(rest).toEqual([]);
      expect(subscribed).toEqual({ type: 'subscribed', expiresAt: user.expiresAt });
      const head = await world.store.head();
      expect(checkpoint).toEqual({
        type: 'checkpoint',
        treeSize: 300,
        rootHash: Buffer.from(head?.rootHash as Uint8Array).toString('base64'),
        checkpoint: head?.checkpoint,
      });
      expect(sealed?.type).toBe('sealed');
      if (sealed?.type !== 'sealed') throw new Error('not sealed');
      expect(sealed.treeSize).toBe(300);
      expect(sealed.entries.map((e) => e.index)).toEqual(
        Array.from({ length: LIVE_CATCH_UP_LIMIT }, (_, i) => 300 - LIVE_CATCH_UP_LIMIT + i),
      );
      // Each entry is its leaf's public fields: never the owner.
      const last = logged[299] as (typeof logged)[number];
      expect(sealed.entries.at(-1)).toEqual({
        index: 299,
        id: last.id,
        sha256: last.sha256,
        receivedAt: last.receivedAt,
        kind: 'timestamp',
      });
      expect(sealed.entries.at(-3)?.kind).toBe('notarization');
      expect(JSON.stringify(sealed)).not.toContain(last.owner);
    });

    it.each([
      { since: 290, from: 290, why: 'the entries from since' },
      { since: 230, from: 230, why: 'across two entry bundles (230…299)' },
      { since: 10, from: 200, why: 'at most the limit, the newest' },
      { since: 300, from: 300, why: 'nothing when up to date' },
      { since: 5000, from: 300, why: 'nothing for a since beyond the log' },
    ])('catches up $why', async ({ since, from }) => {
      const { live, sender } = await world.channel();
      const user = await world.signIn();
      await live.receive('conn', subscribe(user.token, since));
      const sealed = sender.of('conn').find((f) => f.type === 'sealed');
      if (sealed?.type !== 'sealed') throw new Error('no catch-up');
      expect(sealed.treeSize).toBe(300);
      expect(sealed.entries.map((e) => e.index)).toEqual(
        Array.from({ length: 300 - from }, (_, i) => from + i),
      );
      expect(sealed.entries.map((e) => e.id)).toEqual(logged.slice(from).map((n) => n.id));
    });

    it.each([
      ['not JSON', 'subscribe me'],
      ['no token', JSON.stringify({ action: 'subscribe' })],
      ['another action', JSON.stringify({ action: 'publish', token: 'x' })],
      ['an unknown field', JSON.stringify({ action: 'subscribe', token: 'x', extra: 1 })],
      ['a negative since', JSON.stringify({ action: 'subscribe', token: 'x', since: -1 })],
      ['no body', undefined],
    ])('answers %s with invalid_message, keeps the connection and records nothing', async (_, body) => {
      const { live, sender, subscriptions } = await world.channel();
      await live.receive('conn', body);
      expect(sender.of('conn')).toEqual([
        { type: 'error', code: 'invalid_message', detail: expect.any(String) },
      ]);
      expect(sender.closed.size).toBe(0);
      expect(await subscriptions()).toEqual([]);
    });

    it('refuses a forged token, a revoked session and a user who must change the password: error, close 4401, nothing recorded', async () => {
      const { live, sender, subscriptions } = await world.channel();
      const forged = await new AccessTokens(
        new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-it-live-')), 'other.pem')),
        async () => TOKEN_SETTINGS,
      ).issue(randomUUID(), randomUUID());
      const revoked = await world.signIn();
      await world.sessions.revoke(revoked.userId, revoked.sessionId);
      const mustChange = await world.signIn({ mustChangePassword: true });
      const longExpired = await world.signIn({ issuedAt: new Date(Date.now() - 3600_000) });

      for (const [conn, token] of [
        ['forged', forged.token],
        ['revoked', revoked.token],
        ['must-change', mustChange.token],
        ['long-expired', longExpired.token],
      ] as const) {
        await live.receive(conn, subscribe(token));
        expect(sender.of(conn), conn).toEqual([
          { type: 'error', code: 'invalid_token', detail: expect.any(String) },
        ]);
        expect(sender.closed.get(conn), conn).toBe(LIVE_CLOSE_UNAUTHORIZED);
      }
      expect(await subscriptions()).toEqual([]);
    });

    it('refuses a token past its exp that jose still accepts (clock tolerance) as token_expired', async () => {
      const { live, sender, subscriptions } = await world.channel();
      // Issued 902 s ago with a 900 s lifetime: 2 s past exp, within jose's 5 s tolerance.
      const user = await world.signIn({ issuedAt: new Date(Date.now() - 902_000) });
      await live.receive('conn', subscribe(user.token));
      expect(sender.of('conn')).toEqual([
        { type: 'error', code: 'token_expired', detail: expect.any(String) },
      ]);
      expect(sender.closed.get('conn')).toBe(LIVE_CLOSE_UNAUTHORIZED);
      expect(await subscriptions()).toEqual([]);
    });

    it('extends a subscription with a fresh token, and ends it on a bad one or a disconnect', async () => {
      const { live, sender, subscriptions } = await world.channel();
      const older = await world.signIn({ issuedAt: new Date(Date.now() - 600_000) });
      const fresh = await world.signIn();
      await live.receive('conn', subscribe(older.token));
      expect(await subscriptions()).toEqual([{ connectionId: 'conn', expiresAt: older.expiresAt }]);
      await live.receive('conn', subscribe(fresh.token, 300));
      expect(await subscriptions()).toEqual([{ connectionId: 'conn', expiresAt: fresh.expiresAt }]);
      expect(sender.of('conn').filter((f) => f.type === 'subscribed')).toHaveLength(2);

      await live.receive('conn', subscribe('not-a-token'));
      expect(await subscriptions()).toEqual([]);

      await live.receive('other', subscribe(fresh.token));
      expect((await subscriptions()).map((s) => s.connectionId)).toEqual(['other']);
      await live.disconnected('other');
      expect(await subscriptions()).toEqual([]);
    });

    it('forgets a connection that is gone by the time it is answered', async () => {
      const { live, sender, subscriptions } = await world.channel();
      const user = await world.signIn();
      sender.gone.add('conn');
      await live.receive('conn', subscribe(user.token));
      expect(await subscriptions()).toEqual([]);
    });
  });

  describe('announce', () => {
    it('pushes what a seal added to current subscriptions; tells and closes expired ones; forgets gone ones; skips the unsubscribed', async () => {
      const inAMinute = () => new Date(Date.now() + 60_000);
      const { live, sender, connections, subscriptions } = await world.channel({ now: inAMinute });
      const user = await world.signIn();
      await live.receive('alice', subscribe(user.token, 1_000_000));
      await live.receive('bob', subscribe(user.token, 1_000_000));
      await live.receive('gone', subscribe(user.token, 1_000_000));
      await live.receive('failing', subscribe(user.token, 1_000_000));
      // A subscription whose token expired within the minute (TTL would only remove it much later).
      await connections.save({ connectionId: 'expired', expiresAt: Math.floor(Date.now() / 1000) + 30 });
      sender.gone.add('gone');
      sender.failing.add('failing');
      const before = new Map([...sender.frames].map(([id, frames]) => [id, frames.length]));

      const sealedBefore = world.sealed.length;
      const added = await world.notarizeAndSeal(3);
      const range = world.sealed.at(-1) as LogRange;
      expect(world.sealed.length).toBe(sealedBefore + 1);
      expect(range).toEqual({ start: 300, end: 303 });
      const result = await live.announce(range);
      expect(result).toEqual({ delivered: 2, gone: 1, expired: 1, failed: 1 });

      const head = await world.store.head();
      for (const id of ['alice', 'bob']) {
        const pushed = sender.of(id).slice(before.get(id));
        expect(pushed).toHaveLength(2);
        expect(pushed[0]).toMatchObject({ type: 'checkpoint', treeSize: 303, checkpoint: head?.checkpoint });
        const sealed = pushed[1];
        if (sealed?.type !== 'sealed') throw new Error('no sealed frame');
        expect(sealed.treeSize).toBe(303);
        expect(sealed.entries.map((e) => e.index)).toEqual([300, 301, 302]);
        expect(new Set(sealed.entries.map((e) => e.id))).toEqual(new Set(added.map((n) => n.id)));
      }
      expect(sender.of('expired')).toEqual([
        { type: 'error', code: 'token_expired', detail: expect.any(String) },
      ]);
      expect(sender.closed.get('expired')).toBe(LIVE_CLOSE_UNAUTHORIZED);
      expect(sender.of('never-subscribed')).toEqual([]);
      // Gone and expired are forgotten; a failure is kept for the next push.
      expect((await subscriptions()).map((s) => s.connectionId)).toEqual(['alice', 'bob', 'failing']);
    });

    it('splits a large range into sealed frames of at most the limit, each with the size it brings the log to', async () => {
      const { live, sender } = await world.channel();
      const user = await world.signIn();
      await live.receive('conn', subscribe(user.token, 1_000_000));
      const before = sender.of('conn').length;
      await live.announce({ start: 20, end: 270 });
      const pushed = sender.of('conn').slice(before);
      expect(pushed.map((f) => f.type)).toEqual(['checkpoint', 'sealed', 'sealed', 'sealed']);
      const frames = pushed.filter((f) => f.type === 'sealed');
      expect(frames.map((f) => f.entries.length)).toEqual([100, 100, 50]);
      expect(frames.map((f) => f.treeSize)).toEqual([120, 220, 270]);
      expect(frames.flatMap((f) => f.entries.map((e) => e.index))).toEqual(
        Array.from({ length: 250 }, (_, i) => 20 + i),
      );
    });

    it('reads nothing while nobody listens, and refuses a range the log does not hold once someone does', async () => {
      const { live, sender } = await world.channel();
      const size = (await world.store.head())?.size as number;
      // No subscription: nothing to push, so the log is not even read.
      await expect(live.announce({ start: size, end: size + 1 })).resolves.toEqual({
        delivered: 0,
        gone: 0,
        expired: 0,
        failed: 0,
      });
      const user = await world.signIn();
      await live.receive('listener', subscribe(user.token, 1_000_000));
      const before = sender.of('listener').length;
      await expect(live.announce({ start: size, end: size + 1 })).rejects.toThrow(/not in the log/);
      await expect(live.announce({ start: 5, end: 5 })).rejects.toThrow(/not in the log/);
      expect(sender.of('listener')).toHaveLength(before);
    });
  });

  describe('the integrator', () => {
    it('announces each range once its notarizations carry their index', async () => {
      const own = await freshWorld();
      const seenSealed: boolean[] = [];
      const integrator = new Integrator(
        own.store,
        new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-it-live-')), 'log.pem')),
        {
          origin: ORIGIN,
          maxBatch: 4,
          onSealed: async (range) => {
            own.sealed.push(range);
            const entries = await Promise.all(
              ids.map(async (id) => (await own.notarizations.get(id))?.logIndex),
            );
            seenSealed.push(
              entries.filter((i) => i !== undefined && i >= range.start && i < range.end).length ===
                range.end - range.start,
            );
          },
        },
      );
      const created = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          own.notarizations.createOnce({
            id: randomUUID(),
            owner: randomUUID(),
            sha256: randomBytes(32).toString('hex'),
            receivedAt: new Date(Date.now() - 10 + i).toISOString(),
            status: 'pending',
          }),
        ),
      );
      const ids = created.map((c) => c.notarization.id);
      const result = await integrator.drain();
      expect(result.sealed).toBe(10);
      expect([...own.sealed].sort((a, b) => a.start - b.start)).toEqual([
        { start: 0, end: 4 },
        { start: 4, end: 8 },
        { start: 8, end: 10 },
      ]);
      expect(seenSealed).toEqual([true, true, true]);
    });

    it('seals whatever the announcement does (a failing hook changes nothing)', async () => {
      const own = await freshWorld();
      const integrator = new Integrator(
        own.store,
        new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-it-live-')), 'log.pem')),
        {
          origin: ORIGIN,
          onSealed: async () => {
            throw new Error('live-push unreachable');
          },
        },
      );
      await own.notarizations.createOnce({
        id: randomUUID(),
        owner: randomUUID(),
        sha256: randomBytes(32).toString('hex'),
        receivedAt: new Date().toISOString(),
        status: 'pending',
      });
      const result = await integrator.drain();
      expect(result).toMatchObject({ sealed: 1, treeSize: 1 });
      expect((await own.store.head())?.unsealed).toEqual([]);
    });
  });
});
