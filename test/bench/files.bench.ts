/**
 * `npm run bench` (part): verifying a stored document on the server side.
 * `S3FileStore.sha256` (parallel ranged GETs, hashed in order: what
 * POST /v1/notarizations {uploadId} does with a multipart object) on an object
 * of BENCH_FILE_BYTES (default 1 GiB) of random bytes, uploaded under SSE-C in
 * 64 MiB parts to the local S3 emulator, against `openssl dgst -sha256` on the
 * same bytes on local disk, alternating, in the same run.
 *
 * The hashing runs in a child process of its own (this file with `--hash`),
 * like a Lambda function, so that its peak memory is its own: the emulator,
 * which decrypts on the way out, stays in this process and does not count.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

const MiB = 2 ** 20;
const RUNS = 3;
const PART_BYTES = 64 * MiB;
const OBJECT_KEY = 'owners/bench/verification';

/** SSE-C request parameters for a 32-byte key. */
const sse = (fileKey: Uint8Array) => ({
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: Buffer.from(fileKey).toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(fileKey).digest('base64'),
});

if (process.argv.includes('--hash')) await hashChild();
else if (process.argv.includes('--read')) await readChild();
else await main();

/** The other child: one plain GET of the whole object, bytes discarded: the most the emulator serves. */
async function readChild() {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { documentsBucket, resourceName } = await import('../../shared/tables');
  const fileKey = Buffer.from(process.env.BENCH_SSE_KEY as string, 'hex');
  const s3 = new S3Client({ forcePathStyle: true, responseChecksumValidation: 'WHEN_REQUIRED' });
  const started = performance.now();
  const { Body } = await s3.send(
    new GetObjectCommand({ Bucket: resourceName(documentsBucket), Key: OBJECT_KEY, ...sse(fileKey) }),
  );
  let bytes = 0;
  for await (const chunk of Body as AsyncIterable<Uint8Array>) bytes += chunk.length;
  const seconds = (performance.now() - started) / 1000;
  const result: ChildResult = { digest: '', seconds, bytes, growth: 0, processPeak: 0 };
  console.log(JSON.stringify(result));
}

/** The child: one S3FileStore.sha256 of the object; prints its time and memory as JSON. */
async function hashChild() {
  const { S3FileStore } = await import('../../shared/adapters/s3-file-store');
  const fileKey = Buffer.from(process.env.BENCH_SSE_KEY as string, 'hex');
  const size = Number(process.env.BENCH_OBJECT_BYTES);
  const store = new S3FileStore();
  // Warm the client (credentials, a connection) with a HEAD, so the figure is the hashing's.
  await store.head(OBJECT_KEY, fileKey);
  const rssBefore = process.memoryUsage().rss;
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  let sampled = rssBefore;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  const digest = await store.sha256(OBJECT_KEY, fileKey, size);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sampled = Math.max(sampled, process.memoryUsage().rss);
  // The kernel's high-water mark catches what 50 ms samples miss, if it moved during the hashing.
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const peakWhileHashing = maxRss > maxRssBefore ? Math.max(sampled, maxRss) : sampled;
  const result: ChildResult = { digest, seconds, growth: peakWhileHashing - rssBefore, processPeak: maxRss };
  console.log(JSON.stringify(result));
}

interface ChildResult {
  readonly digest: string;
  readonly seconds: number;
  /** Bytes received (the plain GET). */
  readonly bytes?: number;
  /** Peak RSS while hashing above the RSS just before it. */
  readonly growth: number;
  /** The child process's peak RSS over its life (Node, the SDK and the hashing). */
  readonly processPeak: number;
}

async function main() {
  const size = Number(process.env.BENCH_FILE_BYTES ?? 2 ** 30);
  const [{ startS3Emulator }, { createBucket, localName }, { LOCAL_CREDENTIALS, LOCAL_REGION }, tables] =
    await Promise.all([
      import('../../shared/local/s3-emulator'),
      import('../../shared/local/provision'),
      import('../../shared/local/local-clients'),
      import('../../shared/tables'),
    ]);

  const dir = mkdtempSync(join(tmpdir(), 'stempel-files-bench-'));
  let emulator: Awaited<ReturnType<typeof startS3Emulator>> | undefined;
  try {
    emulator = await startS3Emulator(0, join(dir, 's3'));
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: emulator.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      [tables.documentsBucket.envVar]: localName(tables.documentsBucket),
    });
    const s3 = new S3Client({
      endpoint: emulator.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await createBucket(s3, tables.documentsBucket);
    const bucket = localName(tables.documentsBucket);

    // The document: random bytes on local disk.
    const file = join(dir, 'document.bin');
    const out = openSync(file, 'w');
    const block = Buffer.alloc(8 * MiB);
    for (let written = 0; written < size; written += block.length) {
      const n = Math.min(block.length, size - written);
      writeSync(out, randomFillSync(block), 0, n);
    }
    closeSync(out);

    // Stored under SSE-C with a random key, in 64 MiB parts, as the CLI would upload it.
    const fileKey = randomBytes(32);
    const started = performance.now();
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: OBJECT_KEY, ...sse(fileKey) }),
    );
    const parts: { PartNumber: number; ETag: string }[] = [];
    const input = openSync(file, 'r');
    const buffer = Buffer.allocUnsafe(PART_BYTES);
    for (let offset = 0, n = 1; offset < size; offset += PART_BYTES, n++) {
      const length = readSync(input, buffer, 0, Math.min(PART_BYTES, size - offset), offset);
      const { ETag } = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: OBJECT_KEY,
          UploadId,
          PartNumber: n,
          Body: buffer.subarray(0, length),
          ...sse(fileKey),
        }),
      );
      parts.push({ PartNumber: n, ETag: ETag as string });
    }
    closeSync(input);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: OBJECT_KEY,
        UploadId,
        MultipartUpload: { Parts: parts },
        ...sse(fileKey),
      }),
    );
    const uploadSeconds = (performance.now() - started) / 1000;

    const self = fileURLToPath(import.meta.url);
    const stored: ChildResult[] = [];
    const reads: ChildResult[] = [];
    const openssl: { digest: string; seconds: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const o0 = performance.now();
      const o = spawnSync('openssl', ['dgst', '-sha256', '-r', file], { encoding: 'utf8' });
      if (o.status !== 0) throw new Error(`openssl failed: ${o.stderr}`);
      openssl.push({ digest: o.stdout.split(' ')[0] as string, seconds: (performance.now() - o0) / 1000 });
      // Asynchronous: the emulator in this process must keep serving while the child hashes.
      stored.push(await runChild(self, '--hash', fileKey, size));
      reads.push(await runChild(self, '--read', fileKey, size));
    }
    if (reads.some((r) => r.bytes !== size))
      throw new Error('a plain GET returned the wrong number of bytes');
    const digests = new Set([...stored, ...openssl].map((r) => r.digest));
    if (digests.size !== 1) throw new Error(`the digests differ: ${[...digests].join(', ')}`);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const server = median(stored.map((r) => r.seconds));
    const local = median(openssl.map((r) => r.seconds));
    const mbps = (s: number) => (size / MiB / s).toFixed(0);
    const mib = (bytes: number) => (bytes / MiB).toFixed(0);
    const peak = Math.max(...stored.map((r) => r.processPeak));
    const growth = Math.max(...stored.map((r) => r.growth));
    console.log('\nVerifying a stored document (server side)');
    console.log(
      `${mib(size)} MiB object, SSE-C, ${parts.length} parts of ${mib(PART_BYTES)} MiB (uploaded at ${mbps(uploadSeconds)} MiB/s); median of ${RUNS}`,
    );
    console.log(
      `sha256: S3FileStore ${mbps(server)} MiB/s (ranged GETs through the local S3 emulator and its SSE-C layer), ` +
        `openssl dgst ${mbps(local)} MiB/s (local file) → ${(local / server).toFixed(2)}× openssl's throughput`,
    );
    const read = median(reads.map((r) => r.seconds));
    console.log(
      `  the emulator's ceiling: one plain GET of the whole object, bytes discarded, ${mbps(read)} MiB/s → S3FileStore at ${(read / server).toFixed(2)}× of it`,
    );
    console.log(
      `peak memory of the hashing process: ${mib(growth)} MiB above its RSS before hashing, ${mib(peak)} MiB RSS in all (Node and the SDK included); digests equal`,
    );
  } finally {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs this file with `--hash` or `--read` in a child process (same loader flags) and reads its JSON line. */
async function runChild(self: string, mode: '--hash' | '--read', fileKey: Uint8Array, size: number) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, self, mode], {
    env: {
      ...process.env,
      BENCH_SSE_KEY: Buffer.from(fileKey).toString('hex'),
      BENCH_OBJECT_BYTES: String(size),
      NODE_NO_WARNINGS: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`the hashing child failed (${code}): ${out}`);
  return JSON.parse(line) as ChildResult;
}
