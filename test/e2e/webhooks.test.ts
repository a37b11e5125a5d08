import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../shared/core/webhook-signature';
import { adminToken, call, createUser, randomSha256, uniqueName } from '../support/http';
import { eventually, type Receiver, startReceiver } from '../support/webhook-receiver';

interface Payload {
  readonly type: string;
  readonly data: Record<string, unknown>;
}
const payloadOf = (body: string) => JSON.parse(body) as Payload;

describe('webhooks', () => {
  let admin: string;
  const receivers: Receiver[] = [];
  const webhookIds: string[] = [];

  beforeAll(async () => {
    admin = await adminToken();
  });
  afterAll(async () => {
    for (const id of webhookIds) await call('DELETE', `/v1/admin/webhooks/${id}`, { token: admin });
    for (const r of receivers) await r.close();
  });

  const register = async (url: string, events: string[]) => {
    const res = await call('POST', '/v1/admin/webhooks', { token: admin, body: { url, events } });
    if (res.status === 201) webhookIds.push(res.body.webhook.id);
    return res;
  };
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };

  it('delivers a signed notarization.sealed, retried after a 500, with the attempts recorded', async () => {
    // Every first delivery of an event fails with 500; the retry succeeds.
    const seen = new Set<string>();
    const r = await receiver((req, res) => {
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) return res.writeHead(200).end('ok');
      seen.add(id);
      res.writeHead(500).end('not yet');
    });
    const created = await register(`${r.url}/stempel`, ['notarization.sealed', 'notarization.created']);
    expect(created.status).toBe(201);
    const { secret, webhook } = created.body;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(webhook).toMatchObject({ enabled: true, delivery: { attempts: 0 } });
    expect(JSON.stringify(webhook)).not.toContain(secret);

    const { token } = await createUser(['uploader'], admin);
    const sha256 = randomSha256();
    const notarized = await call('POST', '/v1/notarizations', { token, body: { sha256 } });
    expect(notarized.status).toBe(201);
    const id = notarized.body.id as string;

    const deliveries = (type: string) =>
      r.received.filter((x) => {
        const p = payloadOf(x.body);
        return p.type === type && p.data.id === id;
      });
    // Two attempts of the sealed event: the 500 and the retry.
    const sealed = await eventually(() => {
      const found = deliveries('notarization.sealed');
      return found.length >= 2 ? found : undefined;
    });
    for (const d of sealed) {
      const headers = {
        id: String(d.headers['webhook-id']),
        timestamp: String(d.headers['webhook-timestamp']),
        signature: String(d.headers['webhook-signature']),
      };
      expect(verifyWebhook(secret, headers, d.body, Math.floor(Date.now() / 1000))).toBe(true);
      expect(
        verifyWebhook(`whsec_${Buffer.alloc(32).toString('base64')}`, headers, d.body, Date.now() / 1000),
      ).toBe(false);
    }
    // One event, one webhook-id, whatever the attempt.
    expect(new Set(sealed.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect(payloadOf(sealed[0]?.body ?? '').data).toMatchObject({ id, sha256, logIndex: expect.any(Number) });
    await eventually(() => (deliveries('notarization.created').length >= 2 ? true : undefined));

    const status = await eventually(async () => {
      const got = await call('GET', `/v1/admin/webhooks/${webhook.id}`, { token: admin });
      return got.body.delivery.lastStatus === 'delivered' && got.body.delivery.attempts >= 4
        ? got
        : undefined;
    });
    expect(status.body.delivery).toMatchObject({
      lastStatus: 'delivered',
      lastErrorCode: 'http_500',
      lastDeliveredAt: expect.any(String),
    });
    const list = await call('GET', '/v1/admin/webhooks', { token: admin });
    expect(list.body.items.map((w: { id: string }) => w.id)).toContain(webhook.id);
  });

  it('delivers user.locked when failed logins lock an account', async () => {
    const r = await receiver((_req, res) => res.writeHead(204).end());
    const created = await register(r.url, ['user.locked']);
    expect(created.status).toBe(201);
    const username = uniqueName('lockme');
    const user = await call('POST', '/v1/admin/users', {
      token: admin,
      body: { username, roles: ['uploader'] },
    });
    expect(user.status).toBe(201);
    for (let i = 0; i < 8; i++) {
      const res = await call('POST', '/v1/auth/login', {
        body: { username, password: `wrong-password-${i}` },
      });
      if (res.status === 429) break;
    }
    const locked = await eventually(() =>
      r.received.find((x) => {
        const p = payloadOf(x.body);
        return p.type === 'user.locked' && p.data.userId === user.body.user.id;
      }),
    );
    expect(
      verifyWebhook(
        created.body.secret,
        {
          id: String(locked.headers['webhook-id']),
          timestamp: String(locked.headers['webhook-timestamp']),
          signature: String(locked.headers['webhook-signature']),
        },
        locked.body,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
  });

  it('records a redirect as a failure and never follows it', async () => {
    const r = await receiver((req, res) =>
      req.path === '/hook' ? res.writeHead(307, { location: '/followed' }).end() : res.writeHead(200).end(),
    );
    const created = await register(`${r.url}/hook`, ['notarization.created']);
    const { token } = await createUser(['uploader'], admin);
    expect(
      (await call('POST', '/v1/notarizations', { token, body: { sha256: randomSha256() } })).status,
    ).toBe(201);
    const status = await eventually(async () => {
      const got = await call('GET', `/v1/admin/webhooks/${created.body.webhook.id}`, { token: admin });
      return got.body.delivery.attempts >= 2 ? got : undefined;
    });
    expect(status.body.delivery).toMatchObject({ lastStatus: 'failed', lastErrorCode: 'redirect' });
    expect(status.body.delivery.lastDeliveredAt).toBeUndefined();
    expect(r.received.every((x) => x.path === '/hook')).toBe(true);
  });

  it('refuses http:// and non-public addresses with a problem', async () => {
    const cases: [string, string][] = [
      ['http://127.0.0.1:8080/hook', 'webhook_url_not_https'],
      ['http://hooks.example.com/', 'webhook_url_not_https'],
      ['https://10.0.0.1/hook', 'webhook_url_private'],
      ['https://169.254.169.254/latest/meta-data/', 'webhook_url_private'],
      ['https://127.0.0.2/hook', 'webhook_url_private'],
      ['https://[::1]/hook', 'webhook_url_private'],
      ['https://[fd00::1]/hook', 'webhook_url_private'],
      ['https://[::ffff:192.168.0.1]/hook', 'webhook_url_private'],
    ];
    for (const [url, code] of cases) {
      const res = await register(url, ['notarization.sealed']);
      expect(res.status, url).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code, url).toBe(code);
    }
  });

  it('disables, deletes, and answers 404 for an unknown webhook; admins only', async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end());
    const created = await register(r.url, ['notarization.sealed']);
    const id = created.body.webhook.id;
    const disabled = await call('PATCH', `/v1/admin/webhooks/${id}`, {
      token: admin,
      body: { enabled: false },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.enabled).toBe(false);
    const { token } = await createUser(['uploader'], admin);
    expect((await call('GET', '/v1/admin/webhooks', { token })).status).toBe(403);
    expect((await call('DELETE', `/v1/admin/webhooks/${id}`, { token: admin })).status).toBe(204);
    const gone = await call('GET', `/v1/admin/webhooks/${id}`, { token: admin });
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('webhook_not_found');
    const audit = await call('GET', `/v1/audit/events?target=webhook:${id}`, { token: admin });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['webhook.create', 'webhook.update', 'webhook.delete']),
    );
  });
});
