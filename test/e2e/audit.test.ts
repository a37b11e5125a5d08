import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Receipt, verifyInclusionProof } from '../../shared/core/receipt';
import { timeStampRequest } from '../../shared/core/tsa';
import { adminToken, apiUrl, call, createUser, login, randomSha256 } from '../support/http';

/**
 * The audit trail end to end: actions over HTTP, then what an auditor sees
 * through GET /v1/audit/events, each event sealed into the audit log and its
 * receipt checked against the audit log's own key.
 */

interface AuditEventBody {
  id: string;
  at: string;
  action: string;
  actor: string;
  target: string;
  outcome: string;
  reason?: string;
  changes?: Record<string, { from: unknown; to: unknown }>;
  personal?: { sourceIp?: string; userAgent?: string; usernames?: string[] };
  personalHash: string;
  entry: string;
  logIndex?: number;
  receipt?: unknown;
}

async function events(token: string, query: Record<string, string>) {
  const res = await call('GET', `/v1/audit/events?${new URLSearchParams(query)}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { items: AuditEventBody[]; nextCursor?: string };
}

/** Waits until the events `find` picks are sealed, then returns them with their receipts. */
async function sealed(token: string, query: Record<string, string>, count: number) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const page = await events(token, { ...query, proofs: 'true', limit: '100' });
    if (page.items.length >= count && page.items.every((e) => e.logIndex !== undefined)) return page.items;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`events ${JSON.stringify(query)} were not sealed`);
}

describe('the audit trail, end to end', () => {
  let admin: string;
  let auditor: Awaited<ReturnType<typeof createUser>>;
  let uploader: Awaited<ReturnType<typeof createUser>>;
  let auditKey: string;
  let logKey: string;
  const since = new Date().toISOString();

  beforeAll(async () => {
    admin = await adminToken();
    auditor = await createUser(['auditor'], admin);
    uploader = await createUser(['uploader'], admin);
    auditKey = (await call('GET', '/v1/audit/key')).body.verifierKey;
    logKey = (await call('GET', '/v1/log/key')).body.verifierKey;
  });

  it('records logins, failures, notarizations, reads and admin changes, sealed into the audit log', async () => {
    const wrong = await call('POST', '/v1/auth/login', {
      body: { username: uploader.username, password: 'not-the-password-at-all' },
      headers: { 'user-agent': 'audit-test/1.0' },
    });
    expect(wrong.status).toBe(401);
    const token = await login(uploader.username, uploader.password);
    const sha256 = randomSha256();
    const notarized = await call('POST', '/v1/notarizations', { token, body: { sha256 } });
    expect(notarized.status).toBe(201);
    const id = notarized.body.id as string;
    await call('GET', `/v1/notarizations/${id}/receipt`, { token });
    const roles = await call('PATCH', `/v1/admin/users/${uploader.id}`, {
      token: admin,
      body: { roles: ['uploader', 'verifier'] },
    });
    expect(roles.status).toBe(200);

    const mine = await sealed(auditor.token, { actor: uploader.id, from: since }, 3);
    const actions = mine.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['auth.login', 'notarization.create', 'notarization.receipt']),
    );
    const created = mine.find((e) => e.action === 'notarization.create') as AuditEventBody;
    expect(created).toMatchObject({ target: `notarization:${id}`, outcome: 'success' });
    // Written once, with the notarization (not again by the handler).
    expect(mine.filter((e) => e.action === 'notarization.create')).toHaveLength(1);

    // A failed login names the account it tried (the answer itself does not say whether it exists).
    const failures = await sealed(
      auditor.token,
      { action: 'auth.login', from: since, target: `user:${uploader.id}` },
      2,
    );
    const failure = failures.find((e) => e.personal?.userAgent === 'audit-test/1.0') as AuditEventBody;
    expect(failure).toMatchObject({ actor: 'anonymous', outcome: 'failure', reason: 'invalid_credentials' });
    expect(failure.personal?.usernames).toEqual([uploader.username]);
    const nobody = await call('POST', '/v1/auth/login', {
      body: { username: 'no-such-user-here', password: 'x' },
    });
    expect(nobody.status).toBe(401);
    const unknown = await sealed(auditor.token, { action: 'auth.login', from: since, target: '-' }, 1);
    expect(unknown.some((e) => e.personal?.usernames?.[0] === 'no-such-user-here')).toBe(true);

    const change = (await sealed(auditor.token, { target: `user:${uploader.id}`, from: since }, 1)).find(
      (e) => e.action === 'user.update_roles',
    ) as AuditEventBody;
    expect(change.changes).toEqual({ roles: { from: ['uploader'], to: ['uploader', 'verifier'] } });
    // A token's event is written with the token's log entry, once.
    const { der } = timeStampRequest({
      hashAlgorithm: 'SHA-256',
      hashedMessage: randomBytes(32),
      certReq: false,
    });
    const stamped = await fetch(`${apiUrl()}/v1/tsa`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/timestamp-query' },
      body: der,
    });
    const entryId = stamped.headers.get('stempel-log-entry') as string;
    expect(stamped.status).toBe(200);
    const stampEvents = await sealed(auditor.token, { target: `notarization:${entryId}`, from: since }, 1);
    expect(stampEvents.filter((e) => e.action === 'tsa.stamp')).toHaveLength(1);
    // The creation's event was written with the user, once.
    const creations = (await events(auditor.token, { target: `user:${uploader.id}`, action: 'user.create' }))
      .items;
    expect(creations).toHaveLength(1);
    expect(creations[0]?.changes).toEqual({ roles: { from: [], to: ['uploader'] } });
    expect(creations[0]?.personal?.usernames).toEqual([uploader.username]);

    // Each event is in the audit log: its receipt verifies under the audit key, for its own leaf.
    for (const event of [created, failure, change]) {
      const receipt = event.receipt as Receipt;
      expect(receipt.entry).toBe(event.entry);
      expect(verifyInclusionProof(receipt, auditKey).origin).toBe('stempel.local/audit');
      const leaf = JSON.parse(event.entry) as { id: string; personal: string; type: string };
      expect(leaf).toMatchObject({ id: event.id, type: 'audit', personal: event.personalHash });
      // Not under the notarization log's key.
      expect(() => verifyInclusionProof(receipt, logKey)).toThrow();
    }
    // Never a password, in the API or in the log.
    const everything = JSON.stringify(await events(auditor.token, { from: since, limit: '100' }));
    expect(everything).not.toContain('not-the-password-at-all');
    expect(everything).not.toContain(uploader.password);
  });

  it("records a user's own account changes and an admin's unlock once each, written with the change", async () => {
    const user = await createUser(['uploader'], admin);
    const signIn = await call('POST', '/v1/auth/login', {
      body: { username: user.username, password: user.password },
    });
    expect(signIn.status).toBe(200);
    const refreshed = await call('POST', '/v1/auth/refresh', {
      body: { refreshToken: signIn.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    const token = refreshed.body.accessToken as string;
    const setup = await call('POST', '/v1/auth/otp/setup', {
      token,
      body: { currentPassword: user.password },
    });
    expect(setup.status).toBe(200);
    const newPassword = `${user.password}-2`;
    const changed = await call('POST', '/v1/auth/password', {
      token,
      body: { currentPassword: user.password, newPassword },
    });
    expect(changed.status).toBe(204);
    expect((await call('POST', '/v1/auth/logout', { token })).status).toBe(204);
    expect((await call('POST', `/v1/admin/users/${user.id}/unlock`, { token: admin })).status).toBe(204);

    const mine = await sealed(auditor.token, { actor: user.id, from: since }, 1);
    const count = (action: string) =>
      mine.filter((e) => e.action === action && e.outcome === 'success').length;
    // createUser's first login and password change, then this test's own.
    expect(count('auth.login')).toBe(2);
    expect(count('auth.password_change')).toBe(2);
    for (const action of ['auth.refresh', 'auth.otp_setup', 'auth.logout']) expect(count(action)).toBe(1);
    expect(mine.find((e) => e.action === 'auth.refresh')).toMatchObject({ target: `user:${user.id}` });
    const unlocks = (await events(auditor.token, { target: `user:${user.id}`, action: 'user.unlock' })).items;
    expect(unlocks).toHaveLength(1);
    expect(unlocks[0]).toMatchObject({ outcome: 'success', personal: { sourceIp: expect.any(String) } });
  });

  it('names a stolen refresh token and a lockout, which the answer itself does not tell apart', async () => {
    const user = await createUser(['uploader'], admin);
    const signIn = await call('POST', '/v1/auth/login', {
      body: { username: user.username, password: user.password },
    });
    const spent = signIn.body.refreshToken as string;
    expect((await call('POST', '/v1/auth/refresh', { body: { refreshToken: spent } })).status).toBe(200);
    const replay = await call('POST', '/v1/auth/refresh', { body: { refreshToken: spent } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_refresh_token');
    expect(JSON.stringify(replay.body)).not.toContain('reused');
    // Wrong passwords until the lockout threshold (5 by default) locks the account.
    for (let i = 0; i < 5; i++)
      await call('POST', '/v1/auth/login', { body: { username: user.username, password: `wrong-${i}` } });
    const refusals = await sealed(
      auditor.token,
      { target: `user:${user.id}`, action: 'auth.refresh', from: since },
      1,
    );
    expect(refusals.filter((e) => e.reason === 'refresh_token_reused')).toMatchObject([
      { outcome: 'failure', target: `user:${user.id}` },
    ]);
    const logins = await sealed(
      auditor.token,
      { target: `user:${user.id}`, action: 'auth.login', from: since },
      5,
    );
    expect(logins.filter((e) => e.reason === 'locked_out')).toHaveLength(1);
    expect(logins.filter((e) => e.reason === 'invalid_credentials')).toHaveLength(4);
    await call('POST', `/v1/admin/users/${user.id}/unlock`, { token: admin });
  });

  it('pages with sealed cursors bound to the query; refuses edited cursors and bad ranges with 400', async () => {
    const first = await events(auditor.token, { from: since, limit: '2' });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBeDefined();
    const second = await events(auditor.token, {
      from: since,
      limit: '2',
      cursor: first.nextCursor as string,
    });
    expect(second.items.map((e) => e.id)).not.toContain(first.items[0]?.id);
    expect(second.items[0] && first.items[1] && second.items[0].at <= first.items[1].at).toBe(true);

    const cursor = first.nextCursor as string;
    const edited = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;
    const refused: Record<string, string>[] = [
      { from: since, limit: '2', cursor: edited },
      { from: since, limit: '2', cursor, action: 'auth.login' }, // another query's cursor
      { from: '2026-05-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' },
      { from: '2020-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' },
      { limit: '1000' },
      { from: 'yesterday' },
      { action: 'DROP TABLE' },
    ];
    for (const query of refused) {
      const res = await call('GET', `/v1/audit/events?${new URLSearchParams(query)}`, {
        token: auditor.token,
      });
      expect(res.status, JSON.stringify(query)).toBe(400);
    }
  });

  it('is for auditors and admins only, and auditors can do nothing else', async () => {
    expect((await call('GET', '/v1/audit/events', { token: uploader.token })).status).toBe(403);
    expect((await call('GET', '/v1/audit/events', { token: admin })).status).toBe(200);
    expect((await call('GET', '/v1/audit/events')).status).toBe(401);
    expect(
      (await call('POST', '/v1/notarizations', { token: auditor.token, body: { sha256: randomSha256() } }))
        .status,
    ).toBe(403);
    expect((await call('GET', '/v1/admin/users', { token: auditor.token })).status).toBe(403);
  });

  it("erases a user's personal fields without breaking a proof", async () => {
    const person = await createUser(['uploader'], admin);
    await call('POST', '/v1/notarizations', { token: person.token, body: { sha256: randomSha256() } });
    const before = await sealed(auditor.token, { actor: person.id, from: since }, 1);
    expect(before.every((e) => e.personal?.sourceIp)).toBe(true);

    expect(
      (await call('POST', '/v1/audit/erasures', { token: auditor.token, body: { userId: person.id } }))
        .status,
    ).toBe(403);
    const erased = await call('POST', '/v1/audit/erasures', { token: admin, body: { userId: person.id } });
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toBeGreaterThanOrEqual(before.length);

    const after = await sealed(auditor.token, { actor: person.id, from: since }, before.length);
    for (const event of after) {
      expect(event.personal).toBeUndefined();
      const earlier = before.find((e) => e.id === event.id);
      if (!earlier) continue;
      // The same leaf, the same salted hash, and the proof still holds.
      expect(event.entry).toBe(earlier.entry);
      expect(event.personalHash).toBe(earlier.personalHash);
      expect(verifyInclusionProof(event.receipt as Receipt, auditKey).origin).toBe('stempel.local/audit');
    }
    expect(JSON.stringify(after)).not.toContain('"salt"');
  });
});
