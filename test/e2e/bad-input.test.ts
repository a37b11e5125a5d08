import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, createUser, randomSha256, uniqueName } from '../support/http';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bad input gets a 4xx problem and changes nothing', () => {
  let uploader: Awaited<ReturnType<typeof createUser>>;
  let verifierToken: string;

  beforeAll(async () => {
    const admin = await adminToken();
    uploader = await createUser(['uploader'], admin);
    verifierToken = (await createUser(['verifier'], admin)).token;
  });

  const notarizedCount = async (sha256: string) =>
    (await call('POST', '/v1/verify', { token: verifierToken, body: { sha256 } })).body.notarizations.length;

  it.each([
    [
      'malformed JSON',
      { rawBody: '{"sha256": ', headers: { 'content-type': 'application/json' } },
      400,
      'malformed_json',
    ],
    ['a sha256 that is not 64 hex', { body: { sha256: 'abc123' } }, 400, 'invalid_request'],
    ['a sha256 with a non-hex character', { body: { sha256: `${'a'.repeat(63)}g` } }, 400, 'invalid_request'],
    ['a wrong type', { body: { sha256: 42 } }, 400, 'invalid_request'],
    ['an unknown field', { body: { sha256: 'SHA', extra: true } }, 400, 'invalid_request'],
    ['a JSON array', { body: ['x'] }, 400, 'invalid_request'],
    ['no body', {}, 415, 'unsupported_media_type'],
    [
      'a non-JSON content type',
      { rawBody: 'sha256=x', headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported_media_type',
    ],
    ['an oversized body', { body: { sha256: 'SHA', name: 'x'.repeat(20_000) } }, 413, 'body_too_large'],
  ])('%s', async (_label, request, status, code) => {
    const sha256 = randomSha256();
    const withHash = JSON.parse(JSON.stringify(request).replaceAll('SHA', sha256));
    const res = await call('POST', '/v1/notarizations', { token: uploader.token, ...withHash });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status, code, type: `urn:stempel:problem:${code}` });
    expect(typeof res.body.requestId).toBe('string');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
    expect(await notarizedCount(sha256)).toBe(0);
  });

  it.each([['constructor'], ['toString'], ['valueOf'], ['hasOwnProperty'], ['__proto__'], ['prototype']])(
    'refuses the reserved metadata key %s with 400 and notarizes nothing',
    async (key) => {
      const sha256 = randomSha256();
      // Written by hand: JSON.stringify would drop a __proto__ key set through an object literal.
      const rawBody = `{"sha256":"${sha256}","metadata":{"${key}":"x","fine":"y"}}`;
      const res = await call('POST', '/v1/notarizations', {
        token: uploader.token,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.code).toBe('invalid_request');
      expect(res.body.errors[0].path).toMatch(/^body\.metadata/);
      expect(await notarizedCount(sha256)).toBe(0);
    },
  );

  it('keeps ordinary metadata keys exactly as sent', async () => {
    const sha256 = randomSha256();
    const metadata = { 'case.number': '2026-17', matter_id: 'A-1', 'x-y': '' };
    const res = await call('POST', '/v1/notarizations', {
      token: uploader.token,
      body: { sha256, metadata },
    });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual(metadata);
  });

  describe('tampered or foreign pagination cursors get 400 invalid_cursor', () => {
    const tampered = (uploaderId: string) => [
      b64url({ sk: '', pk: 'NOTARIZATION#00000000-0000-4000-8000-000000000000' }),
      b64url({ pk: '', sk: '', owner: uploaderId, receivedAt: '' }),
      b64url({ pk: 'NOTARIZATION#x', sk: 'NOTARIZATION', owner: uploaderId, receivedAt: '' }),
      `${b64url({ pk: 'x', sk: 'y' })}.${'A'.repeat(43)}`,
      'not-a-cursor',
    ];

    it('on the notarizations listing, for an uploader and for an admin', async () => {
      const admin = await adminToken();
      for (const token of [uploader.token, admin]) {
        for (const cursor of tampered(uploader.id)) {
          const res = await call('GET', `/v1/notarizations?cursor=${encodeURIComponent(cursor)}`, { token });
          expect(res.status, cursor).toBe(400);
          expect(res.headers.get('content-type')).toBe('application/problem+json');
          expect(res.body.code).toBe('invalid_cursor');
        }
      }
    });

    it('on the users listing, including a cursor of another partition', async () => {
      const admin = await adminToken();
      for (const cursor of [
        b64url({ pk: 'USER#x', sk: 'USER', listPk: 'OTHER', listSk: 'a' }),
        b64url({ pk: '', sk: '', listPk: '', listSk: '' }),
      ]) {
        const res = await call('GET', `/v1/admin/users?cursor=${cursor}`, { token: admin });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('invalid_cursor');
      }
    });

    it('when a genuine cursor is used by another caller or on another listing', async () => {
      const admin = await adminToken();
      for (let i = 0; i < 3; i++) {
        await call('POST', '/v1/notarizations', { token: uploader.token, body: { sha256: randomSha256() } });
      }
      const page = await call('GET', '/v1/notarizations?limit=1', { token: uploader.token });
      expect(page.body.nextCursor).toBeTruthy();
      const cursor = encodeURIComponent(page.body.nextCursor);
      expect(
        (await call('GET', `/v1/notarizations?limit=1&cursor=${cursor}`, { token: uploader.token })).status,
      ).toBe(200);
      expect((await call('GET', `/v1/notarizations?cursor=${cursor}`, { token: admin })).body.code).toBe(
        'invalid_cursor',
      );
      expect((await call('GET', `/v1/admin/users?cursor=${cursor}`, { token: admin })).body.code).toBe(
        'invalid_cursor',
      );
    });
  });

  it('lists every invalid field', async () => {
    const res = await call('POST', '/v1/admin/users', {
      token: await adminToken(),
      body: { username: 'a', roles: ['emperor'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.roles.0',
      'body.username',
    ]);
  });

  it('refuses a duplicate username with 409', async () => {
    const admin = await adminToken();
    const username = uniqueName('dup');
    expect(
      (await call('POST', '/v1/admin/users', { token: admin, body: { username, roles: ['verifier'] } }))
        .status,
    ).toBe(201);
    const again = await call('POST', '/v1/admin/users', {
      token: admin,
      body: { username: username.toUpperCase(), roles: ['admin'] },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('username_taken');
  });
});

describe('missing or forged tokens get 401', () => {
  let good: string;
  beforeAll(async () => {
    good = (await createUser(['uploader'])).token;
  });

  const forgeries = (): [string, string | undefined][] => {
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const otherKey = createPrivateKey(
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );
    const signedByOther = (hdr: unknown, body: unknown) => {
      const input = `${b64url(hdr)}.${b64url(body)}`;
      return `${input}.${sign(null, Buffer.from(input), otherKey).toString('base64url')}`;
    };
    const headerJson = JSON.parse(Buffer.from(h, 'base64url').toString());
    // Algorithm confusion: HMAC keyed with the server's *public* key, in the forms an attacker could get.
    const publicKey = createPublicKey(
      readFileSync(join(process.env.STEMPEL_DATA_DIR ?? '', 'keys', 'access-token-ed25519.pem')),
    );
    const hmacWith = (secret: Buffer | string) => {
      const input = `${b64url({ ...headerJson, alg: 'HS256' })}.${p}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const publicPem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const publicRaw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    return [
      ['no Authorization header', undefined],
      ['not a bearer token', `Basic ${Buffer.from('admin:x').toString('base64')}`],
      ['garbage', 'Bearer not-a-jwt'],
      ['alg none', `Bearer ${b64url({ alg: 'none', typ: 'at+jwt' })}.${p}.`],
      ['HS256 keyed with the public key (PEM)', `Bearer ${hmacWith(publicPem)}`],
      ['HS256 keyed with the public key (raw)', `Bearer ${hmacWith(publicRaw)}`],
      ['tampered payload', `Bearer ${h}.${b64url({ ...claims, sub: crypto.randomUUID() })}.${s}`],
      ['signed with another key', `Bearer ${signedByOther(headerJson, claims)}`],
      ['expired', `Bearer ${signedByOther(headerJson, { ...claims, exp: 1000 })}`],
      ['truncated signature', `Bearer ${h}.${p}.${s.slice(0, 20)}`],
    ];
  };

  it('accepts the genuine token (control)', async () => {
    const res = await call('GET', '/v1/me', { headers: { authorization: `Bearer ${good}` } });
    expect(res.status).toBe(200);
  });

  it('refuses each forgery with a 401 problem', async () => {
    for (const [label, authorization] of forgeries()) {
      const res = await call('POST', '/v1/notarizations', {
        headers: authorization ? { authorization } : {},
        body: { sha256: randomSha256() },
      });
      expect(res.status, label).toBe(401);
      expect(res.body, label).toMatchObject({ status: 401, code: 'unauthorized' });
    }
  });
});
