import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../shared/core/receipt';
import { adminToken, apiUrl, call, createUser, randomSha256 } from '../support/http';
import { opensslIn } from '../support/tools';

/**
 * The time-stamp authority over HTTP, checked with OpenSSL only: requests made
 * by `openssl ts -query`, replies verified by `openssl ts -verify -CAfile`
 * against the chain GET /v1/tsa/certificates serves, and each token found in
 * the log by its SHA-256.
 */

const dir = mkdtempSync(join(tmpdir(), 'stempel-e2e-tsa-'));
const file = (name: string) => join(dir, name);

const openssl = opensslIn(dir);

function query(name: string, ...args: string[]): Buffer {
  const { status, out } = openssl('ts', '-query', '-data', 'document.bin', ...args, '-out', name);
  expect(status, out).toBe(0);
  return readFileSync(file(name));
}

async function post(body: Uint8Array, token: string, contentType = 'application/timestamp-query') {
  const res = await fetch(`${apiUrl()}/v1/tsa`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
  });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** POSTs a query file; writes the reply to `reply` and returns it with the token's log entry id. */
async function stamp(queryName: string, reply: string, token: string) {
  const { res, bytes } = await post(readFileSync(file(queryName)), token);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
  writeFileSync(file(reply), bytes);
  return { bytes, entryId: res.headers.get('stempel-log-entry') };
}

const replyText = (reply: string) => openssl('ts', '-reply', '-in', reply, '-text').out;

async function sealedReceipt(token: string, id: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await call('GET', `/v1/notarizations/${id}/receipt`, { token });
    if (res.status === 200) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`entry ${id} was not sealed`);
}

describe('RFC 3161 time stamps, checked with openssl', () => {
  let uploader: Awaited<ReturnType<typeof createUser>>;
  let verifierKey: string;

  beforeAll(async () => {
    const admin = await adminToken();
    uploader = await createUser(['uploader'], admin);
    verifierKey = (await call('GET', '/v1/log/key')).body.verifierKey;
    const chain = await fetch(`${apiUrl()}/v1/tsa/certificates`);
    expect(chain.status).toBe(200);
    expect(chain.headers.get('content-type')).toBe('application/pem-certificate-chain');
    const pems = (await chain.text()).match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g);
    expect(pems).toHaveLength(2);
    writeFileSync(file('tsa.pem'), (pems as string[])[0] as string);
    writeFileSync(file('ca.pem'), (pems as string[])[1] as string);
    writeFileSync(file('document.bin'), randomBytes(1000));
  });

  it.each([
    ['sha256', ['-cert']],
    ['sha384', ['-cert']],
    ['sha512', ['-cert']],
    ['sha256', ['-no_nonce']],
    ['sha256', ['-cert', '-no_nonce']],
  ])('grants a %s token (%j) that openssl verifies against the served CA', async (digest, flags) => {
    const name = `${digest}${flags.join('')}`;
    query(`${name}.tsq`, `-${digest}`, ...flags);
    await stamp(`${name}.tsq`, `${name}.tsr`, uploader.token);
    expect(replyText(`${name}.tsr`)).toContain('Status: Granted.');
    // Without -cert the token carries no certificate: the TSA's own comes from -untrusted.
    const untrusted = flags.includes('-cert') ? [] : ['-untrusted', 'tsa.pem'];
    const verified = openssl(
      ...['ts', '-verify', '-in', `${name}.tsr`, '-queryfile', `${name}.tsq`, '-CAfile', 'ca.pem'],
      ...untrusted,
    );
    expect(verified.out).toContain('Verification: OK');
    // Not against another document.
    writeFileSync(file('other.bin'), randomBytes(10));
    const other = openssl(
      ...[
        'ts',
        '-verify',
        '-in',
        `${name}.tsr`,
        '-data',
        'other.bin',
        '-CAfile',
        'ca.pem',
        '-untrusted',
        'tsa.pem',
      ],
    );
    expect(other.status).not.toBe(0);
  });

  it('puts every token in the log: its entry names the token by SHA-256, serial number and genTime', async () => {
    query('logged.tsq', '-sha256', '-cert');
    const { entryId } = await stamp('logged.tsq', 'logged.tsr', uploader.token);
    expect(entryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(openssl('ts', '-reply', '-in', 'logged.tsr', '-token_out', '-out', 'logged.tst').status).toBe(0);
    const token = readFileSync(file('logged.tst'));
    const tokenSha256 = createHash('sha256').update(token).digest('hex');

    const receipt = await sealedReceipt(uploader.token, entryId as string);
    // The entry as the API shows it: the serial number, not the token's bytes.
    const shown = await call('GET', `/v1/notarizations/${entryId}`, { token: uploader.token });
    expect(shown.body).toMatchObject({ sha256: tokenSha256, status: 'sealed', timestamp: {} });
    expect(Object.keys(shown.body.timestamp)).toEqual(['serial']);
    const verified = verifyReceipt(tokenSha256, receipt, verifierKey);
    const entry = verified.entry as { type?: string; serial?: string; receivedAt: string; owner: string };
    expect(entry.type).toBe('timestamp');
    expect(entry.owner).toBe(uploader.id);
    const text = replyText('logged.tsr');
    const serial = /Serial number: 0x([0-9A-F]+)/.exec(text)?.[1]?.toLowerCase();
    // openssl prints the number without leading zeros; the entry keeps the DER's bytes.
    expect(BigInt(`0x${entry.serial}`)).toBe(BigInt(`0x${serial}`));
    // openssl prints genTime to the millisecond: "Nov 26 21:40:01.123 2026 GMT".
    const genTime = /Time stamp: (.+)/.exec(text)?.[1] as string;
    expect(new Date(entry.receivedAt).getTime()).toBe(new Date(genTime.replace(' GMT', 'Z')).getTime());
  });

  it.each([
    ['an unsupported hash (SHA-1)', ['-sha1'], 'unrecognized or unsupported algorithm'],
    ['another policy', ['-sha256', '-tspolicy', '1.2.3.4'], 'the requested TSA policy is not supported'],
  ])('rejects %s with the RFC 3161 failure bit', async (_what, flags, failure) => {
    const name = `rejected-${flags.join('')}`;
    query(`${name}.tsq`, ...flags);
    const { entryId } = await stamp(`${name}.tsq`, `${name}.tsr`, uploader.token);
    expect(entryId).toBeNull();
    const text = replyText(`${name}.tsr`);
    expect(text).toContain('Status: Rejected');
    expect(text).toContain(failure);
  });

  it.each([
    ['garbage', randomBytes(64)],
    ['a truncated query', () => readFileSync(file('sha256-cert.tsq')).subarray(0, 30)],
    ['trailing bytes', () => Buffer.concat([readFileSync(file('sha256-cert.tsq')), Buffer.of(0)])],
    ['an oversized body', Buffer.alloc(5000, 0x30)],
  ])('answers %s with a badDataFormat rejection, not a crash', async (_what, body) => {
    const bytes = typeof body === 'function' ? body() : body;
    const { res, bytes: reply } = await post(bytes, uploader.token);
    expect(res.status).toBe(200);
    writeFileSync(file('bad.tsr'), reply);
    const text = replyText('bad.tsr');
    expect(text).toContain('Status: Rejected');
    expect(text).toContain('the data submitted has the wrong format');
  });

  it('refuses other media types with 415, callers without a token with 401, and non-uploaders with 403', async () => {
    const body = readFileSync(file('sha256-cert.tsq'));
    const wrongType = await post(body, uploader.token, 'application/octet-stream');
    expect(wrongType.res.status).toBe(415);
    expect(JSON.parse(wrongType.bytes.toString()).code).toBe('unsupported_media_type');
    const anonymous = await fetch(`${apiUrl()}/v1/tsa`, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body,
    });
    expect(anonymous.status).toBe(401);
    const verifier = await createUser(['verifier']);
    expect((await post(body, verifier.token)).res.status).toBe(403);
  });

  it("serves one token per notarization, for the document's SHA-256, the same on every request", async () => {
    const sha256 = randomSha256();
    const created = await call('POST', '/v1/notarizations', { token: uploader.token, body: { sha256 } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const get = async (token: string) => {
      const res = await fetch(`${apiUrl()}/v1/notarizations/${id}/timestamp`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    // Concurrent first requests: one token wins, and everyone gets it.
    const first = await Promise.all([get(uploader.token), get(uploader.token), get(uploader.token)]);
    for (const { res } of first) expect(res.status).toBe(200);
    expect(new Set(first.map(({ bytes }) => bytes.toString('base64'))).size).toBe(1);
    const verifier = await createUser(['verifier']);
    const again = await get(verifier.token);
    expect(again.bytes.equals((first[0] as (typeof first)[number]).bytes)).toBe(true);

    writeFileSync(file('notarization.tsr'), again.bytes);
    const verified = openssl(
      ...['ts', '-verify', '-digest', sha256, '-in', 'notarization.tsr', '-CAfile', 'ca.pem'],
    );
    expect(verified.out).toContain('Verification: OK');
    // Its token is in the log too.
    const entryId = again.res.headers.get('stempel-log-entry') as string;
    openssl('ts', '-reply', '-in', 'notarization.tsr', '-token_out', '-out', 'notarization.tst');
    const tokenSha256 = createHash('sha256')
      .update(readFileSync(file('notarization.tst')))
      .digest('hex');
    const receipt = await sealedReceipt(uploader.token, entryId);
    expect(verifyReceipt(tokenSha256, receipt, verifierKey).entry.owner).toBe(uploader.id);

    const stranger = await createUser(['uploader']);
    expect((await get(stranger.token)).res.status).toBe(404);
  });
});
