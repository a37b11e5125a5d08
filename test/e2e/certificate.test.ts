import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoNotarizationStore } from '../../shared/adapters/dynamo-notarization-store';
import { receiptSchema } from '../../shared/core/receipt';
import { adminToken, apiUrl, call, createUser, randomSha256 } from '../support/http';

/** Polls the receipt until the notarization is sealed (the integrator runs on the table's stream). */
async function sealedReceipt(token: string, id: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await call('GET', `/v1/notarizations/${id}/receipt`, { token });
    if (res.status === 200) return res.body;
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`notarization ${id} was not sealed`);
}

const getPdf = async (id: string, token: string) => {
  const res = await fetch(`${apiUrl()}/v1/notarizations/${id}/certificate`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
};

/** The QR code on the page: render it with poppler (PPM, trivially parsed) and decode it with jsQR. */
function decodeQr(pdf: string, dir: string): string | undefined {
  execFileSync('pdftoppm', ['-r', '200', '-singlefile', pdf, join(dir, 'page')]);
  const ppm = readFileSync(join(dir, 'page.ppm'));
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'));
  if (!header) throw new Error('pdftoppm did not write a binary PPM');
  const [width, height] = [Number(header[1]), Number(header[2])];
  const rgb = ppm.subarray(header[0].length);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = rgb[i * 3] as number;
    rgba[i * 4 + 1] = rgb[i * 3 + 1] as number;
    rgba[i * 4 + 2] = rgb[i * 3 + 2] as number;
    rgba[i * 4 + 3] = 255;
  }
  return jsQR(rgba, width, height)?.data;
}

describe('GET /v1/notarizations/{id}/certificate, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stempel-e2e-certificate-'));
  let owner: Awaited<ReturnType<typeof createUser>>;
  let other: Awaited<ReturnType<typeof createUser>>;
  let verifier: Awaited<ReturnType<typeof createUser>>;
  let verifierKey: string;

  beforeAll(async () => {
    const admin = await adminToken();
    [owner, other, verifier] = await Promise.all([
      createUser(['uploader'], admin),
      createUser(['uploader'], admin),
      createUser(['verifier'], admin),
    ]);
    verifierKey = (await call('GET', '/v1/log/key')).body.verifierKey;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders a one-page PDF with the hash, the log position, the key and a QR code of the receipt', async () => {
    const sha256 = randomSha256();
    const name = 'Prüfbericht – 東京.pdf';
    const notarized = await call('POST', '/v1/notarizations', { token: owner.token, body: { sha256, name } });
    expect(notarized.status).toBe(201);
    const id = notarized.body.id as string;
    const receipt = await sealedReceipt(owner.token, id);

    const res = await getPdf(id, owner.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pdf = join(dir, `${id}.pdf`);
    writeFileSync(pdf, res.bytes);

    expect(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' })).toMatch(/^Pages:\s+1$/m);
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    expect(text).toContain(sha256);
    expect(text).toContain(id);
    expect(text).toContain(notarized.body.receivedAt);
    expect(text).toMatch(new RegExp(`Log index\\s+${receipt.index}\\b`));
    expect(text).toMatch(new RegExp(`Tree size\\s+${receipt.treeSize}\\b`));
    // The checkpoint's origin line and root hash, and the verifier key (wrapped lines joined).
    const [origin, , root] = (receipt.checkpoint as string).split('\n');
    expect(text).toContain(origin);
    expect(text).toContain(root);
    expect(text.replace(/\s+/g, '')).toContain(verifierKey);
    // WinAnsi shows the umlaut and the en dash; the CJK characters are replaced visibly, not dropped.
    expect(text).toContain('Prüfbericht – ??.pdf');
    expect(text).toMatch(/printed as "\?"/);

    const qr = decodeQr(pdf, dir);
    expect(qr).toBeDefined();
    const scanned = receiptSchema.parse(JSON.parse(qr as string));
    const { anchor: _anchor, ...expected } = receipt;
    expect(scanned).toEqual(expected);
  });

  it('lets a verifier fetch it, gives another uploader 404, and answers 409 not_sealed before sealing', async () => {
    const sha256 = randomSha256();
    const notarized = await call('POST', '/v1/notarizations', { token: owner.token, body: { sha256 } });
    const id = notarized.body.id as string;
    await sealedReceipt(owner.token, id);

    const byVerifier = await getPdf(id, verifier.token);
    expect(byVerifier.status).toBe(200);
    expect(byVerifier.headers.get('content-type')).toBe('application/pdf');

    const stranger = await call('GET', `/v1/notarizations/${id}/certificate`, { token: other.token });
    expect(stranger.status).toBe(404);
    expect(stranger.headers.get('content-type')).toBe('application/problem+json');
    expect(stranger.body.code).toBe('notarization_not_found');
    expect((await call('GET', `/v1/notarizations/${id}/certificate`)).status).toBe(401);

    // A notarization that is not in the log: one the integrator set aside (it never seals it),
    // written behind the API's back as in the seal-window test; the API's own ones seal within a second.
    const unsealed = randomUUID();
    await new DynamoNotarizationStore().createOnce({
      id: unsealed,
      owner: owner.id,
      sha256: randomSha256(),
      // Older than the seal window (24 h): should the integrator pick it up, it quarantines it, never seals it.
      receivedAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      status: 'quarantined',
    });
    const early = await call('GET', `/v1/notarizations/${unsealed}/certificate`, { token: owner.token });
    expect(early.status).toBe(409);
    expect(early.headers.get('content-type')).toBe('application/problem+json');
    expect(early.body).toMatchObject({ status: 409, code: 'not_sealed' });
    // The receipt route says the same thing its way.
    expect((await call('GET', `/v1/notarizations/${unsealed}/receipt`, { token: owner.token })).status).toBe(
      202,
    );

    const bad = await call('GET', '/v1/notarizations/not-a-uuid/certificate', { token: owner.token });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_request');
  });
});
