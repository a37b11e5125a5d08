import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  LIVE_CATCH_UP_LIMIT,
  LIVE_CLOSE_UNAUTHORIZED,
  type LiveServerMessage,
  liveServerMessage,
} from '../../shared/core/live-protocol';
import { adminToken, apiUrl, call, createUser, randomSha256 } from '../support/http';

const liveUrl = (path = '/v1/live') => `${apiUrl().replace(/^http/, 'ws')}${path}`;

/** Long enough for a seal under the full suite's load; the tests never assert on time. */
const WAIT_MS = 60_000;

interface LiveClient {
  readonly ws: WebSocket;
  /** Every frame so far, each checked against the protocol's schema. */
  readonly frames: LiveServerMessage[];
  send(frame: unknown): void;
  /** Resolves once the frames so far satisfy `done`. */
  until<T>(done: (frames: readonly LiveServerMessage[]) => T | undefined): Promise<T>;
  closed: Promise<{ code: number; reason: string }>;
}

const open: WebSocket[] = [];

async function connect(): Promise<LiveClient> {
  const ws = new WebSocket(liveUrl());
  open.push(ws);
  const frames: LiveServerMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(liveServerMessage.parse(JSON.parse(String(data))));
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const wake of waiters) wake();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.on('error', reject); // after the open, a no-op: the close says what happened
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    until: (done) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = done(frames);
          if (found !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such frame; got ${JSON.stringify(frames)}`));
        }, WAIT_MS);
        waiters.add(check);
        check();
      }),
  };
}

const ofType =
  <T extends LiveServerMessage['type']>(type: T) =>
  (frames: readonly LiveServerMessage[]) =>
    frames.filter((f): f is Extract<LiveServerMessage, { type: T }> => f.type === type);

type Sealed = Extract<LiveServerMessage, { type: 'sealed' }>;

/**
 * Subscribes and waits for the whole answer: subscribed, the checkpoint and
 * the catch-up. Under the full suite other tests' seals are pushed too, and
 * may come between these frames: `isCatchUp` tells the catch-up from them.
 */
async function subscribe(
  client: LiveClient,
  token: string,
  since?: number,
  isCatchUp: (frame: Sealed) => boolean = () => true,
) {
  const before = client.frames.length;
  client.send({ action: 'subscribe', token, ...(since === undefined ? {} : { since }) });
  return client.until((frames) => {
    const answer = frames.slice(before);
    const subscribed = ofType('subscribed')(answer)[0];
    const checkpoint = ofType('checkpoint')(answer)[0];
    const catchUp = ofType('sealed')(answer).find(isCatchUp);
    return subscribed && checkpoint && catchUp ? { subscribed, checkpoint, catchUp } : undefined;
  });
}

async function notarize(token: string) {
  const sha256 = randomSha256();
  const res = await call('POST', '/v1/notarizations', { token, body: { sha256 } });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, sha256 };
}

describe('the live log channel over the local runtime', () => {
  let uploader: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    uploader = await createUser(['uploader'], await adminToken());
  });

  afterEach(() => {
    for (const ws of open.splice(0)) ws.terminate();
  });

  it('answers a subscribe with the checkpoint and recent entries, then pushes a new seal; unsubscribed connections get nothing', async () => {
    const subscriber = await connect();
    const bystander = await connect();
    const { subscribed, checkpoint, catchUp } = await subscribe(subscriber, uploader.token);
    expect(subscribed.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(checkpoint.checkpoint.split('\n')[1]).toBe(String(checkpoint.treeSize));
    expect(checkpoint.checkpoint.split('\n')[2]).toBe(checkpoint.rootHash);
    // Without `since`: the newest entries, up to the limit, in index order, ending at the tree size.
    expect(catchUp.entries.length).toBeLessThanOrEqual(LIVE_CATCH_UP_LIMIT);
    expect(catchUp.entries.map((e) => e.index)).toEqual(
      Array.from({ length: catchUp.entries.length }, (_, i) => catchUp.treeSize - catchUp.entries.length + i),
    );

    const { id, sha256 } = await notarize(uploader.token);
    const entry = await subscriber.until((frames) =>
      ofType('sealed')(frames)
        .flatMap((f) => f.entries)
        .find((e) => e.id === id),
    );
    expect(entry).toEqual({
      index: entry.index,
      id,
      sha256,
      receivedAt: entry.receivedAt,
      kind: 'notarization',
    });
    expect(Object.keys(entry)).not.toContain('owner');
    const covering = await subscriber.until((frames) =>
      ofType('checkpoint')(frames).find((c) => c.treeSize > entry.index),
    );
    expect(covering.checkpoint).toContain(`\n${covering.treeSize}\n`);
    // The push comes once the notarization is marked sealed: its receipt is there.
    const receipt = await call('GET', `/v1/notarizations/${id}/receipt`, { token: uploader.token });
    expect(receipt.status).toBe(200);
    expect(receipt.body.index).toBe(entry.index);
    expect(bystander.frames).toEqual([]);
  });

  it('catches a reconnecting client up from `since`', async () => {
    const first = await connect();
    await subscribe(first, uploader.token);
    const { id } = await notarize(uploader.token);
    const entry = await first.until((frames) =>
      ofType('sealed')(frames)
        .flatMap((f) => f.entries)
        .find((e) => e.id === id),
    );
    first.ws.close();

    const again = await connect();
    // The catch-up starts at `since`, unless more than the limit were sealed since (other tests share the log).
    const from = (f: Sealed) => Math.max(entry.index, f.treeSize - LIVE_CATCH_UP_LIMIT);
    const { checkpoint, catchUp } = await subscribe(
      again,
      uploader.token,
      entry.index,
      (f) => f.entries[0]?.index === from(f),
    );
    expect(checkpoint.treeSize).toBeGreaterThanOrEqual(catchUp.treeSize);
    expect(catchUp.entries.map((e) => e.index)).toEqual(
      Array.from({ length: catchUp.treeSize - from(catchUp) }, (_, i) => from(catchUp) + i),
    );
    if (from(catchUp) === entry.index) expect(catchUp.entries[0]?.id).toBe(id);

    // A `since` beyond the log: nothing to catch up on (a push always carries entries).
    const ahead = await subscribe(again, uploader.token, 10_000_000, (f) => f.entries.length === 0);
    expect(ahead.catchUp.treeSize).toBeGreaterThanOrEqual(catchUp.treeSize);
  });

  it('refuses a bad token with an error frame and close code 4401', async () => {
    const client = await connect();
    client.send({ action: 'subscribe', token: 'not.a.token' });
    const { code } = await client.closed;
    expect(code).toBe(LIVE_CLOSE_UNAUTHORIZED);
    expect(client.frames).toEqual([{ type: 'error', code: 'invalid_token', detail: expect.any(String) }]);
  });

  it('refuses the token of a session that logged out, as the REST authorizer does', async () => {
    const user = await createUser(['verifier']);
    expect((await call('POST', '/v1/auth/logout', { token: user.token })).status).toBe(204);
    const client = await connect();
    client.send({ action: 'subscribe', token: user.token });
    expect((await client.closed).code).toBe(LIVE_CLOSE_UNAUTHORIZED);
    expect(ofType('error')(client.frames).map((f) => f.code)).toEqual(['invalid_token']);
  });

  it('answers a frame that is not a subscribe with invalid_message and keeps the connection', async () => {
    const client = await connect();
    client.send('this is not json');
    client.send({ action: 'subscribe' });
    client.send({ action: 'dance', token: uploader.token });
    const errors = await client.until((frames) => {
      const found = ofType('error')(frames);
      return found.length === 3 ? found : undefined;
    });
    expect(errors.map((e) => e.code)).toEqual(['invalid_message', 'invalid_message', 'invalid_message']);
    // Still open: a good subscribe on the same connection works.
    const { subscribed } = await subscribe(client, uploader.token);
    expect(subscribed.type).toBe('subscribed');
  });

  it('refuses WebSocket upgrades anywhere but /v1/live', async () => {
    const ws = new WebSocket(liveUrl('/v1/elsewhere'));
    ws.on('error', () => undefined); // terminated while still connecting, after the refusal
    open.push(ws);
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(404);
  });
});
