import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { type AddressPolicy, refusalOf, refusalOfAll } from '../core/webhook-address';
import type { SendFailure, SendOutcome, WebhookSender } from '../ports/webhooks';

export interface HttpsWebhookSenderOptions {
  readonly policy: AddressPolicy;
  /** Connect plus the whole response, in milliseconds (5 s by default). */
  readonly timeoutMs?: number;
  /** Response bytes read at most; the connection is cut after that (64 KiB by default). */
  readonly maxResponseBytes?: number;
  /** An extra CA to trust besides the public roots: tests only (STEMPEL_WEBHOOKS_TEST_CA_FILE). */
  readonly extraCa?: string;
}

const REFUSED = 'STEMPEL_ADDRESS_REFUSED';

/**
 * A `lookup` for node:https that resolves every address of the name and
 * fails unless all are public. The socket connects to an address from this
 * answer, so a name that resolves differently a moment later (DNS
 * rebinding) cannot move the connection to a private address.
 */
export function checkedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refusal = refusalOfAll(
        addresses.map((a) => a.address),
        policy,
      );
      if (refusal) {
        const refused = Object.assign(new Error(`refused: ${refusal}`), { code: REFUSED });
        return callback(refused as NodeJS.ErrnoException, '', 0);
      }
      const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
      const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      const first = usable[0];
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

const failureOf = (err: NodeJS.ErrnoException & { timeout?: boolean }): SendFailure => {
  if (err.timeout) return 'timeout';
  const code = err.code ?? '';
  if (code === REFUSED) return 'address_refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return 'dns_failed';
  if (/CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO|HOSTNAME/.test(code) || /certificate|SSL|TLS/i.test(err.message))
    return 'tls_failed';
  return 'connection_failed';
};

/**
 * Delivers webhooks over HTTPS with the SSRF rules of docs/webhooks.md: the
 * checked lookup above (and the same check for an IP literal host), no
 * redirects (a 3xx is a failure), one deadline for connect and response, and
 * at most `maxResponseBytes` of the answer read. No connection is reused.
 */
export class HttpsWebhookSender implements WebhookSender {
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly lookup: LookupFunction;

  constructor(private readonly options: HttpsWebhookSenderOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
    this.lookup = checkedLookup(options.policy);
  }

  send(rawUrl: string, headers: Readonly<Record<string, string>>, body: string): Promise<SendOutcome> {
    const url = new URL(rawUrl);
    const none = { bytesRead: 0, truncated: false };
    if (url.protocol !== 'https:')
      return Promise.resolve({ delivered: false, errorCode: 'address_refused', ...none });
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = refusalOf(host) !== 'not an IP address';
    if (literal && refusalOf(host, this.options.policy))
      return Promise.resolve({ delivered: false, errorCode: 'address_refused', ...none });

    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      let bytesRead = 0;
      const finish = (outcome: Omit<SendOutcome, 'bytesRead'> & { bytesRead?: number }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ bytesRead, ...outcome });
        req.destroy();
      };
      const payload = Buffer.from(body, 'utf8');
      const req = request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(payload.length) },
        lookup: this.lookup,
        agent: false,
        ...(this.options.extraCa ? { ca: [...rootCertificates, this.options.extraCa] } : {}),
      });
      const timer = setTimeout(
        () => finish({ delivered: false, errorCode: 'timeout', truncated: false }),
        this.timeoutMs,
      );
      req.on('error', (err) => finish({ delivered: false, errorCode: failureOf(err), truncated: false }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const verdict =
          status >= 200 && status < 300
            ? { delivered: true, status }
            : {
                delivered: false,
                status,
                errorCode:
                  status >= 300 && status < 400 ? ('redirect' as const) : (`http_${status}` as const),
              };
        res.on('data', (chunk: Buffer) => {
          bytesRead += chunk.length;
          if (bytesRead > this.maxResponseBytes) {
            bytesRead = this.maxResponseBytes;
            finish({ ...verdict, truncated: true });
          }
        });
        res.on('end', () => finish({ ...verdict, truncated: false }));
        res.on('error', () => finish({ ...verdict, truncated: false }));
      });
      req.end(payload);
    });
  }
}
