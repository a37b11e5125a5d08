import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { AccessTokens } from '../../shared/core/access-tokens';

const dir = mkdtempSync(join(tmpdir(), 'stempel-keys-'));
const signer = new LocalSigner(join(dir, 'a.pem'));
const otherSigner = new LocalSigner(join(dir, 'b.pem'));
const settings = { issuer: 'stempel', audience: 'stempel-api', accessTokenTtlSeconds: 900 };
const at = (iso: string) => () => new Date(iso);

const tokens = (now = at('2026-01-01T00:00:00Z'), s = settings, key = signer) =>
  new AccessTokens(key, async () => s, now);

const refused = (promise: Promise<unknown>) =>
  expect(promise).rejects.toMatchObject({ code: 'invalid_token' });

describe('access tokens', () => {
  it('round-trips the claims of a token it issued', async () => {
    const { token, expiresIn, claims } = await tokens().issue('user-1', 'session-1');
    expect(expiresIn).toBe(900);
    expect(await tokens().verify(token)).toEqual(claims);
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString());
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives every token its own jti', async () => {
    const [a, b] = await Promise.all([tokens().issue('u', 's'), tokens().issue('u', 's')]);
    expect(a.claims.tokenId).not.toBe(b.claims.tokenId);
  });

  it('refuses an expired token, and one not yet valid, beyond a few seconds of clock skew', async () => {
    const { token } = await tokens().issue('u', 's');
    await refused(tokens(at('2026-01-01T00:15:06Z')).verify(token));
    await refused(tokens(at('2025-12-31T23:59:54Z')).verify(token));
    expect((await tokens(at('2026-01-01T00:14:00Z')).verify(token)).userId).toBe('u');
  });

  it('tolerates a few seconds of clock skew between the host that issued and the one that verifies', async () => {
    const { token } = await tokens().issue('u', 's');
    expect((await tokens(at('2026-01-01T00:15:03Z')).verify(token)).userId).toBe('u');
    expect((await tokens(at('2025-12-31T23:59:57Z')).verify(token)).userId).toBe('u');
  });

  it('refuses another issuer or audience', async () => {
    const { token } = await tokens().issue('u', 's');
    await refused(tokens(undefined, { ...settings, issuer: 'evil' }).verify(token));
    await refused(tokens(undefined, { ...settings, audience: 'other-api' }).verify(token));
  });

  it('refuses a token signed by another key, even with our kid', async () => {
    const { token } = await tokens(undefined, settings, otherSigner).issue('u', 's');
    await refused(tokens().verify(token));
    const [, payload] = token.split('.');
    const ours = (await tokens().issue('u', 's')).token.split('.')[0];
    await refused(tokens().verify(`${ours}.${payload}.${token.split('.')[2]}`));
  });

  it('refuses alg none and a wrong kid', async () => {
    const { token } = await tokens().issue('u', 's');
    const [h, p, s] = token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    await refused(tokens().verify(`${enc({ ...header, alg: 'none' })}.${p}.`));
    await refused(tokens().verify(`${enc({ ...header, kid: 'another-kid' })}.${p}.${s}`));
    await refused(tokens().verify(`${h}.${p}`));
  });
});
