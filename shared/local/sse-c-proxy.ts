import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/*
 * S3's SSE-C in front of s3rver, which ignores the SSE-C headers and stores plaintext.
 *
 * Stored bytes are AES-256-CTR under the request's key: CTR keeps every length (Content-Length,
 * part sizes, ranges) identical to the plaintext's. s3rver verifies neither SigV4 signatures nor
 * payload hashes, so a request stays acceptable after its body is replaced with ciphertext.
 *
 * State lives in `<directory>/.sse-c/`, never a key: per object `<sha256(bucket/key)>.json`
 * (salted HMAC of the key + the segments: one per PutObject, one per part of a multipart upload,
 * each with its own random 128-bit initial counter, so one key never reuses a counter), and per
 * SSE-C multipart upload `uploads/<sha256(uploadId)>/` (the key's HMAC, then one file per part).
 */

const ALGORITHM = 'x-amz-server-side-encryption-customer-algorithm';
const KEY = 'x-amz-server-side-encryption-customer-key';
const KEY_MD5 = 'x-amz-server-side-encryption-customer-key-md5';
/** Query parameters that make an object request something other than Get/Put/DeleteObject. */
const SUBRESOURCES = new Set([
  'acl',
  'attributes',
  'legal-hold',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
]);
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding'];

interface KeyCheck {
  readonly salt: string;
  readonly keyHmac: string;
}
interface Segment {
  readonly size: number;
  readonly iv: string;
}
interface ObjectRecord extends KeyCheck {
  readonly segments: readonly Segment[];
}
interface UploadRecord extends KeyCheck {
  readonly bucket: string;
  readonly key: string;
}
interface SseC {
  readonly key: Buffer;
  readonly keyMd5: string;
}

class S3Failure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}
const invalid = (message: string) => new S3Failure(400, 'InvalidArgument', message);
const REQUIRES = 'Requests specifying Server Side Encryption with Customer provided keys must provide';

/** The request's SSE-C parameters: undefined when it has none, a failure when they are malformed. */
function sseC(headers: IncomingHttpHeaders): SseC | S3Failure | undefined {
  const [algorithm, key, keyMd5] = [ALGORITHM, KEY, KEY_MD5].map((name) => headers[name]);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (typeof algorithm !== 'string') return invalid(`${REQUIRES} a valid encryption algorithm.`);
  if (algorithm !== 'AES256') {
    return new S3Failure(
      400,
      'InvalidEncryptionAlgorithmError',
      'The encryption request you specified is not valid. Supported value: AES256.',
    );
  }
  if (typeof key !== 'string') return invalid(`${REQUIRES} an appropriate secret key.`);
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== key) {
    return invalid('The secret key was invalid for the specified algorithm.');
  }
  if (typeof keyMd5 !== 'string') return invalid(`${REQUIRES} the client calculated MD5 of the secret key.`);
  if (createHash('md5').update(raw).digest('base64') !== keyMd5) {
    return invalid('The calculated MD5 hash of the key did not match the hash that was provided.');
  }
  return { key: raw, keyMd5 };
}

const keyCheck = (key: Buffer, salt = randomBytes(16).toString('hex')): KeyCheck => ({
  salt,
  keyHmac: createHmac('sha256', Buffer.from(salt, 'hex')).update(key).digest('hex'),
});
const sameKey = (record: KeyCheck, key: Buffer) =>
  timingSafeEqual(Buffer.from(keyCheck(key, record.salt).keyHmac, 'hex'), Buffer.from(record.keyHmac, 'hex'));
const echo = (params: SseC) => ({
  [ALGORITHM]: 'AES256',
  'x-amz-server-side-encryption-customer-key-MD5': params.keyMd5,
});

/** `iv` advanced by `blocks` AES blocks: CTR's counter is the whole 128-bit IV, big-endian. */
function counterAt(iv: string, blocks: number): Buffer {
  const value = (BigInt(`0x${iv}`) + BigInt(blocks)) % (1n << 128n);
  return Buffer.from(value.toString(16).padStart(32, '0'), 'hex');
}

/** Encrypts a stream as one segment; `size()` is its length once the stream has ended. */
function encryptor(key: Buffer, iv: string): { stream: Cipher; size: () => number } {
  let size = 0;
  const stream = createCipheriv('aes-256-ctr', key, counterAt(iv, 0));
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
  });
  return { stream, size: () => size };
}

/**
 * Decrypts the ciphertext of bytes `start`.. of an object laid out in `segments` (a ranged GET
 * can begin mid-block and cross part boundaries), passing at most `length` bytes.
 */
function decryptor(key: Buffer, segments: readonly Segment[], start: number, length: number): Transform {
  let position = start;
  const end = start + length;
  let current: { decipher: ReturnType<typeof createDecipheriv>; end: number } | undefined;
  const open = () => {
    let segmentStart = 0;
    for (const segment of segments) {
      if (position < segmentStart + segment.size) {
        const offset = position - segmentStart;
        const decipher = createDecipheriv('aes-256-ctr', key, counterAt(segment.iv, Math.floor(offset / 16)));
        decipher.update(Buffer.alloc(offset % 16)); // skip to the offset inside the first block
        return { decipher, end: segmentStart + segment.size };
      }
      segmentStart += segment.size;
    }
    throw new Error('ciphertext beyond the recorded segments');
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out: Buffer[] = [];
      let offset = 0;
      const usable = Math.min(chunk.length, end - position);
      try {
        while (offset < usable) {
          if (!current || position >= current.end) current = open();
          const n = Math.min(usable - offset, current.end - position);
          out.push(current.decipher.update(chunk.subarray(offset, offset + n)));
          offset += n;
          position += n;
        }
        callback(null, Buffer.concat(out));
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}

/** `Range: bytes=a-b | a- | -n` as absolute bounds; undefined = whole object (S3 ignores what it cannot parse). */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (size === 0) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return null;
  return end < start ? undefined : { start, end };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Written whole or not at all: a concurrent GET never reads half a record. */
async function writeJson(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, JSON.stringify(value), { mode: 0o600 });
  await rename(temporary, path);
}

async function readSmall(stream: Readable, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new S3Failure(400, 'MaxMessageLengthExceeded', 'Your request was too big.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface SseCProxy {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts the SSE-C layer on 127.0.0.1:`port` in front of the S3 emulator at 127.0.0.1:`upstreamPort`,
 * keeping its records under `<directory>/.sse-c`.
 */
export async function startSseCProxy(
  port: number,
  upstreamPort: number,
  directory: string,
): Promise<SseCProxy> {
  const state = join(directory, '.sse-c');
  await mkdir(join(state, 'uploads'), { recursive: true, mode: 0o700 });
  const objectPath = (bucket: string, key: string) => join(state, `${sha256(`${bucket}/${key}`)}.json`);
  const uploadPath = (uploadId: string) => join(state, 'uploads', sha256(uploadId));
  const agent = new Agent({ keepAlive: true });

  /** The request to s3rver, minus the key headers: s3rver writes CreateMultipartUpload's headers to disk. */
  const send = (
    req: IncomingMessage,
    {
      headers = req.headers,
      through,
      body,
    }: { headers?: IncomingHttpHeaders; through?: Transform; body?: Buffer } = {},
  ) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const forwarded: OutgoingHttpHeaders = { ...headers };
      for (const name of [ALGORITHM, KEY, KEY_MD5]) delete forwarded[name];
      const out = request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          method: req.method,
          path: req.url,
          headers: forwarded,
          agent,
        },
        resolve,
      );
      out.on('error', reject);
      if (body) out.end(body);
      else (through ? pipeline(req, through, out) : pipeline(req, out)).catch(reject);
    });

  const relay = (
    res: ServerResponse,
    up: IncomingMessage,
    {
      headers = {},
      through,
      status = up.statusCode ?? 502,
    }: { headers?: OutgoingHttpHeaders; through?: Transform; status?: number } = {},
  ) => {
    const merged: OutgoingHttpHeaders = { ...up.headers, ...headers };
    for (const name of HOP_BY_HOP) delete merged[name];
    res.writeHead(status, merged);
    return through ? pipeline(up, through, res) : pipeline(up, res);
  };

  /** An S3-style error, sent once the request body is drained (answering mid-upload resets the client). */
  const fail = (req: IncomingMessage, res: ServerResponse, failure: S3Failure) => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${failure.code}</Code><Message>${failure.message}</Message></Error>`;
    const answer = () => {
      res.writeHead(failure.status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (req.readableEnded) answer();
    else req.once('end', answer).resume();
  };

  const ok = (up: IncomingMessage) => (up.statusCode ?? 500) < 300;

  async function putObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    params?: SseC,
  ) {
    if (req.headers['x-amz-copy-source'] !== undefined) {
      // The product does not copy; a copy would leave ciphertext without its record, or the reverse.
      const source = decodeURIComponent(String(req.headers['x-amz-copy-source']))
        .replace(/^\//, '')
        .split('?')[0];
      const copiesSseC =
        params || Object.keys(req.headers).some((name) => name.startsWith('x-amz-copy-source-server-side'));
      if (copiesSseC || (await readJson(join(state, `${sha256(source ?? '')}.json`)))) {
        return fail(
          req,
          res,
          new S3Failure(501, 'NotImplemented', 'CopyObject of SSE-C objects is not emulated.'),
        );
      }
    }
    if (!params) {
      const up = await send(req);
      if (ok(up)) await rm(objectPath(bucket, key), { force: true }); // now a plaintext object
      return relay(res, up);
    }
    const iv = randomBytes(16).toString('hex');
    const cipher = encryptor(params.key, iv);
    const up = await send(req, { through: cipher.stream });
    if (ok(up))
      await writeJson(objectPath(bucket, key), {
        ...keyCheck(params.key),
        segments: [{ size: cipher.size(), iv }],
      });
    return relay(res, up, { headers: echo(params) });
  }

  async function uploadPart(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    q: URLSearchParams,
    params?: SseC,
  ) {
    const dir = uploadPath(q.get('uploadId') ?? '');
    const upload = await readJson<UploadRecord>(join(dir, 'upload.json'));
    if (!upload) {
      if (params)
        return fail(
          req,
          res,
          new S3Failure(400, 'InvalidRequest', 'The multipart upload initiate did not request encryption.'),
        );
      return relay(res, await send(req));
    }
    const partNumber = Number(q.get('partNumber'));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      return fail(req, res, invalid('Part number must be an integer between 1 and 10000, inclusive'));
    }
    if (upload.bucket !== bucket || upload.key !== key) {
      return fail(req, res, new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist.'));
    }
    if (!params) {
      const message =
        'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.';
      return fail(req, res, new S3Failure(400, 'InvalidRequest', message));
    }
    if (!sameKey(upload, params.key)) {
      const message = 'The provided encryption parameters did not match the ones used originally.';
      return fail(req, res, new S3Failure(400, 'InvalidRequest', message));
    }
    if (req.headers['x-amz-copy-source'] !== undefined) {
      return fail(req, res, new S3Failure(501, 'NotImplemented', 'UploadPartCopy is not emulated.'));
    }
    const iv = randomBytes(16).toString('hex');
    const cipher = encryptor(params.key, iv);
    const up = await send(req, { through: cipher.stream });
    if (ok(up))
      await writeJson(join(dir, `${partNumber}.json`), { size: cipher.size(), iv, etag: up.headers.etag });
    return relay(res, up, { headers: echo(params) });
  }

  async function createUpload(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    params?: SseC,
  ) {
    const up = await send(req);
    if (!params || !ok(up)) return relay(res, up);
    const body = await readSmall(up);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(body.toString('utf8'))?.[1];
    if (!uploadId) throw new Error('no UploadId in the emulator response');
    await mkdir(uploadPath(uploadId), { recursive: true, mode: 0o700 });
    await writeJson(join(uploadPath(uploadId), 'upload.json'), { bucket, key, ...keyCheck(params.key) });
    const headers: OutgoingHttpHeaders = { ...up.headers, ...echo(params), 'content-length': body.length };
    for (const name of HOP_BY_HOP) delete headers[name];
    res.writeHead(200, headers).end(body);
  }

  async function completeUpload(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    q: URLSearchParams,
  ) {
    const dir = uploadPath(q.get('uploadId') ?? '');
    const upload = await readJson<UploadRecord>(join(dir, 'upload.json'));
    if (!upload) {
      const up = await send(req);
      if (ok(up)) await rm(objectPath(bucket, key), { force: true });
      return relay(res, up);
    }
    // The parts the object is made of, in the order s3rver concatenates them (ascending).
    const body = await readSmall(req);
    const numbers = [...body.toString('utf8').matchAll(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/g)]
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const parts = await Promise.all(numbers.map((n) => readJson<Segment>(join(dir, `${n}.json`))));
    if (parts.some((part) => part === undefined)) {
      const message =
        'One or more of the specified parts could not be found. The part may not have been uploaded.';
      return fail(req, res, new S3Failure(400, 'InvalidPart', message));
    }
    const up = await send(req, { body });
    if (ok(up)) {
      const record: ObjectRecord = {
        salt: upload.salt,
        keyHmac: upload.keyHmac,
        segments: parts as Segment[],
      };
      await writeJson(objectPath(bucket, key), record);
      await rm(dir, { recursive: true, force: true });
    }
    return relay(res, up);
  }

  /**
   * ListParts and AbortMultipartUpload of an SSE-C upload, which s3rver does
   * not implement (405): answered from the parts this proxy recorded.
   */
  async function listParts(res: ServerResponse, bucket: string, key: string, q: URLSearchParams) {
    const uploadId = q.get('uploadId') ?? '';
    const dir = uploadPath(uploadId);
    const upload = await readJson<UploadRecord>(join(dir, 'upload.json'));
    if (!upload || upload.bucket !== bucket || upload.key !== key) return noSuchUpload(res);
    const marker = Number(q.get('part-number-marker') ?? 0);
    const max = Math.min(1000, Number(q.get('max-parts') ?? 1000));
    const numbers = (await readdir(dir))
      .map((f) => /^(\d+)\.json$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .filter((n) => n > marker)
      .sort((a, b) => a - b);
    const page = numbers.slice(0, max);
    const parts = await Promise.all(
      page.map((n) => readJson<Segment & { etag?: string }>(join(dir, `${n}.json`))),
    );
    const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${xml(bucket)}</Bucket><Key>${xml(key)}</Key><UploadId>${xml(uploadId)}</UploadId>` +
      `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${page.at(-1) ?? marker}</NextPartNumberMarker>` +
      `<MaxParts>${max}</MaxParts><IsTruncated>${numbers.length > page.length}</IsTruncated>` +
      page
        .map(
          (n, i) =>
            `<Part><PartNumber>${n}</PartNumber><LastModified>${new Date().toISOString()}</LastModified>` +
            `<ETag>${xml(parts[i]?.etag ?? '')}</ETag><Size>${parts[i]?.size ?? 0}</Size></Part>`,
        )
        .join('') +
      '</ListPartsResult>';
    res
      .writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
      .end(body);
  }

  async function abortUpload(res: ServerResponse, bucket: string, key: string, q: URLSearchParams) {
    const uploadId = q.get('uploadId') ?? '';
    const upload = await readJson<UploadRecord>(join(uploadPath(uploadId), 'upload.json'));
    if (!upload || upload.bucket !== bucket || upload.key !== key) return noSuchUpload(res);
    // s3rver keeps the parts under <bucket>/._S3rver_uploads/<id>; its ids are hex (checked, as it becomes a path).
    if (/^[A-Za-z0-9_-]+$/.test(uploadId) && /^[a-z0-9.-]+$/.test(bucket))
      await rm(join(directory, bucket, '._S3rver_uploads', uploadId), { recursive: true, force: true });
    await rm(uploadPath(uploadId), { recursive: true, force: true });
    res.writeHead(204).end();
  }

  const noSuchUpload = (res: ServerResponse) => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
    res
      .writeHead(404, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
      .end(body);
  };

  async function getObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    params?: SseC,
  ) {
    const record = await readJson<ObjectRecord>(objectPath(bucket, key));
    if (!record) {
      const up = await send(req);
      if (!params || !ok(up)) return relay(res, up);
      up.resume();
      return fail(
        req,
        res,
        new S3Failure(400, 'InvalidRequest', 'The encryption parameters are not applicable to this object.'),
      );
    }
    if (!params) {
      const message =
        'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.';
      return fail(req, res, new S3Failure(400, 'InvalidRequest', message));
    }
    if (!sameKey(record, params.key))
      return fail(req, res, new S3Failure(403, 'AccessDenied', 'Access Denied'));
    if (req.method === 'HEAD') return relay(res, await send(req), { headers: echo(params) });

    // Ask s3rver for absolute bounds only (it knows neither suffix ranges nor `bytes=0-0`), then cut and decrypt here.
    const size = record.segments.reduce((sum, segment) => sum + segment.size, 0);
    const range = parseRange(req.headers.range, size);
    if (range === null)
      return fail(req, res, new S3Failure(416, 'InvalidRange', 'The requested range is not satisfiable'));
    const headers = { ...req.headers };
    delete headers.range;
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const up = await send(req, { headers });
    if (!ok(up)) return relay(res, up); // 404, 304, …
    const stored = Number(
      /\/(\d+)$/.exec(String(up.headers['content-range']))?.[1] ?? up.headers['content-length'],
    );
    if (stored !== size) throw new Error(`stored object is ${stored} bytes, its SSE-C record says ${size}`);
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : size;
    delete up.headers['content-range'];
    const extra: OutgoingHttpHeaders = { ...echo(params), 'content-length': length };
    if (range) extra['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    const through = decryptor(params.key, record.segments, start, length);
    return relay(res, up, { headers: extra, through, status: range ? 206 : 200 });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    let segments: string[];
    try {
      segments = url.pathname.slice(1).split('/').map(decodeURIComponent);
    } catch {
      return relay(res, await send(req)); // s3rver answers malformed paths itself
    }
    const [bucket, ...keyParts] = segments;
    const key = keyParts.join('/');
    const params = sseC(req.headers);
    if (!bucket || !key) return relay(res, await send(req)); // service and bucket operations
    if (params instanceof S3Failure) return fail(req, res, params);
    if (req.headers['content-encoding']?.includes('aws-chunked') && params) {
      return fail(req, res, new S3Failure(501, 'NotImplemented', 'aws-chunked bodies are not emulated.'));
    }
    const q = url.searchParams;
    const subresource = [...q.keys()].some((name) => SUBRESOURCES.has(name));
    switch (req.method) {
      case 'PUT':
        if (q.has('uploadId')) return uploadPart(req, res, bucket, key, q, params);
        return subresource ? relay(res, await send(req)) : putObject(req, res, bucket, key, params);
      case 'POST':
        if (q.has('uploads')) return createUpload(req, res, bucket, key, params);
        if (q.has('uploadId')) return completeUpload(req, res, bucket, key, q);
        break;
      case 'GET':
      case 'HEAD':
        if (q.has('uploadId') && req.method === 'GET') return listParts(res, bucket, key, q);
        if (!subresource) return getObject(req, res, bucket, key, params);
        break;
      case 'DELETE': {
        if (q.has('uploadId')) return abortUpload(res, bucket, key, q);
        const up = await send(req);
        if (ok(up))
          await rm(q.has('uploadId') ? uploadPath(q.get('uploadId') ?? '') : objectPath(bucket, key), {
            recursive: true,
            force: true,
          });
        return relay(res, up);
      }
    }
    return relay(res, await send(req)); // tagging, …: no bytes to encrypt
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      const failure = err instanceof S3Failure ? err : new S3Failure(500, 'InternalError', String(err));
      fail(req, res, failure);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
