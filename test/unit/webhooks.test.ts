import { describe, expect, it } from 'vitest';
import { refusalOf, refusalOfAll } from '../../shared/core/webhook-address';
import { signWebhook, verifyWebhook } from '../../shared/core/webhook-signature';
import {
  auditEvents,
  checkWebhookUrl,
  deliveryJobs,
  messageIdOf,
  notarizationEvents,
} from '../../shared/core/webhooks';
import type { StoredWebhook } from '../../shared/ports/webhooks';

describe('Standard Webhooks signature', () => {
  // The test vector of the Standard Webhooks reference libraries.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = '{"test": 2432232314}';

  it('matches the published test vector', () => {
    expect(signWebhook(secret, id, timestamp, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies as a receiver does, and refuses a changed body, id or old timestamp', () => {
    const signature = signWebhook(secret, id, timestamp, body);
    const headers = { id, timestamp: String(timestamp), signature };
    expect(verifyWebhook(secret, headers, body, timestamp + 10)).toBe(true);
    expect(
      verifyWebhook(secret, { ...headers, signature: `v1,bm9wZQ== ${signature}` }, body, timestamp),
    ).toBe(true);
    expect(verifyWebhook(secret, headers, `${body} `, timestamp)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, id: 'msg_other' }, body, timestamp)).toBe(false);
    expect(verifyWebhook(secret, headers, body, timestamp + 301)).toBe(false);
  });
});

describe('webhook address policy (SSRF)', () => {
  const refused = [
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.1.2.3',
    '169.254.169.254',
    '169.254.0.1',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '240.0.0.1',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '0:0:0:0:0:ffff:c0a8:0101',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::1',
    '2001::1',
    '2001:db8::1',
    'fec0::1',
  ];
  it.each(refused)('refuses %s', (address) => {
    expect(refusalOf(address)).toBeDefined();
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'accepts the public address %s',
    (address) => {
      expect(refusalOf(address)).toBeUndefined();
    },
  );

  it('refuses a name whose addresses mix public and private, and one with none', () => {
    expect(refusalOfAll(['8.8.8.8', '10.0.0.1'])).toMatch(/private/);
    expect(refusalOfAll(['2606:4700::1111', '::1'])).toMatch(/loopback/);
    expect(refusalOfAll([])).toBeDefined();
    expect(refusalOfAll(['8.8.8.8', '2606:4700::1111'])).toBeUndefined();
  });

  it('allows a listed address only with the test knob, and only that one', () => {
    expect(refusalOf('127.0.0.1')).toBeDefined();
    expect(refusalOf('127.0.0.1', { allowAddresses: ['127.0.0.1'] })).toBeUndefined();
    expect(refusalOf('::ffff:127.0.0.1', { allowAddresses: ['127.0.0.1'] })).toBeUndefined();
    expect(refusalOf('127.0.0.2', { allowAddresses: ['127.0.0.1'] })).toBeDefined();
    expect(refusalOf('169.254.169.254', { allowAddresses: ['127.0.0.1'] })).toBeDefined();
  });
});

describe('webhook URL check at registration', () => {
  const dns =
    (table: Record<string, string[]>) =>
    async (host: string): Promise<string[]> => {
      const found = table[host];
      if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return found;
    };
  const resolve = dns({
    'hooks.example.com': ['93.184.215.14'],
    'mixed.example.com': ['93.184.215.14', '10.0.0.5'],
    'metadata.example.com': ['169.254.169.254'],
    'v6local.example.com': ['fd00::5'],
  });
  const codeOf = async (url: string, policy = {}) =>
    checkWebhookUrl(url, resolve, policy).then(
      () => 'ok',
      (err: { code: string }) => err.code,
    );

  it('accepts https to a public host', async () => {
    expect(await codeOf('https://hooks.example.com/stempel')).toBe('ok');
    expect(await codeOf('https://93.184.215.14:8443/x')).toBe('ok');
  });

  it('refuses http, credentials, private, mixed, metadata and unresolvable hosts', async () => {
    expect(await codeOf('http://hooks.example.com/')).toBe('webhook_url_not_https');
    expect(await codeOf('ftp://hooks.example.com/')).toBe('webhook_url_not_https');
    expect(await codeOf('not a url')).toBe('webhook_url_invalid');
    expect(await codeOf('https://user:pw@hooks.example.com/')).toBe('webhook_url_invalid');
    expect(await codeOf('https://mixed.example.com/')).toBe('webhook_url_private');
    expect(await codeOf('https://metadata.example.com/')).toBe('webhook_url_private');
    expect(await codeOf('https://v6local.example.com/')).toBe('webhook_url_private');
    expect(await codeOf('https://169.254.169.254/latest/meta-data/')).toBe('webhook_url_private');
    expect(await codeOf('https://[::1]/')).toBe('webhook_url_private');
    expect(await codeOf('https://[::ffff:10.0.0.1]/')).toBe('webhook_url_private');
    expect(await codeOf('https://0x7f.1/')).toBe('webhook_url_private');
    expect(await codeOf('https://2130706433/')).toBe('webhook_url_private');
    expect(await codeOf('https://nowhere.example.com/')).toBe('webhook_url_unresolvable');
  });

  it('refuses 127.0.0.1 without the test knob, and allows it with it', async () => {
    expect(await codeOf('https://127.0.0.1:8443/hook')).toBe('webhook_url_private');
    expect(await codeOf('https://127.0.0.1:8443/hook', { allowAddresses: ['127.0.0.1'] })).toBe('ok');
  });
});

describe('webhook events from table changes', () => {
  const notarization = {
    pk: 'NOTARIZATION#abc',
    sk: 'NOTARIZATION',
    id: 'abc',
    sha256: 'ff'.repeat(32),
    receivedAt: '2026-11-27T00:00:00.000Z',
  };

  it('an insert of a queued notarization is created, its seal is sealed', () => {
    expect(notarizationEvents('INSERT', { ...notarization, pending: 'notary#1', status: 'pending' })).toEqual(
      [expect.objectContaining({ type: 'notarization.created', key: 'created:abc' })],
    );
    const sealed = notarizationEvents('MODIFY', {
      ...notarization,
      status: 'sealed',
      logIndex: 7,
      sealedAt: '2026-11-27T00:00:01.000Z',
    });
    expect(sealed).toEqual([
      expect.objectContaining({
        type: 'notarization.sealed',
        data: expect.objectContaining({ logIndex: 7 }),
      }),
    ]);
    expect(notarizationEvents('MODIFY', { ...notarization, status: 'pending' })).toEqual([]);
    expect(notarizationEvents('INSERT', { pk: 'UPLOAD#x', id: 'x', pending: 'p' })).toEqual([]);
  });

  it('a failed login that locked a user is user.locked; other failures are nothing', () => {
    const failure = {
      pk: 'EVENT#e1',
      id: 'e1',
      at: '2026-11-27T00:00:00.000Z',
      action: 'auth.login',
      outcome: 'failure',
      target: 'user:u1',
    };
    expect(auditEvents('INSERT', { ...failure, changes: { locked: { from: false, to: true } } })).toEqual([
      expect.objectContaining({ type: 'user.locked', data: { userId: 'u1', at: failure.at } }),
    ]);
    expect(auditEvents('INSERT', failure)).toEqual([]);
    expect(auditEvents('MODIFY', { ...failure, changes: { locked: { from: false, to: true } } })).toEqual([]);
  });

  it('fans out to enabled subscribed endpoints with one stable webhook-id', () => {
    const endpoint = (id: string, events: StoredWebhook['events'], enabled = true): StoredWebhook => ({
      id,
      url: 'https://hooks.example.com/',
      events,
      enabled,
      createdAt: '',
      createdBy: '',
      sealedSecret: '',
      delivery: { attempts: 0 },
    });
    const [event] = notarizationEvents('INSERT', { ...notarization, pending: 'notary#1' });
    if (!event) throw new Error('no event');
    const jobs = deliveryJobs(
      [event],
      [
        endpoint('a', ['notarization.created']),
        endpoint('b', ['user.locked']),
        endpoint('c', ['notarization.created'], false),
        endpoint('d', ['notarization.created', 'notarization.sealed']),
      ],
    );
    expect(jobs.map((j) => j.endpointId)).toEqual(['a', 'd']);
    expect(new Set(jobs.map((j) => j.messageId))).toEqual(new Set([messageIdOf(event)]));
    expect(JSON.parse(jobs[0]?.body ?? '')).toEqual({
      type: 'notarization.created',
      timestamp: notarization.receivedAt,
      data: { id: 'abc', sha256: notarization.sha256, receivedAt: notarization.receivedAt },
    });
  });
});
