import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoOwnerKeyStore } from '../../shared/adapters/dynamo-owner-key-store';
import { S3FileStore } from '../../shared/adapters/s3-file-store';
import { verifyReceipt } from '../../shared/core/receipt';
import { adminToken, call, createUser } from '../support/http';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const MiB = 2 ** 20;

type Upload = {
  uploadId: string;
  kind: 'single' | 'multipart';
  method: 'PUT';
  headers: Record<string, string>;
  url?: string;
  partSize?: number;
  parts?: { partNumber: number; url: string }[];
};

const put = (url: string, headers: Record<string, string>, body: Uint8Array) =>
  fetch(url, { method: 'PUT', headers, body });

/** Sends the bytes as the upload says: one PUT, or each part (all, or those `only` lists). */
async function sendBytes(upload: Upload, bytes: Uint8Array, only?: number[]) {
  if (upload.kind === 'single') {
    const res = await put(upload.url as string, upload.headers, bytes);
    expect(res.status).toBe(200);
    return;
  }
  const size = upload.partSize as number;
  for (const part of upload.parts ?? []) {
    if (only && !only.includes(part.partNumber)) continue;
    const slice = bytes.subarray((part.partNumber - 1) * size, part.partNumber * size);
    const res = await put(part.url, upload.headers, slice);
    expect(res.status).toBe(200);
  }
}

async function startUpload(token: string, bytes: Uint8Array, extra: Record<string, unknown> = {}) {
  const res = await call('POST', '/v1/uploads', {
    token,
    body: { sha256: sha256(bytes), size: bytes.length, ...extra },
  });
  expect(res.status).toBe(201);
  return res.body as Upload;
}

/** POST /v1/notarizations {uploadId}, asked again while the answer is 202 (the verifier reads the bytes). */
async function notarizeUpload(token: string, uploadId: string) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const res = await call('POST', '/v1/notarizations', { token, body: { uploadId } });
    if (res.status !== 202) return res;
    expect(res.body).toEqual({ uploadId, status: 'verifying' });
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`upload ${uploadId} was not checked in time`);
}

async function sealedReceipt(token: string, id: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await call('GET', `/v1/notarizations/${id}/receipt`, { token });
    if (res.status === 200) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`notarization ${id} was not sealed`);
}

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

describe('documents in S3, end to end over HTTP', () => {
  let owner: Awaited<ReturnType<typeof createUser>>;
  let other: Awaited<ReturnType<typeof createUser>>;
  let verifier: Awaited<ReturnType<typeof createUser>>;
  let admin: string;

  beforeAll(async () => {
    admin = await adminToken();
    [owner, other, verifier] = await Promise.all([
      createUser(['uploader'], admin),
      createUser(['uploader'], admin),
      createUser(['verifier'], admin),
    ]);
  });

  it('a single-part upload is notarized, downloaded by its owner and an admin, refused to others, and its receipt verifies', async () => {
    const marker = `stempel-plaintext-marker-${randomBytes(8).toString('hex')}`;
    const bytes = Buffer.from(`${marker}\n${'x'.repeat(1000)}`);
    const upload = await startUpload(owner.token, bytes, {
      name: 'Vertrag “Müller” 2026.pdf',
      contentType: 'application/pdf',
    });
    expect(upload.kind).toBe('single');
    expect(new URL(upload.url as string).pathname).not.toContain('Vertrag');
    expect(upload.headers).toMatchObject({
      'content-type': 'application/pdf',
      'x-amz-checksum-sha256': Buffer.from(sha256(bytes), 'hex').toString('base64'),
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    });
    await sendBytes(upload, bytes);

    const notarized = await notarizeUpload(owner.token, upload.uploadId);
    expect(notarized.status).toBe(201);
    expect(notarized.body).toMatchObject({
      sha256: sha256(bytes),
      name: 'Vertrag “Müller” 2026.pdf',
      file: { size: bytes.length, contentType: 'application/pdf' },
    });
    expect(JSON.stringify(notarized.body)).not.toContain('owners/');
    const id = notarized.body.id as string;

    // The bytes at rest in the emulator's directory are ciphertext.
    const s3Dir = join(process.env.STEMPEL_DATA_DIR as string, 's3');
    const stored = filesUnder(s3Dir).map((f) => readFileSync(f));
    expect(stored.some((b) => b.includes(marker))).toBe(false);
    expect(stored.some((b) => b.length === bytes.length)).toBe(true);

    for (const token of [owner.token, admin]) {
      const link = await call('GET', `/v1/notarizations/${id}/file`, { token });
      expect(link.status).toBe(200);
      expect(link.body).toMatchObject({ method: 'GET', contentType: 'application/pdf', size: bytes.length });
      const download = await fetch(link.body.url, { headers: link.body.headers });
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
      expect(download.headers.get('content-disposition')).toBe(
        `attachment; filename="Vertrag _M_ller_ 2026.pdf"; filename*=UTF-8''Vertrag%20%E2%80%9CM%C3%BCller%E2%80%9D%202026.pdf`,
      );
      // The link alone, without the file's key, opens nothing.
      expect((await fetch(link.body.url)).status).toBe(400);
    }
    for (const token of [other.token, verifier.token]) {
      const refused = await call('GET', `/v1/notarizations/${id}/file`, { token });
      expect(refused.status).toBe(404);
    }

    const receipt = await sealedReceipt(owner.token, id);
    const key = (await call('GET', '/v1/log/key')).body.verifierKey as string;
    expect(verifyReceipt(sha256(bytes), receipt, key).entry).toMatchObject({ sha256: sha256(bytes), id });
  });

  it('a multipart upload is completed by the service, verified by streaming, and downloads whole', async () => {
    const bytes = randomBytes(20 * MiB);
    const upload = await startUpload(owner.token, bytes, { name: 'big.bin' });
    expect(upload.kind).toBe('multipart');
    expect(upload.parts?.length).toBe(Math.ceil(bytes.length / (upload.partSize as number)));
    expect(upload.parts?.length).toBeGreaterThan(1);

    // A missing part: 422, nothing notarized, and the upload stays usable.
    await sendBytes(upload, bytes, [1]);
    const incomplete = await notarizeUpload(owner.token, upload.uploadId);
    expect(incomplete.status).toBe(422);
    expect(incomplete.body.code).toBe('upload_incomplete');
    expect(incomplete.body.detail).toMatch(/Part 2 of 2 is missing/);
    expect(
      (await call('POST', '/v1/verify', { token: verifier.token, body: { sha256: sha256(bytes) } })).body,
    ).toMatchObject({ notarized: false });

    await sendBytes(upload, bytes, [2]);
    const notarized = await notarizeUpload(owner.token, upload.uploadId);
    expect(notarized.status).toBe(201);
    const link = await call('GET', `/v1/notarizations/${notarized.body.id}/file`, { token: owner.token });
    const download = await fetch(link.body.url, { headers: link.body.headers });
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(bytes));

    // Used once: asking again answers the same.
    const again = await notarizeUpload(owner.token, upload.uploadId);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(notarized.body.id);
  });

  it('different bytes than declared: 422 hash_mismatch, the object is deleted, nothing is notarized', async () => {
    const declared = randomBytes(4096);
    const upload = await startUpload(owner.token, declared);
    const tampered = Buffer.from(declared);
    tampered.writeUInt8((tampered.readUInt8(100) ^ 1) & 0xff, 100);
    await sendBytes(upload, tampered);
    const res = await notarizeUpload(owner.token, upload.uploadId);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('hash_mismatch');
    for (const sha of [sha256(declared), sha256(tampered)]) {
      const found = await call('POST', '/v1/verify', { token: verifier.token, body: { sha256: sha } });
      expect(found.body.notarized).toBe(false);
    }
    // The object is gone (were it there, another key would get 403, not "no such object").
    expect(
      await new S3FileStore().head(`owners/${owner.id}/${upload.uploadId}`, randomBytes(32)),
    ).toBeUndefined();
    // Asked again, the upload gives the same verdict.
    const retry = await notarizeUpload(owner.token, upload.uploadId);
    expect(retry.status).toBe(422);
    expect(retry.body.code).toBe('hash_mismatch');
    // The rejection's audit event was written with it, once; the upload's creation likewise.
    const audited = await call('GET', `/v1/audit/events?target=upload:${upload.uploadId}`, { token: admin });
    const actions = (audited.body.items as { action: string; outcome: string; reason?: string }[]).map((e) =>
      `${e.action} ${e.outcome} ${e.reason ?? ''}`.trim(),
    );
    expect(actions.filter((a) => a === 'upload.rejected failure hash_mismatch')).toHaveLength(1);
    expect(actions.filter((a) => a === 'upload.create success')).toHaveLength(1);
  });

  it('a different size than declared: 422 size_mismatch', async () => {
    const declared = randomBytes(2048);
    const upload = await startUpload(owner.token, declared);
    await sendBytes(upload, declared.subarray(0, 2047));
    const res = await notarizeUpload(owner.token, upload.uploadId);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('size_mismatch');
  });

  it("another uploader's upload is not found; nothing uploaded yet is incomplete", async () => {
    const bytes = randomBytes(512);
    const upload = await startUpload(owner.token, bytes);
    const early = await notarizeUpload(owner.token, upload.uploadId);
    expect(early.status).toBe(422);
    expect(early.body.code).toBe('upload_incomplete');
    await sendBytes(upload, bytes);
    const foreign = await notarizeUpload(other.token, upload.uploadId);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('upload_not_found');
    const mine = await notarizeUpload(owner.token, upload.uploadId);
    expect(mine.status).toBe(201);
  });

  it('refuses hostile names, oversized uploads and a missing hash with clear 4xx problems', async () => {
    const sha = sha256(randomBytes(8));
    const cases: [Record<string, unknown>, number, string][] = [
      [{ sha256: sha, size: 10, name: '../../etc/passwd' }, 400, 'path separators'],
      [{ sha256: sha, size: 10, name: 'a\u0000b.pdf' }, 400, 'control characters'],
      [{ sha256: sha, size: 10, name: 'evil\r\nSet-Cookie: x=1' }, 400, 'control characters'],
      [{ sha256: sha, size: 10, name: `${'é'.repeat(128)}.pdf` }, 400, 'at most 255 bytes'],
      [{ sha256: sha, size: 6 * 2 ** 30 }, 413, 'at most'],
      [{ sha256: sha, size: -1 }, 400, ''],
    ];
    for (const [body, status, text] of cases) {
      const res = await call('POST', '/v1/uploads', { token: owner.token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(res.body)).toContain(text);
    }
    const noHash = await call('POST', '/v1/notarizations', { token: owner.token, body: {} });
    expect(noHash.status).toBe(400);
    // An unknown type is stored and served as octet-stream.
    const upload = await startUpload(owner.token, Buffer.from('hi'), { contentType: 'text/html' });
    expect(upload.headers['content-type']).toBe('application/octet-stream');
  });

  it("after the owner's key is destroyed, their files cannot be decrypted by anyone", async () => {
    const shredded = await createUser(['uploader'], admin);
    const bytes = randomBytes(1024);
    const upload = await startUpload(shredded.token, bytes);
    await sendBytes(upload, bytes);
    const notarized = await notarizeUpload(shredded.token, upload.uploadId);
    const link = (await call('GET', `/v1/notarizations/${notarized.body.id}/file`, { token: shredded.token }))
      .body;

    expect((await fetch(link.url, { headers: link.headers })).status).toBe(200);

    // What an erasure does (the owner-key store alone: the test process holds no key-wrapping key).
    await new DynamoOwnerKeyStore().delete(shredded.id);

    // The service can no longer derive the file's key, for the owner or an admin…
    for (const token of [shredded.token, admin]) {
      const gone = await call('GET', `/v1/notarizations/${notarized.body.id}/file`, { token });
      expect(gone.status).toBe(410);
      expect(gone.body.code).toBe('file_erased');
    }
    // …and the new key the owner gets for a new upload opens nothing of the old files.
    const fresh = await startUpload(shredded.token, randomBytes(16));
    expect((await fetch(link.url, { headers: fresh.headers })).status).toBe(403);
    // The notarization itself, and the log, are untouched.
    const found = await call('POST', '/v1/verify', {
      token: verifier.token,
      body: { sha256: sha256(bytes) },
    });
    expect(found.body).toMatchObject({ notarized: true });
  });
});
