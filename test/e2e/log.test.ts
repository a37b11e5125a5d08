import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../shared/core/checkpoint';
import { verifyConsistency } from '../../shared/core/merkle';
import { verifyReceipt } from '../../shared/core/receipt';
import { parseVerifierKey } from '../../shared/core/signed-note';
import { auditLog } from '../independent/tlog-tiles-client.mjs';
import { adminToken, apiUrl, call, createUser } from '../support/http';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ['dist/stempel.mjs', ...args], { encoding: 'utf8' }).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      out: `${err.stdout}${err.stderr}`,
    }),
  );

const sha256Of = async (bytes: Buffer) =>
  (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');

/** Polls a receipt until it is sealed; the integrator runs on the stream, so this takes well under two seconds. */
async function sealedReceipt(token: string, id: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await call('GET', `/v1/notarizations/${id}/receipt`, { token });
    if (res.status === 200) return res.body;
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'pending' });
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`notarization ${id} was not sealed`);
}

describe('the transparency log, end to end over HTTP', () => {
  let verifierKey: string;
  let uploaders: Awaited<ReturnType<typeof createUser>>[];
  const dir = mkdtempSync(join(tmpdir(), 'stempel-e2e-log-'));

  beforeAll(async () => {
    const key = await call('GET', '/v1/log/key');
    expect(key.status).toBe(200);
    expect(key.body).toMatchObject({ algorithm: 'Ed25519', origin: 'stempel.local/notarizations' });
    verifierKey = key.body.verifierKey;
    const admin = await adminToken();
    uploaders = await Promise.all([
      createUser(['uploader'], admin),
      createUser(['uploader'], admin),
      createUser(['uploader'], admin),
    ]);
  });

  it('seals several hundred concurrent notarizations; every receipt verifies offline; checkpoints stay consistent', async () => {
    const notarize = async (i: number) => {
      const uploader = uploaders[i % uploaders.length] as (typeof uploaders)[number];
      const document = randomBytes(64);
      const res = await call('POST', '/v1/notarizations', {
        token: uploader.token,
        body: { sha256: await sha256Of(document) },
      });
      expect(res.status).toBe(201);
      return { document, id: res.body.id as string, token: uploader.token };
    };
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => notarize(i)));
    await sealedReceipt(first[0]?.token as string, first[0]?.id as string);
    const earlyNote = (await call('GET', '/v1/log/checkpoint')).body as string;

    const rest: Awaited<ReturnType<typeof notarize>>[] = [];
    for (let wave = 0; wave < 6; wave++) {
      rest.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) => notarize(20 + wave * 50 + i)))));
    }
    const all = [...first, ...rest];
    const receipts = await Promise.all(
      all.map(async (n) => ({ ...n, receipt: await sealedReceipt(n.token, n.id) })),
    );
    const indices = new Set<number>();
    for (const { document, receipt, id } of receipts) {
      const verified = verifyReceipt(await sha256Of(document), receipt, verifierKey);
      expect(verified.entry.id).toBe(id);
      indices.add(verified.index);
    }
    expect(indices.size).toBe(all.length);

    const key = parseVerifierKey(verifierKey);
    const early = openCheckpoint(earlyNote, key);
    const late = openCheckpoint((await call('GET', '/v1/log/checkpoint')).body as string, key);
    expect(late.size).toBeGreaterThanOrEqual(early.size + rest.length);
    const consistency = await call('GET', `/v1/log/consistency?from=${early.size}&to=${late.size}`);
    expect(consistency.status).toBe(200);
    const proof = (consistency.body.proof as string[]).map((p) => new Uint8Array(Buffer.from(p, 'base64')));
    expect(verifyConsistency(early.size, late.size, early.rootHash, late.rootHash, proof)).toBe(true);

    // The notarization itself now says sealed.
    const one = await call('GET', `/v1/notarizations/${all[0]?.id}`, { token: all[0]?.token });
    expect(one.body).toMatchObject({ status: 'sealed', logIndex: expect.any(Number) });
  }, 180_000);

  it('serves C2SP tlog-tiles that an independent client audits, every tile and entry, to the signed root', async () => {
    const prefix = `${apiUrl()}/v1/log/`;
    const audit = await auditLog({ prefix, verifierKey, full: true });
    const checkpoint = openCheckpoint(
      (await call('GET', '/v1/log/checkpoint')).body as string,
      parseVerifierKey(verifierKey),
    );
    expect(audit.size).toBeGreaterThan(256); // the first test crossed a full tile
    expect(audit.size).toBeLessThanOrEqual(checkpoint.size);
    expect(audit.entries).toBe(audit.size);

    const full = await fetch(`${prefix}tile/0/000`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('cache-control')).toContain('immutable');
    expect((await full.arrayBuffer()).byteLength).toBe(256 * 32);
    // A partial tile is the prefix of the stored one: the same bytes whenever it is asked for.
    const partial = new Uint8Array(await (await fetch(`${prefix}tile/0/000.p/7`)).arrayBuffer());
    expect(partial).toEqual(
      new Uint8Array(await (await fetch(`${prefix}tile/0/000`)).arrayBuffer()).slice(0, 7 * 32),
    );
    const bundle = await fetch(`${prefix}tile/entries/000.p/2`);
    expect(bundle.status).toBe(200);

    for (const missing of [
      'tile/0/999',
      'tile/3/000.p/1',
      'tile/0/000.p/256',
      'tile/0/0',
      'tile/x/000',
      'tile/0/001.p/0',
    ]) {
      const res = await fetch(`${prefix}${missing}`);
      expect(res.status, missing).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('stempel verify checks a document and its receipt offline, and says what failed', async () => {
    const uploader = uploaders[0] as (typeof uploaders)[number];
    const document = randomBytes(4096);
    const res = await call('POST', '/v1/notarizations', {
      token: uploader.token,
      body: { sha256: await sha256Of(document) },
    });
    const receipt = await sealedReceipt(uploader.token, res.body.id);
    const docPath = join(dir, 'contract.bin');
    const receiptPath = join(dir, 'receipt.json');
    writeFileSync(docPath, document);
    writeFileSync(receiptPath, JSON.stringify(receipt));

    const ok = await cli('verify', docPath, receiptPath, '--key', verifierKey);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('OK:');

    const otherDoc = join(dir, 'other.bin');
    writeFileSync(otherDoc, randomBytes(10));
    expect((await cli('verify', otherDoc, receiptPath, '--key', verifierKey)).out).toMatch(
      /FAILED: document hash/,
    );

    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...receipt, index: receipt.index + 1 }));
    expect((await cli('verify', docPath, tampered, '--key', verifierKey)).out).toMatch(/FAILED: inclusion/);

    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, JSON.stringify(receipt).slice(0, 100));
    expect((await cli('verify', docPath, truncated, '--key', verifierKey)).out).toMatch(/FAILED: receipt/);

    const otherKey = `stempel.local/notarizations+00000000+${Buffer.concat([Buffer.of(1), randomBytes(32)]).toString('base64')}`;
    const wrongKey = await cli('verify', docPath, receiptPath, '--key', otherKey);
    expect(wrongKey.code).not.toBe(0);
  });

  it('stempel log check witnesses that the log only grew', async () => {
    const state = join(dir, 'witness.txt');
    const firstRun = await cli('log', 'check', '--key', verifierKey, '--url', apiUrl(), '--state', state);
    expect(firstRun.code, firstRun.out).toBe(0);
    const uploader = uploaders[1] as (typeof uploaders)[number];
    const res = await call('POST', '/v1/notarizations', {
      token: uploader.token,
      body: { sha256: randomBytes(32).toString('hex') },
    });
    await sealedReceipt(uploader.token, res.body.id);
    const secondRun = await cli(
      'log',
      'check',
      '--key',
      verifierKey,
      '--tiles',
      `${apiUrl()}/v1/log/`,
      '--state',
      state,
      '--full',
    );
    expect(secondRun.code, secondRun.out).toBe(0);
    expect(secondRun.out).toMatch(/OK: all \d+ entries and every tile recompute the signed root/);
    expect(secondRun.out).toMatch(/grew from \d+ to \d+ entries/);
    // A saved checkpoint that was altered (its signature no longer holds) is refused, not trusted.
    const forked = (readFileSync(state, 'utf8') as string).replace(
      /\n(\d+)\n/,
      (_, n) => `\n${Number(n) + 1}\n`,
    );
    writeFileSync(state, forked);
    const third = await cli('log', 'check', '--key', verifierKey, '--url', apiUrl(), '--state', state);
    expect(third.code).not.toBe(0);
    expect(third.out).toMatch(/FAILED: the saved checkpoint/);
  });

  it('answers a bad consistency range with 400', async () => {
    expect((await call('GET', '/v1/log/consistency?from=5&to=2')).status).toBe(400);
    expect((await call('GET', '/v1/log/consistency?from=1&to=999999999')).body.code).toBe('invalid_range');
    expect((await call('GET', '/v1/log/consistency?from=x&to=2')).status).toBe(400);
  });
});
