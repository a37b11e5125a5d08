import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../shared/core/receipt';
import { adminToken, apiUrl, call, createUser, uniqueName } from '../support/http';
import { cli } from '../support/tools';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const MiB = 2 ** 20;

describe('stempel notarize, against the local runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stempel-cli-notarize-'));
  let uploader: Awaited<ReturnType<typeof createUser>>;
  let verifierKey: string;

  beforeAll(async () => {
    uploader = await createUser(['uploader']);
    verifierKey = (await call('GET', '/v1/log/key')).body.verifierKey as string;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const document = (name: string, bytes: Buffer = randomBytes(2048)) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return { path, bytes };
  };

  /** The receipt next to the file verifies offline, with the library and with `stempel verify`. */
  async function expectVerifies(path: string, bytes: Buffer, receiptPath = `${path}.receipt.json`) {
    const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
    expect(verifyReceipt(sha256(bytes), receipt, verifierKey)).toMatchObject({
      entry: { sha256: sha256(bytes) },
      origin: 'stempel.local/notarizations',
    });
    const verified = await cli(['verify', path, receiptPath, '--key', verifierKey]);
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toContain(`OK: ${path} (sha256 ${sha256(bytes)})`);
    return receipt;
  }

  it('uploads a small file with --token, writes the receipt next to it, and the receipt verifies', async () => {
    const { path, bytes } = document('contract.pdf');
    const res = await cli(['notarize', path, '--url', apiUrl(), '--token', uploader.token]);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/uploaded 2048 bytes\n/);
    expect(res.out).toContain(`notarized ${path} (sha256 ${sha256(bytes)}) as `);
    expect(res.out).toContain(`receipt: ${path}.receipt.json`);
    expect(res.out).toContain(`stempel verify ${path} ${path}.receipt.json --key`);
    expect(res.out).not.toContain(uploader.token);
    await expectVerifies(path, bytes);

    // The document was stored: its owner downloads the same bytes, under its name and type.
    const id = /as ([0-9a-f-]{36})/.exec(res.out)?.[1] as string;
    const link = await call('GET', `/v1/notarizations/${id}/file`, { token: uploader.token });
    expect(link.status).toBe(200);
    expect(link.body).toMatchObject({ name: 'contract.pdf', contentType: 'application/pdf', size: 2048 });
    const download = await fetch(link.body.url, { headers: link.body.headers });
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    // Again: the same notarization, reported as such.
    const again = await cli(['notarize', path, '--url', apiUrl(), '--out', join(dir, 'again.json')], {
      STEMPEL_TOKEN: uploader.token,
    });
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain(`already notarized: ${path} (sha256 ${sha256(bytes)}) is ${id}`);
    await expectVerifies(path, bytes, join(dir, 'again.json'));
  });

  it('--hash-only sends only the hash: notarized, nothing stored, the receipt verifies', async () => {
    const { path, bytes } = document('notes.txt');
    const out = join(dir, 'notes.receipt');
    const res = await cli(['notarize', path, '--url', apiUrl(), '--hash-only', '--out', out], {
      STEMPEL_TOKEN: uploader.token,
    });
    expect(res.code, res.out).toBe(0);
    expect(res.out).not.toContain('uploaded');
    await expectVerifies(path, bytes, out);
    const id = /as ([0-9a-f-]{36})/.exec(res.out)?.[1] as string;
    const n = await call('GET', `/v1/notarizations/${id}`, { token: uploader.token });
    expect(n.body).toMatchObject({ sha256: sha256(bytes), name: 'notes.txt' });
    expect(n.body.file).toBeUndefined();
  });

  it('--login reads the password from STEMPEL_PASSWORD and never prints it', async () => {
    const { path, bytes } = document('deed.json');
    const res = await cli(['notarize', path, '--url', apiUrl(), '--login', uploader.username], {
      STEMPEL_PASSWORD: uploader.password,
    });
    expect(res.code, res.out).toBe(0);
    expect(res.out).not.toContain(uploader.password);
    await expectVerifies(path, bytes);
  });

  it('a file above the multipart threshold goes up in parts and verifies', async () => {
    const { path, bytes } = document('big.bin', randomBytes(20 * MiB));
    const res = await cli(['notarize', path, '--url', apiUrl(), '--token', uploader.token]);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toContain(`uploaded ${20 * MiB} bytes in 2 parts`);
    await expectVerifies(path, bytes);
  });

  it('fails clearly, with exit code 1: a bad token, a wrong password, a forced password change, no uploader role, no file', async () => {
    const { path } = document('refused.pdf');
    const badToken = await cli(['notarize', path, '--url', apiUrl(), '--token', 'not-a-token']);
    expect(badToken.code).toBe(1);
    expect(badToken.out).toMatch(/^FAILED: 401 unauthorized: .+/m);
    expect(existsSync(`${path}.receipt.json`)).toBe(false);

    const wrong = await cli(['notarize', path, '--url', apiUrl(), '--login', uploader.username], {
      STEMPEL_PASSWORD: 'not-the-password-1',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/^FAILED: 401 invalid_credentials: .+/m);
    expect(wrong.out).not.toContain('not-the-password-1');

    // A new user has not changed the temporary password yet.
    const username = uniqueName('fresh');
    const created = await call('POST', '/v1/admin/users', {
      token: await adminToken(),
      body: { username, roles: ['uploader'] },
    });
    const temporary = created.body.temporaryPassword as string;
    const fresh = await cli(['notarize', path, '--url', apiUrl(), '--login', username], {
      STEMPEL_PASSWORD: temporary,
    });
    expect(fresh.code).toBe(1);
    expect(fresh.out).toMatch(/^FAILED: .*must change the password/m);
    const freshToken = (await call('POST', '/v1/auth/login', { body: { username, password: temporary } }))
      .body.accessToken as string;
    const withToken = await cli(['notarize', path, '--url', apiUrl(), '--token', freshToken]);
    expect(withToken.code).toBe(1);
    expect(withToken.out).toMatch(/^FAILED: .*must change the password/m);
    expect(withToken.out).not.toContain(freshToken);

    const verifier = await createUser(['verifier']);
    const notUploader = await cli(['notarize', path, '--url', apiUrl(), '--token', verifier.token]);
    expect(notUploader.code).toBe(1);
    expect(notUploader.out).toMatch(/^FAILED: 403 forbidden: .*uploader role/m);

    const noCredentials = await cli(['notarize', path, '--url', apiUrl()]);
    expect(noCredentials.code).toBe(1);
    expect(noCredentials.out).toMatch(/^FAILED: give --token \(or STEMPEL_TOKEN\) or --login/m);

    const missing = await cli(['notarize', join(dir, 'nope.pdf'), '--url', apiUrl(), '--token', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/^FAILED: .*nope\.pdf: no such file/m);
  });
});
