import { generate } from 'otplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, createUser, login, uniqueName } from '../support/http';

const loginRaw = (username: string, password: string, otp?: string) =>
  call('POST', '/v1/auth/login', { body: { username, password, ...(otp ? { otp } : {}) } });

/** A code for the step `offset` steps from now. */
const code = (secret: string, offset = 0) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });

describe('refresh tokens', () => {
  it('rotate on every use; a spent one revokes the whole family', async () => {
    const user = await createUser(['uploader']);
    const first = await loginRaw(user.username, user.password);
    expect(first.body.refreshToken).toMatch(/^[0-9a-f-]{36}\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    const second = await call('POST', '/v1/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    expect((await call('GET', '/v1/me', { token: second.body.accessToken })).status).toBe(200);

    // The attacker replays the first (spent) token: refused, and the family dies with it.
    const replay = await call('POST', '/v1/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_refresh_token');
    expect(
      (await call('POST', '/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } })).status,
    ).toBe(401);
    expect((await call('GET', '/v1/me', { token: second.body.accessToken })).status).toBe(401);
    // Other sessions of the same user are untouched.
    expect((await call('GET', '/v1/me', { token: user.token })).status).toBe(200);
  });

  it('refuses garbage', async () => {
    for (const refreshToken of ['x', `${crypto.randomUUID()}.${'A'.repeat(43)}`]) {
      const res = await call('POST', '/v1/auth/refresh', { body: { refreshToken } });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_refresh_token');
    }
  });
});

describe('logout', () => {
  it('revokes the access token at once, and its refresh family', async () => {
    const user = await createUser(['verifier']);
    const session = await loginRaw(user.username, user.password);
    expect((await call('POST', '/v1/auth/logout', { token: session.body.accessToken })).status).toBe(204);
    expect((await call('GET', '/v1/me', { token: session.body.accessToken })).status).toBe(401);
    expect(
      (await call('POST', '/v1/auth/refresh', { body: { refreshToken: session.body.refreshToken } })).status,
    ).toBe(401);
    expect((await call('GET', '/v1/me', { token: user.token })).status).toBe(200);
  });
});

describe('password change', () => {
  it('ends every other session of the user, and keeps the one that changed it', async () => {
    const user = await createUser(['uploader']);
    const other = await loginRaw(user.username, user.password);
    const current = await loginRaw(user.username, user.password);
    const changed = await call('POST', '/v1/auth/password', {
      token: current.body.accessToken,
      body: { currentPassword: user.password, newPassword: 'fresh-notary-secret-77' },
    });
    expect(changed.status).toBe(204);
    expect((await call('GET', '/v1/me', { token: current.body.accessToken })).status).toBe(200);
    expect(
      (await call('POST', '/v1/auth/refresh', { body: { refreshToken: current.body.refreshToken } })).status,
    ).toBe(200);
    expect((await call('GET', '/v1/me', { token: other.body.accessToken })).status).toBe(401);
    expect((await call('GET', '/v1/me', { token: user.token })).status).toBe(401);
    expect(
      (await call('POST', '/v1/auth/refresh', { body: { refreshToken: other.body.refreshToken } })).status,
    ).toBe(401);
  });

  it('counts wrong current passwords toward the lockout', async () => {
    const user = await createUser(['verifier']);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call('POST', '/v1/auth/password', {
        token: user.token,
        body: { currentPassword: `wrong-guess-${i}-xyz`, newPassword: 'whatever-long-pass-1' },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429]);
    await call('POST', `/v1/admin/users/${user.id}/unlock`, { token: await adminToken() });
  });
});

describe('brute force', () => {
  it('counts parallel guesses before checking any of them, so a burst cannot outrun the lock', async () => {
    const user = await createUser(['uploader']);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => loginRaw(user.username, `burst-guess-${i}-abc`)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
    await call('POST', `/v1/admin/users/${user.id}/unlock`, { token: await adminToken() });
  });

  it('locks a username after repeated failures with 429 + Retry-After, the same whether or not it exists', async () => {
    const user = await createUser(['uploader']);
    const ghost = uniqueName('nobody');
    for (const name of [user.username, ghost]) {
      for (let i = 0; i < 5; i++) expect((await loginRaw(name, 'wrong-password-123')).status).toBe(401);
    }
    const [real, fake] = await Promise.all([
      loginRaw(user.username, user.password),
      loginRaw(ghost, 'whatever-123456'),
    ]);
    for (const res of [real, fake]) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.body.code).toBe('too_many_attempts');
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(real.body)).toEqual(strip(fake.body));

    // An admin lifts it; the right password works again.
    const admin = await adminToken();
    expect((await call('POST', `/v1/admin/users/${user.id}/unlock`, { token: admin })).status).toBe(204);
    expect((await loginRaw(user.username, user.password)).status).toBe(200);
  });

  it('answers an unknown user and a wrong password identically', async () => {
    const user = await createUser(['uploader']);
    const [wrong, unknown] = await Promise.all([
      loginRaw(user.username, 'not-the-password-1'),
      loginRaw(uniqueName('ghost'), 'not-the-password-1'),
    ]);
    expect(wrong.status).toBe(401);
    expect({ ...wrong.body, requestId: 0 }).toEqual({ ...unknown.body, requestId: 0 });
  });
});

describe('TOTP two-factor authentication', () => {
  let user: Awaited<ReturnType<typeof createUser>>;
  let secret: string;

  beforeAll(async () => {
    user = await createUser(['uploader']);
    const wrongPassword = await call('POST', '/v1/auth/otp/setup', {
      token: user.token,
      body: { currentPassword: 'not-my-password-1' },
    });
    expect(wrongPassword.status).toBe(403);
    expect((await call('POST', '/v1/auth/otp/setup', { token: user.token })).status).toBe(415); // no body: re-entry is required
    const setup = await call('POST', '/v1/auth/otp/setup', {
      token: user.token,
      body: { currentPassword: user.password },
    });
    expect(setup.status).toBe(200);
    secret = setup.body.secret;
    expect(setup.body.otpauthUri).toBe(
      `otpauth://totp/Stempel:${user.username}?secret=${secret}&issuer=Stempel`,
    );
    // Not on until confirmed.
    expect((await loginRaw(user.username, user.password)).status).toBe(200);
    const wrong = await call('POST', '/v1/auth/otp/confirm', { token: user.token, body: { otp: '000000' } });
    expect(wrong.status).toBe(400);
    const confirmed = await call('POST', '/v1/auth/otp/confirm', {
      token: user.token,
      body: { otp: await code(secret) },
    });
    expect(confirmed.status).toBe(204);
    expect((await call('GET', '/v1/me', { token: user.token })).body.otpEnabled).toBe(true);
  });

  it('requires the code at login, accepts ±1 step of drift, and refuses a replayed code', async () => {
    const missing = await loginRaw(user.username, user.password);
    expect(missing.status).toBe(401);
    expect(missing.body.code).toBe('otp_required');
    // The confirmation used the current step; the next step (clock ahead) is still accepted once.
    const ahead = await code(secret, 1);
    expect((await loginRaw(user.username, user.password, ahead)).status).toBe(200);
    const replayed = await loginRaw(user.username, user.password, ahead);
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('invalid_credentials');
    expect((await loginRaw(user.username, user.password, await code(secret, -1))).status).toBe(401); // older than the last used
  });

  it('answers a wrong code like a wrong password', async () => {
    const wrongCode = await loginRaw(user.username, user.password, '123456');
    const wrongPassword = await loginRaw(user.username, 'wrong-password-123', await code(secret, 1));
    expect(wrongCode.status).toBe(401);
    expect({ ...wrongCode.body, requestId: 0 }).toEqual({ ...wrongPassword.body, requestId: 0 });
    await call('POST', `/v1/admin/users/${user.id}/unlock`, { token: await adminToken() });
  });

  it('can be reset by an admin (lost device)', async () => {
    const admin = await adminToken();
    const reset = await call('POST', `/v1/admin/users/${user.id}/otp/reset`, { token: admin });
    expect(reset.status).toBe(200);
    expect(reset.body.otpEnabled).toBe(false);
    expect((await loginRaw(user.username, user.password)).status).toBe(200);
  });
});

describe('user administration', () => {
  it('lists with a cursor, updates roles, disables (ending sessions), enables and deletes', async () => {
    const admin = await adminToken();
    const user = await createUser(['uploader'], admin);
    const page = await call('GET', '/v1/admin/users?limit=2', { token: admin });
    expect(page.body.items).toHaveLength(2);
    expect(typeof page.body.nextCursor).toBe('string');
    const next = await call('GET', `/v1/admin/users?limit=2&cursor=${page.body.nextCursor}`, {
      token: admin,
    });
    expect(next.status).toBe(200);
    expect(next.body.items[0].username > page.body.items[1].username).toBe(true);

    const updated = await call('PATCH', `/v1/admin/users/${user.id}`, {
      token: admin,
      body: { roles: ['verifier'] },
    });
    expect(updated.body.roles).toEqual(['verifier']);
    // Role changes apply to existing tokens at once, GET /v1/me (answered from the authorizer's read) included.
    expect((await call('GET', '/v1/me', { token: user.token })).body).toEqual(updated.body);
    expect(
      (await call('POST', '/v1/verify', { token: user.token, body: { sha256: 'a'.repeat(64) } })).status,
    ).toBe(200);

    expect((await call('POST', `/v1/admin/users/${user.id}/disable`, { token: admin })).body.disabled).toBe(
      true,
    );
    expect((await call('GET', '/v1/me', { token: user.token })).status).toBe(401);
    expect((await loginRaw(user.username, user.password)).status).toBe(401);
    expect((await call('POST', `/v1/admin/users/${user.id}/enable`, { token: admin })).body.disabled).toBe(
      false,
    );
    expect((await call('GET', '/v1/me', { token: user.token })).status).toBe(401); // old sessions stay ended
    const fresh = await login(user.username, user.password);
    expect((await call('GET', '/v1/me', { token: fresh })).status).toBe(200);

    expect((await call('DELETE', `/v1/admin/users/${user.id}`, { token: admin })).status).toBe(204);
    expect((await call('GET', `/v1/admin/users/${user.id}`, { token: admin })).status).toBe(404);
    expect((await call('GET', '/v1/me', { token: fresh })).status).toBe(401);
  });

  it('never leaves the system without an active admin', async () => {
    const admin = await adminToken();
    const me = (await call('GET', '/v1/me', { token: admin })).body;
    const others = (await call('GET', '/v1/admin/users?limit=100', { token: admin })).body.items.filter(
      (u: { id: string; roles: string[]; disabled: boolean }) =>
        u.id !== me.id && u.roles.includes('admin') && !u.disabled,
    );
    expect(others).toEqual([]); // the bootstrap admin is the only one here
    for (const [method, path, body] of [
      ['PATCH', `/v1/admin/users/${me.id}`, { roles: ['verifier'] }],
      ['POST', `/v1/admin/users/${me.id}/disable`, undefined],
      ['DELETE', `/v1/admin/users/${me.id}`, undefined],
    ] as const) {
      const res = await call(method, path, { token: admin, body });
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(res.body.code).toBe('last_admin');
    }
    expect((await call('GET', '/v1/me', { token: admin })).body.roles).toEqual(['admin']);
  });
});

describe('refresh token in a cookie (browsers)', () => {
  const refreshCookie = (res: { headers: Headers }) =>
    res.headers
      .getSetCookie()
      .find((c) => c.startsWith('stempel_refresh='))
      ?.split(';')[0];

  it('sets an HttpOnly, Secure, SameSite=Strict cookie scoped to the refresh route, not the body', async () => {
    const user = await createUser(['verifier']);
    const res = await call('POST', '/v1/auth/login', {
      body: { username: user.username, password: user.password, refreshTokenDelivery: 'cookie' },
    });
    expect(res.status).toBe(200);
    expect(res.body.refreshToken).toBeUndefined();
    expect(res.body.accessToken).toEqual(expect.any(String));
    const [setCookie] = res.headers.getSetCookie();
    expect(setCookie).toMatch(/^stempel_refresh=[0-9a-f-]{36}\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}; /);
    const attributes = (setCookie ?? '').split('; ').slice(1).sort();
    expect(attributes).toEqual(['HttpOnly', 'Path=/v1/auth/refresh', 'SameSite=Strict', 'Secure']);
  });

  it('rotates through the cookie only with the CSRF header, and a spent cookie is refused and cleared', async () => {
    const user = await createUser(['verifier']);
    const first = await call('POST', '/v1/auth/login', {
      body: { username: user.username, password: user.password, refreshTokenDelivery: 'cookie' },
    });
    const cookie = refreshCookie(first) as string;

    const withoutHeader = await call('POST', '/v1/auth/refresh', { body: {}, headers: { cookie } });
    expect(withoutHeader.status).toBe(400);
    expect(withoutHeader.body.code).toBe('refresh_token_required');

    const csrf = { 'x-stempel-refresh': 'cookie' };
    const second = await call('POST', '/v1/auth/refresh', { body: {}, headers: { cookie, ...csrf } });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).toBeUndefined();
    const next = refreshCookie(second) as string;
    expect(next).toMatch(/^stempel_refresh=/);
    expect(next).not.toBe(cookie);
    expect((await call('GET', '/v1/me', { token: second.body.accessToken })).status).toBe(200);

    // The spent cookie again: refused (and, as a reuse, the family is revoked), and the browser told to drop it.
    const replay = await call('POST', '/v1/auth/refresh', { body: {}, headers: { cookie, ...csrf } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_refresh_token');
    expect(replay.headers.getSetCookie()[0]).toMatch(
      /^stempel_refresh=; Max-Age=0; Path=\/v1\/auth\/refresh;/,
    );
    const revoked = await call('POST', '/v1/auth/refresh', { body: {}, headers: { cookie: next, ...csrf } });
    expect(revoked.status).toBe(401);

    const none = await call('POST', '/v1/auth/refresh', { body: {}, headers: csrf });
    expect(none.status).toBe(401);
  });

  it('logout clears the cookie and ends the session; bearer clients keep the token in the body', async () => {
    const user = await createUser(['verifier']);
    const browser = await call('POST', '/v1/auth/login', {
      body: { username: user.username, password: user.password, refreshTokenDelivery: 'cookie' },
    });
    const cookie = refreshCookie(browser) as string;
    const out = await call('POST', '/v1/auth/logout', { token: browser.body.accessToken });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^stempel_refresh=; .*Max-Age=0/);
    const after = await call('POST', '/v1/auth/refresh', {
      body: {},
      headers: { cookie, 'x-stempel-refresh': 'cookie' },
    });
    expect(after.status).toBe(401);

    const bearer = await loginRaw(user.username, user.password);
    expect(bearer.body.refreshToken).toEqual(expect.any(String));
    expect(bearer.headers.getSetCookie()).toEqual([]);
  });
});
