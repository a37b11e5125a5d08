import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { extname } from 'node:path';
import { SingleBar } from 'cli-progress';
import { CliError, HttpError, problemError, unreachable } from './api-client';

/** The answer of POST /v1/uploads: where and how to PUT the bytes. */
export interface UploadPlan {
  readonly uploadId: string;
  readonly kind: 'single' | 'multipart';
  readonly expiresAt: string;
  readonly method: 'PUT';
  /** Send exactly these with every PUT: they hold the file's SSE-C key, so they are never printed. */
  readonly headers: Record<string, string>;
  readonly url?: string;
  readonly partSize?: number;
  readonly parts?: readonly { readonly partNumber: number; readonly url: string }[];
}

const CONTENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  xml: 'application/xml',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
};

/** The type to declare for a file name, by its extension; undefined lets the service choose. */
export const contentTypeFor = (name: string): string | undefined =>
  CONTENT_TYPES[extname(name).slice(1).toLowerCase()];

export interface SendOptions {
  /** Show a progress bar (on stderr). */
  readonly progress?: boolean;
  /** Parts in flight at once. */
  readonly concurrency?: number;
  /** Tries per part (or for the single PUT) before giving up. */
  readonly attempts?: number;
}

/** Gives up on a PUT whose connection has been silent this long. */
const IDLE_MS = 120_000;
/** Answers worth another try: the request, not the URL, was the trouble. */
const retryable = (err: unknown) =>
  !(err instanceof HttpError) || err.status >= 500 || err.status === 408 || err.status === 429;

/**
 * PUTs bytes [start, start + length) of the file to a presigned URL with
 * exactly `headers` plus content-length, streamed from disk. `onBytes` hears
 * of every chunk sent.
 */
function putRange(
  url: string,
  headers: Record<string, string>,
  path: string,
  start: number,
  length: number,
  onBytes: (n: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'PUT', headers: { ...headers, 'content-length': String(length) } });
    req.setTimeout(IDLE_MS, () => req.destroy(new Error(`no progress for ${IDLE_MS / 1000} s`)));
    req.on('error', (err) => reject(unreachable(target.host, err)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(unreachable(target.host, err)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(problemError(status, Buffer.concat(chunks).toString('utf8')));
      });
    });
    if (length === 0) {
      req.end();
      return;
    }
    const file = createReadStream(path, { start, end: start + length - 1, highWaterMark: 1024 * 1024 });
    file.on('data', (chunk) => onBytes(chunk.length));
    file.on('error', (err) => req.destroy(err));
    // A request that failed half-way leaves the file unread: close it.
    req.on('close', () => file.destroy());
    file.pipe(req);
  });
}

/** Runs `put` up to `attempts` times while its failures are worth retrying; a failed try's bytes leave the bar. */
async function withRetries(attempts: number, put: (sent: (n: number) => void) => Promise<void>, bar?: Bar) {
  for (let attempt = 1; ; attempt++) {
    let sent = 0;
    try {
      await put((n) => {
        sent += n;
        bar?.add(n);
      });
      return;
    } catch (err) {
      bar?.add(-sent);
      if (attempt >= attempts || !retryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
    }
  }
}

interface Bar {
  add(n: number): void;
  stop(): void;
}

function progressBar(total: number): Bar {
  const bar = new SingleBar({ format: 'uploading [{bar}] {percentage}% {eta}s' });
  let value = 0;
  bar.start(total, 0);
  return {
    add: (n) => {
      value += n;
      bar.update(value);
    },
    stop: () => bar.stop(),
  };
}

/**
 * Sends a file of `size` bytes as the plan says: one PUT, or its parts
 * (`partSize` each, the last holding the rest), a few at a time, each tried
 * again after a network error or a 5xx.
 */
export async function sendFile(path: string, size: number, plan: UploadPlan, options: SendOptions = {}) {
  const attempts = options.attempts ?? 4;
  const bar = options.progress ? progressBar(size) : undefined;
  try {
    if (plan.kind === 'single') {
      if (!plan.url) throw new CliError('the upload answer has no url');
      const url = plan.url;
      await withRetries(attempts, (sent) => putRange(url, plan.headers, path, 0, size, sent), bar);
      return;
    }
    const partSize = plan.partSize ?? 0;
    const parts = [...(plan.parts ?? [])];
    const count = Math.max(1, Math.ceil(size / partSize));
    const numbers = new Set(parts.map((p) => p.partNumber).filter((n) => n >= 1 && n <= count));
    if (!(partSize > 0 && parts.length === count && numbers.size === count)) {
      throw new CliError(
        `the upload answer's ${parts.length} parts of ${partSize} bytes do not fit ${size} bytes`,
      );
    }
    const queue = [...parts];
    let failed: unknown;
    const worker = async () => {
      for (let part = queue.shift(); part && failed === undefined; part = queue.shift()) {
        const { url, partNumber } = part;
        const start = (partNumber - 1) * partSize;
        const length = Math.min(partSize, size - start);
        try {
          await withRetries(attempts, (sent) => putRange(url, plan.headers, path, start, length, sent), bar);
        } catch (err) {
          failed ??=
            err instanceof HttpError
              ? new HttpError(err.status, err.code, `part ${partNumber}: ${err.detail}`)
              : err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, parts.length) }, worker));
    if (failed !== undefined) throw failed;
  } finally {
    bar?.stop();
  }
}
