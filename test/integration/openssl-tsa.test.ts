import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpensslTsa, startOpensslTsa } from '../support/openssl-tsa';

const run = promisify(execFile);

/** The external TSA the tests anchor with is a real one: tokens that `openssl ts -verify` accepts. */
describe('a third-party RFC 3161 TSA for tests (openssl ts -reply over HTTP)', () => {
  let tsa: OpensslTsa;
  const dir = mkdtempSync(join(tmpdir(), 'stempel-tsa-client-'));
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, encoding: 'utf8' });
  const post = (body: Buffer, type = 'application/timestamp-query') =>
    fetch(tsa.url, { method: 'POST', headers: { 'content-type': type }, body });

  beforeAll(async () => {
    tsa = await startOpensslTsa();
    writeFileSync(join(dir, 'ca.pem'), tsa.caPem);
    writeFileSync(join(dir, 'document.txt'), 'a checkpoint, say\n');
  });
  afterAll(() => tsa.stop());

  it('answers a query with a token that verifies against its CA, nonce and all', async () => {
    await openssl('ts', '-query', '-data', 'document.txt', '-sha256', '-cert', '-out', 'q.tsq');
    const res = await post(readFileSync(join(dir, 'q.tsq')));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
    writeFileSync(join(dir, 'r.tsr'), Buffer.from(await res.arrayBuffer()));
    const { stdout } = await openssl(
      'ts',
      '-verify',
      '-in',
      'r.tsr',
      '-queryfile',
      'q.tsq',
      '-CAfile',
      'ca.pem',
    );
    expect(stdout).toContain('Verification: OK');
    // Another CA does not vouch for it.
    const other = await startOpensslTsa();
    writeFileSync(join(dir, 'other.pem'), other.caPem);
    await other.stop();
    await expect(
      openssl('ts', '-verify', '-in', 'r.tsr', '-queryfile', 'q.tsq', '-CAfile', 'other.pem'),
    ).rejects.toThrow();
  });

  it('refuses an unsupported hash with a rejection, and can be taken down', async () => {
    await openssl('ts', '-query', '-data', 'document.txt', '-sha1', '-out', 'sha1.tsq');
    const res = await post(readFileSync(join(dir, 'sha1.tsq')));
    writeFileSync(join(dir, 'sha1.tsr'), Buffer.from(await res.arrayBuffer()));
    const { stdout } = await openssl('ts', '-reply', '-in', 'sha1.tsr', '-text');
    expect(stdout).toMatch(/Status: Rejected/);
    expect(stdout).toMatch(/unrecognized or unsupported algorithm identifier/);
    tsa.setDown(true);
    expect((await post(readFileSync(join(dir, 'sha1.tsq')))).status).toBe(503);
    tsa.setDown(false);
    expect((await post(Buffer.from('x'), 'text/plain')).status).toBe(415);
  });
});
