import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, call, createUser, randomSha256 } from '../support/http';
import { cli } from '../support/tools';

describe('stempel timestamp and stempel verify --tsr, against the local runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stempel-cli-tsa-'));
  const path = (name: string) => join(dir, name);
  let uploader: Awaited<ReturnType<typeof createUser>>;
  let verifierKey: string;

  beforeAll(async () => {
    uploader = await createUser(['uploader']);
    verifierKey = (await call('GET', '/v1/log/key')).body.verifierKey as string;
    const chain = await (await fetch(`${apiUrl()}/v1/tsa/certificates`)).text();
    const pems = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) as string[];
    writeFileSync(path('ca.pem'), pems.at(-1) as string);
    writeFileSync(path('contract.pdf'), randomBytes(5000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gets a token and its log receipt; both verify offline, and openssl agrees', async () => {
    const stamped = await cli(['timestamp', path('contract.pdf'), '--url', apiUrl()], {
      STEMPEL_TOKEN: uploader.token,
    });
    expect(stamped.out).toMatch(/time-stamped .*contract\.pdf at \d{4}-/);
    expect(stamped.code).toBe(0);
    const openssl = spawnSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-data',
        path('contract.pdf'),
        '-in',
        path('contract.pdf.tsr'),
        '-CAfile',
        path('ca.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(openssl.stdout).toContain('Verification: OK');

    const verified = await cli([
      ...['verify', path('contract.pdf'), path('contract.pdf.tsr.receipt.json')],
      ...['--tsr', path('contract.pdf.tsr'), '--tsa-ca', path('ca.pem'), '--key', verifierKey],
    ]);
    expect(verified.out).toMatch(/^OK: .*contract\.pdf \(SHA-256 [0-9a-f]{64}\)/);
    expect(verified.out).toMatch(/time-stamped at .* by CN=Stempel local TSA/);
    expect(verified.out).toMatch(/the token is entry \d+ of stempel\.local\/notarizations/);
    expect(verified.code).toBe(0);
  });

  it('names the part that fails: another document, another token, an untrusted root, no token', async () => {
    const verify = (file: string, ...extra: string[]) =>
      cli([...['verify', path(file), path('contract.pdf.tsr.receipt.json'), '--key', verifierKey], ...extra]);
    writeFileSync(path('forged.pdf'), randomBytes(5000));
    const tsr = ['--tsr', path('contract.pdf.tsr'), '--tsa-ca', path('ca.pem')];
    const other = await verify('forged.pdf', ...tsr);
    expect(other.code).toBe(1);
    expect(other.out).toContain('FAILED: time-stamp token: the token is for another document');

    // A second, genuine token for the same file is not the one this receipt logs.
    await cli(['timestamp', path('contract.pdf'), '--url', apiUrl(), '--out', path('second.tsr')], {
      STEMPEL_TOKEN: uploader.token,
    });
    const swapped = await verify('contract.pdf', '--tsr', path('second.tsr'), '--tsa-ca', path('ca.pem'));
    expect(swapped.code).toBe(1);
    expect(swapped.out).toContain('FAILED: document hash');

    const foreign = spawnSync('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...[
        '-keyout',
        path('foreign.key'),
        '-out',
        path('foreign.pem'),
        '-subj',
        '/CN=Not Stempel',
        '-days',
        '1',
      ],
    ]);
    expect(foreign.status).toBe(0);
    const untrusted = await verify(
      'contract.pdf',
      '--tsr',
      path('contract.pdf.tsr'),
      '--tsa-ca',
      path('foreign.pem'),
    );
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toContain('FAILED: time-stamp token:');

    const missing = await verify('contract.pdf');
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('this is the receipt of a token: give the token with --tsr');
  });

  it("checks a notarization's token next to its receipt", async () => {
    writeFileSync(path('notarized.bin'), randomBytes(100));
    const notarized = await cli(['notarize', path('notarized.bin'), '--url', apiUrl(), '--hash-only'], {
      STEMPEL_TOKEN: uploader.token,
    });
    expect(notarized.code).toBe(0);
    const id = /as ([0-9a-f-]{36})/.exec(notarized.out)?.[1] as string;
    const res = await fetch(`${apiUrl()}/v1/notarizations/${id}/timestamp`, {
      headers: { authorization: `Bearer ${uploader.token}` },
    });
    writeFileSync(path('notarized.tsr'), Buffer.from(await res.arrayBuffer()));
    const verified = await cli([
      ...['verify', path('notarized.bin'), path('notarized.bin.receipt.json'), '--key', verifierKey],
      ...['--tsr', path('notarized.tsr'), '--tsa-ca', path('ca.pem')],
    ]);
    expect(verified.out).toContain('RFC 3161 token: time-stamped at');
    expect(verified.code).toBe(0);
    // The token of another document is refused.
    const other = await call('POST', '/v1/notarizations', {
      token: uploader.token,
      body: { sha256: randomSha256() },
    });
    const otherToken = await fetch(`${apiUrl()}/v1/notarizations/${other.body.id}/timestamp`, {
      headers: { authorization: `Bearer ${uploader.token}` },
    });
    writeFileSync(path('other.tsr'), Buffer.from(await otherToken.arrayBuffer()));
    const refused = await cli([
      ...['verify', path('notarized.bin'), path('notarized.bin.receipt.json'), '--key', verifierKey],
      ...['--tsr', path('other.tsr'), '--tsa-ca', path('ca.pem')],
    ]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('FAILED: time-stamp token: the token is for another document');
    expect(readFileSync(path('notarized.tsr')).length).toBeGreaterThan(500);
  });
});
