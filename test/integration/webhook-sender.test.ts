import { afterEach, describe, expect, it } from 'vitest';
import { checkedLookup, HttpsWebhookSender } from '../../shared/adapters/https-webhook-sender';
import { type Receiver, receiverCert, startReceiver } from '../support/webhook-receiver';

const headers = { 'content-type': 'application/json' };
const allowLoopback = { allowAddresses: ['127.0.0.1'] };
const receivers: Receiver[] = [];
const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

const sender = (options: Partial<ConstructorParameters<typeof HttpsWebhookSender>[0]> = {}) =>
  new HttpsWebhookSender({ policy: allowLoopback, extraCa: receiverCert(), timeoutMs: 1000, ...options });

describe('HttpsWebhookSender', () => {
  it('delivers to a 2xx receiver', async () => {
    const r = await receiver((_req, res) => res.writeHead(204).end());
    const outcome = await sender().send(`${r.url}/hook`, headers, '{"a":1}');
    expect(outcome).toMatchObject({ delivered: true, status: 204, truncated: false });
    expect(r.received[0]?.body).toBe('{"a":1}');
  });

  it('records a 5xx as http_<status>', async () => {
    const r = await receiver((_req, res) => res.writeHead(503).end('busy'));
    expect(await sender().send(r.url, headers, '{}')).toMatchObject({
      delivered: false,
      errorCode: 'http_503',
    });
  });

  it('does not follow a redirect, and records it as a failure', async () => {
    const r = await receiver((req, res) =>
      req.path === '/hook' ? res.writeHead(302, { location: '/elsewhere' }).end() : res.writeHead(200).end(),
    );
    const outcome = await sender().send(`${r.url}/hook`, headers, '{}');
    expect(outcome).toMatchObject({ delivered: false, status: 302, errorCode: 'redirect' });
    expect(r.received.map((x) => x.path)).toEqual(['/hook']);
  });

  it('gives up on a receiver that hangs', async () => {
    const r = await receiver(() => undefined);
    expect(await sender().send(r.url, headers, '{}')).toMatchObject({
      delivered: false,
      errorCode: 'timeout',
    });
  });

  it('reads at most the cap of a huge response, then cuts the connection', async () => {
    let finished = false;
    const r = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 1024 && res.write(chunk)) sent++;
        if (sent >= 1024) res.end(() => (finished = true));
        else res.once('drain', pump);
      };
      res.on('error', () => undefined);
      pump();
    });
    const outcome = await sender({ maxResponseBytes: 64 * 1024, timeoutMs: 5000 }).send(r.url, headers, '{}');
    expect(outcome).toMatchObject({ delivered: true, truncated: true, bytesRead: 64 * 1024 });
    expect(finished).toBe(false);
  });

  it('refuses 127.0.0.1 without the test knob, as a literal and behind a name', async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end());
    const strict = sender({ policy: {} });
    expect(await strict.send(r.url, headers, '{}')).toMatchObject({
      delivered: false,
      errorCode: 'address_refused',
    });
    expect(await strict.send(`https://localhost:${r.port}/`, headers, '{}')).toMatchObject({
      delivered: false,
      errorCode: 'address_refused',
    });
    expect(await strict.send(`https://[::ffff:127.0.0.1]:${r.port}/`, headers, '{}')).toMatchObject({
      errorCode: 'address_refused',
    });
    expect(r.received).toHaveLength(0);
  });

  it('the checked lookup refuses a name with any private address', async () => {
    const lookup = checkedLookup({});
    const error = await new Promise<NodeJS.ErrnoException | null>((done) =>
      lookup('localhost', { all: true }, (err) => done(err)),
    );
    expect(error?.code).toBe('STEMPEL_ADDRESS_REFUSED');
  });

  it('does not trust the self-signed receiver without the test CA', async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end());
    const outcome = await new HttpsWebhookSender({ policy: allowLoopback, timeoutMs: 1000 }).send(
      r.url,
      headers,
      '{}',
    );
    expect(outcome).toMatchObject({ delivered: false, errorCode: 'tls_failed' });
  });
});
