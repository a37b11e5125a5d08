import { describe, expect, it } from 'vitest';
import { adminToken, call, createUser, login, randomSha256, uniqueName } from '../support/http';

describe('login → change password → create users → notarize → verify, over HTTP', () => {
  it('walks the README flow end to end', async () => {
    const admin = await adminToken();
    const me = await call('GET', '/v1/me', { token: admin });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'admin', roles: ['admin'], mustChangePassword: false });

    // A new user starts with a temporary password and is blocked until it changes it.
    const username = uniqueName('carol');
    const created = await call('POST', '/v1/admin/users', {
      token: admin,
      body: { username, roles: ['uploader'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ username, roles: ['uploader'], mustChangePassword: true });
    const temporary = created.body.temporaryPassword as string;
    const first = await call('POST', '/v1/auth/login', { body: { username, password: temporary } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ tokenType: 'Bearer', mustChangePassword: true });
    expect(first.headers.get('cache-control')).toBe('no-store');
    const token = first.body.accessToken as string;
    const blocked = await call('POST', '/v1/notarizations', { token, body: { sha256: randomSha256() } });
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('password_change_required');

    const weak = await call('POST', '/v1/auth/password', {
      token,
      body: { currentPassword: temporary, newPassword: 'password1234' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('weak_password');
    const changed = await call('POST', '/v1/auth/password', {
      token,
      body: { currentPassword: temporary, newPassword: 'Notary-Stamp-2026-x' },
    });
    expect(changed.status).toBe(204);
    expect((await call('POST', '/v1/auth/login', { body: { username, password: temporary } })).status).toBe(
      401,
    );
    const uploader = await login(username, 'Notary-Stamp-2026-x');

    // Notarize, then again: the same notarization comes back with 200.
    const sha256 = randomSha256();
    const notarized = await call('POST', '/v1/notarizations', {
      token: uploader,
      body: { sha256, name: 'contract.pdf' },
    });
    expect(notarized.status).toBe(201);
    expect(notarized.body).toMatchObject({
      sha256,
      status: 'pending',
      owner: created.body.user.id,
      name: 'contract.pdf',
    });
    expect(notarized.body.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const again = await call('POST', '/v1/notarizations', {
      token: uploader,
      body: { sha256: sha256.toUpperCase() },
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(notarized.body.id);

    const fetched = await call('GET', `/v1/notarizations/${notarized.body.id}`, { token: uploader });
    expect(fetched.status).toBe(200);
    // The integrator may have sealed it already.
    expect(fetched.body).toMatchObject({
      ...notarized.body,
      status: expect.stringMatching(/^(pending|sealed)$/),
    });

    // A verifier finds it by hash and can read it; it knows nothing of an unknown hash.
    const verifier = await createUser(['verifier'], admin);
    const verified = await call('POST', '/v1/verify', { token: verifier.token, body: { sha256 } });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({
      sha256,
      notarized: true,
      notarizations: [
        {
          id: notarized.body.id,
          receivedAt: notarized.body.receivedAt,
          status: expect.stringMatching(/^(pending|sealed)$/),
        },
      ],
    });
    const unknown = await call('POST', '/v1/verify', {
      token: verifier.token,
      body: { sha256: randomSha256() },
    });
    expect(unknown.body).toMatchObject({ notarized: false, notarizations: [] });
    expect(
      (await call('GET', `/v1/notarizations/${notarized.body.id}`, { token: verifier.token })).status,
    ).toBe(200);
  });

  it('hides one uploader’s notarization from another (404, not 403)', async () => {
    const admin = await adminToken();
    const [alice, bob] = await Promise.all([
      createUser(['uploader'], admin),
      createUser(['uploader'], admin),
    ]);
    const mine = await call('POST', '/v1/notarizations', {
      token: alice.token,
      body: { sha256: randomSha256() },
    });
    const other = await call('GET', `/v1/notarizations/${mine.body.id}`, { token: bob.token });
    const missing = await call('GET', `/v1/notarizations/${crypto.randomUUID()}`, { token: bob.token });
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.code).toBe(missing.body.code);
    expect(other.body.detail).toBe(missing.body.detail);
    // Nor does it show up in bob's listing, nor its receipt.
    const bobs = await call('GET', '/v1/notarizations?limit=100', { token: bob.token });
    expect(bobs.status).toBe(200);
    expect(bobs.body.items).toEqual([]);
    expect(
      (await call('GET', `/v1/notarizations/${mine.body.id}/receipt`, { token: bob.token })).status,
    ).toBe(404);
    const alices = await call('GET', '/v1/notarizations', { token: alice.token });
    expect(alices.body.items.map((n: { id: string }) => n.id)).toEqual([mine.body.id]);
  });

  it('pages through an uploader’s own notarizations, newest first, and refuses a foreign cursor', async () => {
    const admin = await adminToken();
    const [carol, dave] = await Promise.all([
      createUser(['uploader'], admin),
      createUser(['uploader'], admin),
    ]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await call('POST', '/v1/notarizations', { token: carol.token, body: { sha256: randomSha256() } }))
          .body.id,
      );
    }
    const seen: { id: string; receivedAt: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('GET', `/v1/notarizations?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        token: carol.token,
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      if (cursor) {
        const stolen = await call('GET', `/v1/notarizations?cursor=${cursor}`, { token: dave.token });
        expect(stolen.status).toBe(400);
        expect(stolen.body.code).toBe('invalid_cursor');
      }
    } while (cursor);
    expect(seen.map((n) => n.id).sort()).toEqual([...ids].sort());
    const times = seen.map((n) => n.receivedAt);
    expect(times).toEqual([...times].sort().reverse()); // newest first
    const all = await call('GET', '/v1/notarizations?limit=100', { token: admin });
    expect(all.status).toBe(200);
  });

  it('enforces roles on every protected route', async () => {
    const admin = await adminToken();
    const [uploader, verifier] = await Promise.all([
      createUser(['uploader'], admin),
      createUser(['verifier'], admin),
    ]);
    const denied = [
      ['POST', '/v1/verify', uploader.token, { sha256: randomSha256() }],
      ['POST', '/v1/notarizations', verifier.token, { sha256: randomSha256() }],
      ['POST', '/v1/notarizations', admin, { sha256: randomSha256() }],
      ['GET', '/v1/admin/users', uploader.token, undefined],
      ['POST', '/v1/admin/users', verifier.token, { username: uniqueName('x'), roles: ['admin'] }],
    ] as const;
    for (const [method, path, token, body] of denied) {
      const res = await call(method, path, { token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('public routes', () => {
  it('reports health of every backend', async () => {
    const res = await call('GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      checks: { identityTable: 'ok', notarizationsTable: 'ok', logTable: 'ok', documentsBucket: 'ok' },
    });
  });

  it('serves the OpenAPI 3.1 document of every route', async () => {
    const res = await call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/auth/login', '/v1/notarizations', '/v1/notarizations/{id}', '/v1/verify']),
    );
    expect(
      res.body.paths['/v1/notarizations'].post.requestBody.content['application/json'].schema,
    ).toMatchObject({
      type: 'object',
      additionalProperties: false,
      anyOf: [{ required: ['sha256'] }, { required: ['uploadId'], not: { required: ['name'] } }],
    });
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
  });
});
