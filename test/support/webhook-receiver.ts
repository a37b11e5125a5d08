import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/** The self-signed certificate global setup made for 127.0.0.1, which the runtime trusts (test knob). */
export const receiverCert = () => readFileSync(process.env.STEMPEL_WEBHOOKS_TEST_CA_FILE ?? '', 'utf8');
const receiverKey = () => readFileSync(process.env.STEMPEL_TEST_RECEIVER_KEY_FILE ?? '', 'utf8');

export interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

/**
 * An HTTPS receiver on 127.0.0.1 with the test certificate; `respond` answers
 * each request once its body is read.
 */
export async function startReceiver(
  respond: (req: Received, res: ServerResponse, index: number) => void,
): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer({ cert: receiverCert(), key: receiverKey() }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      respond(r, res, received.length - 1);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
