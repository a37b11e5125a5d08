import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Client } from '../../shared/local/local-clients';
import { type S3Emulator, startS3Emulator } from '../../shared/local/s3-emulator';

const BUCKET = 'documents';
const MiB = 1024 * 1024;

/** A 32-byte SSE-C key with the parameters the SDK takes and the headers a presigned request sends. */
function sseKey() {
  const raw = randomBytes(32);
  const key = raw.toString('base64');
  const md5 = createHash('md5').update(raw).digest('base64');
  return {
    params: { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key },
    headers: {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': key,
      'x-amz-server-side-encryption-customer-key-MD5': md5,
    },
    md5,
  };
}

/** Bytes that start with a marker that is searchable on disk, then random data. */
function document(size: number, marker = `STEMPEL-PLAINTEXT-${randomBytes(8).toString('hex')}`) {
  const bytes = randomBytes(size);
  // Repeated so that any stored slice of a part would still contain one.
  for (let at = 0; at + marker.length <= size; at += 64 * 1024) bytes.write(marker, at, 'latin1');
  return { bytes, marker };
}

/** Every regular file under `directory` whose bytes contain `marker`. */
function filesContaining(directory: string, marker: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(directory, { recursive: true, encoding: 'utf8' })) {
    const path = join(directory, entry);
    if (statSync(path).isFile() && readFileSync(path).includes(marker)) found.push(path);
  }
  return found;
}

const statusOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode,
  );
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: { name: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: err.name,
      status: err.$metadata?.httpStatusCode,
    }),
  );

describe('the local S3 emulator behaves like S3 with SSE-C', () => {
  let directory: string;
  let emulator: S3Emulator;
  let s3: S3Client;

  const get = async (Key: string, extra: Record<string, string> = {}) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key, ...extra }));
    return { out, bytes: Buffer.from(await (out.Body?.transformToByteArray() ?? new Uint8Array())) };
  };

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'stempel-sse-c-'));
    emulator = await startS3Emulator(0, directory);
    s3 = localS3Client(emulator.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    s3?.destroy();
    await emulator?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('returns the plaintext of a PutObject with SSECustomerKey, stores only ciphertext, echoes the key MD5', async () => {
    const key = sseKey();
    const { bytes, marker } = document(300_000);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'owners/a/single', Body: bytes, ...key.params }),
    );
    expect(put.SSECustomerKeyMD5).toBe(key.md5);

    const { out, bytes: read } = await get('owners/a/single', key.params);
    expect(read.equals(bytes)).toBe(true);
    expect(out.ContentLength).toBe(bytes.length);
    expect(out.SSECustomerAlgorithm).toBe('AES256');
    expect(out.SSECustomerKeyMD5).toBe(key.md5);

    // The object is on disk at its full size, but nowhere as plaintext, and the key is nowhere either.
    const sizes = readdirSync(directory, { recursive: true, encoding: 'utf8' }).map(
      (e) => statSync(join(directory, e)).size,
    );
    expect(sizes).toContain(bytes.length);
    expect(filesContaining(directory, marker)).toEqual([]);
    expect(filesContaining(directory, key.params.SSECustomerKey)).toEqual([]);
  });

  it('refuses an SSE-C object without its key (400) and with another key (403), GET and HEAD alike', async () => {
    const key = sseKey();
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'owners/a/guarded', Body: 'secret', ...key.params }),
    );
    const object = { Bucket: BUCKET, Key: 'owners/a/guarded' };

    expect(await errorOf(s3.send(new GetObjectCommand(object)))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    expect(await statusOf(s3.send(new HeadObjectCommand(object)))).toBe(400);
    const other = sseKey().params;
    expect(await errorOf(s3.send(new GetObjectCommand({ ...object, ...other })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
    expect(await statusOf(s3.send(new HeadObjectCommand({ ...object, ...other })))).toBe(403);

    const head = await s3.send(new HeadObjectCommand({ ...object, ...key.params }));
    expect(head.ContentLength).toBe(6);
    expect(head.SSECustomerKeyMD5).toBe(key.md5);
  });

  it('rejects malformed SSE-C parameters as S3 does', async () => {
    const key = sseKey();
    const url = `${emulator.endpoint}/${BUCKET}/owners/a/malformed`;
    const put = (headers: Record<string, string>) => fetch(url, { method: 'PUT', headers, body: 'x' });
    const code = async (response: Response) => [
      response.status,
      /<Code>(\w+)<\/Code>/.exec(await response.text())?.[1],
    ];

    expect(
      await code(await put({ ...key.headers, 'x-amz-server-side-encryption-customer-algorithm': 'AES128' })),
    ).toEqual([400, 'InvalidEncryptionAlgorithmError']);
    expect(
      await code(
        await put({ ...key.headers, 'x-amz-server-side-encryption-customer-key-MD5': sseKey().md5 }),
      ),
    ).toEqual([400, 'InvalidArgument']);
    const short = randomBytes(16);
    const shortKey = {
      ...key.headers,
      'x-amz-server-side-encryption-customer-key': short.toString('base64'),
      'x-amz-server-side-encryption-customer-key-MD5': createHash('md5').update(short).digest('base64'),
    };
    expect(await code(await put(shortKey))).toEqual([400, 'InvalidArgument']);
    expect((await fetch(url)).status).toBe(404); // nothing was stored
  });

  it('accepts a presigned PUT with the SSE-C headers signed, and serves a presigned GET', async () => {
    const key = sseKey();
    const { bytes, marker } = document(200_000);
    const Key = 'owners/b/presigned';
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key, ...key.params }), {
      expiresIn: 300,
    });
    expect(new URL(putUrl).searchParams.get('X-Amz-SignedHeaders')).toContain(
      'x-amz-server-side-encryption-customer-key',
    );
    const put = await fetch(putUrl, { method: 'PUT', headers: key.headers, body: bytes });
    expect(put.status).toBe(200);

    expect((await get(Key, key.params)).bytes.equals(bytes)).toBe(true);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key, ...key.params }), {
      expiresIn: 300,
    });
    const response = await fetch(getUrl, { headers: key.headers });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(getUrl)).status).toBe(400);
    expect(filesContaining(directory, marker)).toEqual([]);
  });

  it('encrypts a multipart upload through presigned UploadPart URLs and serves ranges across part boundaries', async () => {
    const key = sseKey();
    const Key = 'owners/c/multipart';
    const sizes = [5 * MiB, 5 * MiB, 1 * MiB];
    const { bytes, marker } = document(sizes.reduce((a, b) => a + b, 0));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ...key.params }),
    );

    // An SSE-C upload takes no part without the key, nor with another one.
    const part1Url = await getSignedUrl(
      s3,
      new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, ...key.params }),
      { expiresIn: 300 },
    );
    expect((await fetch(part1Url, { method: 'PUT', body: 'x' })).status).toBe(400);
    expect((await fetch(part1Url, { method: 'PUT', headers: sseKey().headers, body: 'x' })).status).toBe(400);

    const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const parts = await Promise.all(
      sizes.map(async (size, i) => {
        const body = bytes.subarray(starts[i], (starts[i] ?? 0) + size);
        const PartNumber = i + 1;
        const url = await getSignedUrl(
          s3,
          new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber, ...key.params }),
          { expiresIn: 300 },
        );
        const response = await fetch(url, { method: 'PUT', headers: key.headers, body });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-amz-server-side-encryption-customer-key-md5')).toBe(key.md5);
        return { PartNumber, ETag: response.headers.get('etag') ?? '' };
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key,
        UploadId,
        MultipartUpload: { Parts: parts },
        ...key.params,
      }),
    );

    const full = await get(Key, key.params);
    expect(full.bytes.length).toBe(bytes.length);
    expect(full.bytes.equals(bytes)).toBe(true);

    const boundary1 = sizes[0] ?? 0;
    const boundary2 = boundary1 + (sizes[1] ?? 0);
    const last = bytes.length - 1;
    const ranges: [string, number, number][] = [
      [`bytes=${boundary1 - 7}-${boundary1 + 9}`, boundary1 - 7, boundary1 + 9], // unaligned, across part 1|2
      [`bytes=${boundary1 - 100_003}-${boundary2 + 5}`, boundary1 - 100_003, boundary2 + 5], // across both boundaries
      [`bytes=${boundary2 + 17}-`, boundary2 + 17, last], // open-ended, inside the last part
      [`bytes=${boundary2 - 1}-${boundary2}`, boundary2 - 1, boundary2],
      ['bytes=0-0', 0, 0],
      [`bytes=${last}-${last + 1000}`, last, last], // clipped to the object
      ['bytes=-100', last - 99, last], // suffix
    ];
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key, ...key.params }), {
      expiresIn: 300,
    });
    // In parallel, as the product verifies a file.
    await Promise.all(
      ranges.map(async ([range, start, end]) => {
        const response = await fetch(url, { headers: { ...key.headers, range } });
        expect(response.status, range).toBe(206);
        expect(response.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${bytes.length}`);
        const slice = Buffer.from(await response.arrayBuffer());
        expect(slice.equals(bytes.subarray(start, end + 1)), range).toBe(true);
      }),
    );
    const sdkRange = await get(Key, { ...key.params, Range: `bytes=${boundary1 - 1}-${boundary1}` });
    expect(sdkRange.bytes.equals(bytes.subarray(boundary1 - 1, boundary1 + 1))).toBe(true);
    expect((await fetch(url, { headers: { ...key.headers, range: `bytes=${bytes.length}-` } })).status).toBe(
      416,
    );

    expect(await statusOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key })))).toBe(400);
    expect(filesContaining(directory, marker)).toEqual([]);
  });

  it('leaves objects without SSE-C alone: stored as sent, and not readable with a key', async () => {
    const { bytes, marker } = document(100_000);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain/object', Body: bytes }));
    expect((await get('plain/object')).bytes.equals(bytes)).toBe(true);
    const ranged = await get('plain/object', { Range: 'bytes=10-19' });
    expect(ranged.bytes.equals(bytes.subarray(10, 20))).toBe(true);
    // The control for the searches above: plaintext on disk is found.
    expect(filesContaining(directory, marker)).not.toEqual([]);
    // S3 refuses SSE-C parameters for an object stored without them.
    expect(
      await statusOf(
        s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain/object', ...sseKey().params })),
      ),
    ).toBe(400);
  });

  it('forgets an SSE-C object on DeleteObject', async () => {
    const key = sseKey();
    const object = { Bucket: BUCKET, Key: 'owners/d/deleted' };
    await s3.send(new PutObjectCommand({ ...object, Body: 'to be deleted', ...key.params }));
    expect((await get(object.Key, key.params)).bytes.toString()).toBe('to be deleted');

    await s3.send(new DeleteObjectCommand(object));
    expect(await errorOf(s3.send(new GetObjectCommand({ ...object, ...key.params })))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    // Not 400 "stored using a form of Server Side Encryption": the record went with the object.
    expect(await errorOf(s3.send(new GetObjectCommand(object)))).toEqual({ name: 'NoSuchKey', status: 404 });

    // The same key stored again without SSE-C is a plain object.
    await s3.send(new PutObjectCommand({ ...object, Body: 'plain now' }));
    expect((await get(object.Key)).bytes.toString()).toBe('plain now');
  });

  it('lists the parts of an SSE-C multipart upload, page by page, and aborts it (s3rver has neither)', async () => {
    const key = sseKey();
    const Key = 'owners/e/listed';
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ...key.params }),
    );
    const sent = new Map<number, string | undefined>();
    for (const PartNumber of [3, 1, 4]) {
      const { ETag } = await s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key,
          UploadId,
          PartNumber,
          Body: randomBytes(PartNumber * 1000),
          ...key.params,
        }),
      );
      sent.set(PartNumber, ETag);
    }
    const first = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId, MaxParts: 2 }));
    expect(first.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 1000, sent.get(1)],
      [3, 3000, sent.get(3)],
    ]);
    expect(first.IsTruncated).toBe(true);
    const rest = await s3.send(
      new ListPartsCommand({ Bucket: BUCKET, Key, UploadId, PartNumberMarker: first.NextPartNumberMarker }),
    );
    expect(rest.Parts?.map((p) => p.PartNumber)).toEqual([4]);
    expect(rest.IsTruncated).toBe(false);

    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId }));
    expect(await errorOf(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId })))).toMatchObject({
      status: 404,
    });
    expect(
      await errorOf(s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId }))),
    ).toMatchObject({
      status: 404,
    });
    // Nothing of the aborted upload stays in the emulator's directory.
    expect(
      readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.includes(UploadId as string),
      ),
    ).toEqual([]);
  });
});
