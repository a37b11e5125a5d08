import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { apiUrl } from '../support/http';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The body of a chunked message once its last chunk arrived; undefined while incomplete. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk in the response');
    if (size === 0) return data.indexOf('\r\n', lineEnd + 2) < 0 ? undefined : Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** Parses one HTTP/1.1 response from the bytes received so far; undefined while incomplete. */
function parseResponse(received: Buffer): RawResponse | undefined {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = received.subarray(end + 4);
  let body: Buffer | undefined;
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(rest);
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    body = rest.length < length ? undefined : rest.subarray(0, length);
  } else return undefined; // framed by the end of the connection: not an answer the gateway gives
  return body && { status: Number(status[1]), headers, body: body.toString('utf8') };
}

/**
 * Writes `bytes` on a raw TCP connection to the local API and reads one
 * response. A connection that ends (or is reset) before a whole response
 * arrived fails with what was received, so a reset shows as a failure.
 */
function rawExchange(bytes: string | Buffer): Promise<RawResponse> {
  const { hostname, port } = new URL(apiUrl());
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(
      () =>
        settle(() => reject(new Error(`no complete response within 10 s: ${received.toString('latin1')}`))),
      10_000,
    );
    const tryParse = () => {
      try {
        const response = parseResponse(received);
        if (response) settle(() => resolve(response));
      } catch (err) {
        settle(() => reject(err));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse();
    });
    const incomplete = (why: string) =>
      settle(() =>
        reject(
          new Error(
            `connection ${why} before a complete response: ${JSON.stringify(received.toString('latin1'))}`,
          ),
        ),
      );
    socket.on('end', () => incomplete('ended'));
    socket.on('error', (err) => incomplete(`failed (${(err as NodeJS.ErrnoException).code})`));
    socket.on('close', () => clearTimeout(timer));
    socket.write(bytes);
  });
}

/** Sends an `size`-byte JSON-ish body with node's HTTP client, declared up front or chunked. */
function upload(size: number, framing: 'content-length' | 'chunked'): Promise<RawResponse> {
  const url = new URL('/v1/notarizations', apiUrl());
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        ...(framing === 'content-length' ? { 'content-length': String(size) } : {}),
      },
    });
    let settled = false;
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        settled = true;
        const headers = Object.fromEntries(
          Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
        );
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        if (!settled) reject(err);
      });
    });
    req.on('error', (err) => {
      // Only a failure before the whole answer arrived counts (a reset is the bug).
      if (!settled) reject(err);
    });
    const piece = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    const pump = () => {
      while (written < size) {
        const n = Math.min(piece.length, size - written);
        written += n;
        if (!req.write(piece.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

const expectProblem = (res: RawResponse, status: number, code?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(res.body);
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:stempel:problem:[a-z_]+$/) });
  expect(problem.type).toBe(`urn:stempel:problem:${problem.code}`);
  if (code) expect(problem.code).toBe(code);
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  expect(typeof problem.requestId).toBe('string');
  expect(problem.requestId.length).toBeGreaterThan(0);
  return problem;
};

const expectStillHealthy = async () => {
  const res = await fetch(`${apiUrl()}/v1/health`);
  expect(res.status).toBe(200);
};

describe('the local gateway answers problem+json to whatever it can still answer', () => {
  it('a request target that is no URL: 400, not 500', async () => {
    const res = await rawExchange('GET //[ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expectProblem(res, 400, 'bad_request');
    await expectStillHealthy();
  });

  it('a request line that is not HTTP: 400', async () => {
    const res = await rawExchange('NOT HTTP AT ALL\r\n\r\n');
    expectProblem(res, 400, 'bad_request');
    expect(res.headers.connection).toBe('close');
    await expectStillHealthy();
  });

  it('headers over the limit: 431', async () => {
    const res = await rawExchange(
      `GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expectProblem(res, 431);
    expect(res.headers.connection).toBe('close');
    await expectStillHealthy();
  });

  it('both Content-Length and Transfer-Encoding: 400', async () => {
    const res = await rawExchange(
      'POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expectProblem(res, 400, 'bad_request');
    await expectStillHealthy();
  });

  it('an invalid chunk: 400', async () => {
    const res = await rawExchange(
      'POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    );
    expectProblem(res, 400, 'bad_request');
    await expectStillHealthy();
  });

  it('a control character in a header: 400', async () => {
    const res = await rawExchange('GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Bad\x01: y\r\n\r\n');
    expectProblem(res, 400, 'bad_request');
    await expectStillHealthy();
  });

  it('an expectation other than 100-continue: 417', async () => {
    const res = await rawExchange(
      'GET /v1/health HTTP/1.1\r\nHost: localhost\r\nExpect: something-else\r\nConnection: close\r\n\r\n',
    );
    expectProblem(res, 417);
    await expectStillHealthy();
  });

  it.each(['content-length', 'chunked'] as const)(
    'an 11 MiB body (%s): the client receives 413, not a reset',
    async (framing) => {
      const res = await upload(11 * 1024 * 1024, framing);
      expectProblem(res, 413, 'body_too_large');
      expect(res.headers.connection).toBe('close');
      await expectStillHealthy();
    },
  );
});
