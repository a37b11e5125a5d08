import type { TimeStampClient } from '../ports/timestamp-client';

/** A TimeStampResp is a few kilobytes with its certificates; anything far larger is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const TIMEOUT_MS = 10_000;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * RFC 3161 over HTTP with fetch: HTTPS only (plain HTTP is accepted for
 * loopback addresses, where tests run their TSA), a timeout, no redirects,
 * and a cap on the answer's size, so a slow or hostile TSA cannot stall or
 * exhaust the function.
 */
export class HttpTimeStampClient implements TimeStampClient {
  constructor(private readonly timeoutMs = TIMEOUT_MS) {}

  async request(url: string, requestDer: Uint8Array): Promise<Uint8Array> {
    const target = new URL(url);
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && LOOPBACK.has(target.hostname)))
      throw new Error(`${target.origin} is not an HTTPS URL`);
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: requestDer,
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the TSA answered HTTP ${response.status}`);
    }
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/timestamp-reply') {
      await response.body?.cancel();
      throw new Error(`the TSA answered ${type ?? 'no content type'}, not application/timestamp-reply`);
    }
    return readCapped(response, MAX_RESPONSE_BYTES);
  }
}

async function readCapped(response: Response, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel();
      throw new Error(`the TSA's answer is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
