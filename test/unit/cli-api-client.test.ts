import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, HttpError } from '../../shared/cli/api-client';

/** A server that answers each request with the next of `answers` (status, Retry-After). */
function scripted(answers: [number, string?][]) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const [status, retryAfter] = answers[Math.min(seen.length, answers.length - 1)] as [number, string?];
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    const body =
      status < 300 ? '{"ok":true}' : JSON.stringify({ status, code: 'log_backpressure', detail: 'later' });
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(retryAfter ? { 'retry-after': retryAfter } : {}),
    });
    res.end(body);
  });
  return { server, seen };
}

describe('the CLI API client', () => {
  const waits = scripted([[503, '1'], [429, '1'], [201]]);
  const never = scripted([[503]]);
  let base: string;
  let neverBase: string;

  beforeAll(async () => {
    for (const s of [waits.server, never.server]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(waits.server.address() as AddressInfo).port}`;
    neverBase = `http://127.0.0.1:${(never.server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    waits.server.close();
    never.server.close();
  });

  it('waits as Retry-After says on 503 and 429, then goes on', async () => {
    const answer = await new ApiClient(base, 't').send('POST', '/v1/notarizations', { sha256: 'x' });
    expect(answer.status).toBe(201);
    expect(waits.seen).toEqual(Array(3).fill('POST /v1/notarizations'));
  });

  it('does not wait on a 503 that gives no Retry-After', async () => {
    const err = await new ApiClient(neverBase, 't').send('GET', '/v1/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(503);
    expect(never.seen).toHaveLength(1);
  });
});
