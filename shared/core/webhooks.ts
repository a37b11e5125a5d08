import { createHash, randomUUID } from 'node:crypto';
import type { SecretBox } from '../ports/secret-box';
import type {
  DeliveryJob,
  ResolveHost,
  StoredWebhook,
  WebhookEventType,
  WebhookSender,
  WebhookStore,
} from '../ports/webhooks';
import type { AuditFor } from './audit-event';
import { StempelError } from './errors';
import { type AddressPolicy, refusalOf, refusalOfAll } from './webhook-address';
import { newWebhookSecret, signWebhook } from './webhook-signature';

/** At most this many endpoints: each event fans out to all of them. */
export const MAX_WEBHOOKS = 50;

/**
 * The wait before attempt n+1 after attempt n failed (n = 1…8): the Standard
 * Webhooks suggestion, shortened to fit SQS's 12-hour visibility limit. After
 * the ninth attempt the message goes to the dead-letter queue.
 */
export const RETRY_DELAYS_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14400] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

const secretContext = (id: string) => ({ purpose: 'webhook-secret', webhook: id });

/** What the API shows of an endpoint: never the secret. */
export function webhookView(w: StoredWebhook) {
  return {
    id: w.id,
    url: w.url,
    events: [...w.events],
    enabled: w.enabled,
    ...(w.description === undefined ? {} : { description: w.description }),
    createdAt: w.createdAt,
    delivery: { ...w.delivery },
  };
}
export type WebhookView = ReturnType<typeof webhookView>;

export interface WebhooksDeps {
  readonly store: WebhookStore;
  readonly secrets: SecretBox;
  readonly resolve: ResolveHost;
  readonly policy: AddressPolicy;
  readonly now?: () => Date;
}

const refused = (code: string, detail: string) =>
  new StempelError('invalid', code, detail, { errors: [{ path: 'body.url', message: detail }] });

/**
 * The URL a webhook may be registered with: https, no credentials, and a
 * host whose every address is public (checked again on every delivery,
 * since DNS may change).
 */
export async function checkWebhookUrl(raw: string, resolve: ResolveHost, policy: AddressPolicy) {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('webhook_url_invalid', 'The URL is not an absolute URL.');
  }
  if (url.protocol !== 'https:') throw refused('webhook_url_not_https', 'Webhook URLs must use https.');
  if (url.username || url.password)
    throw refused('webhook_url_invalid', 'Webhook URLs must not carry credentials.');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let refusal: string | undefined;
  if (refusalOf(host) !== 'not an IP address') refusal = refusalOf(host, policy);
  else {
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch {
      throw refused('webhook_url_unresolvable', `The host ${host} does not resolve.`);
    }
    refusal = refusalOfAll(addresses, policy);
  }
  if (refusal)
    throw refused('webhook_url_private', `Webhooks are delivered to public addresses only (${refusal}).`);
  return url;
}

/** Registration, listing and removal of endpoints (admin routes). */
export class Webhooks {
  private readonly now: () => Date;

  constructor(private readonly deps: WebhooksDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async register(
    input: { url: string; events: readonly WebhookEventType[]; description?: string | undefined },
    actor: string,
    audit?: AuditFor,
  ): Promise<{ webhook: WebhookView; secret: string }> {
    const url = await checkWebhookUrl(input.url, this.deps.resolve, this.deps.policy);
    if ((await this.deps.store.list()).length >= MAX_WEBHOOKS)
      throw new StempelError('conflict', 'too_many_webhooks', `At most ${MAX_WEBHOOKS} webhooks.`);
    const id = randomUUID();
    const secret = newWebhookSecret();
    const webhook: StoredWebhook = {
      id,
      url: url.toString(),
      events: [...new Set(input.events)].sort(),
      enabled: true,
      ...(input.description === undefined ? {} : { description: input.description }),
      createdAt: this.now().toISOString(),
      createdBy: actor,
      sealedSecret: await this.deps.secrets.seal(secret, secretContext(id)),
      delivery: { attempts: 0 },
    };
    await this.deps.store.create(webhook, audit?.({ target: `webhook:${id}` }));
    return { webhook: webhookView(webhook), secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await this.deps.store.list()).map(webhookView);
  }

  async get(id: string): Promise<WebhookView> {
    const w = await this.deps.store.get(id);
    if (!w) throw notFound();
    return webhookView(w);
  }

  async delete(id: string, audit?: AuditFor): Promise<void> {
    if (!(await this.deps.store.delete(id, audit?.({ target: `webhook:${id}` })))) throw notFound();
  }

  async setEnabled(id: string, enabled: boolean, audit?: AuditFor): Promise<WebhookView> {
    const before = await this.deps.store.get(id);
    if (!before) throw notFound();
    const after = await this.deps.store.setEnabled(
      id,
      enabled,
      audit?.({ target: `webhook:${id}`, changes: { enabled: { from: before.enabled, to: enabled } } }),
    );
    if (!after) throw notFound();
    return webhookView(after);
  }
}

const notFound = () => new StempelError('not_found', 'webhook_not_found', 'No such webhook.');

/** An event to deliver: `key` names it uniquely (its `webhook-id` is derived from it). */
export interface WebhookEvent {
  readonly type: WebhookEventType;
  readonly key: string;
  readonly timestamp: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The events a Notarizations table change means: an insert of a queued log
 * entry is `notarization.created`, a write that leaves it sealed with a log
 * index is `notarization.sealed`.
 */
export function notarizationEvents(eventName: string | undefined, item: Record<string, unknown>) {
  const events: WebhookEvent[] = [];
  if (typeof item.pk !== 'string' || !item.pk.startsWith('NOTARIZATION#') || typeof item.id !== 'string')
    return events;
  const data = { id: item.id, sha256: item.sha256, receivedAt: item.receivedAt };
  if (eventName === 'INSERT' && item.pending !== undefined)
    events.push({
      type: 'notarization.created',
      key: `created:${item.id}`,
      timestamp: String(item.receivedAt),
      data,
    });
  if (eventName === 'MODIFY' && item.status === 'sealed' && typeof item.logIndex === 'number')
    events.push({
      type: 'notarization.sealed',
      key: `sealed:${item.id}`,
      timestamp: String(item.sealedAt),
      data: { ...data, logIndex: item.logIndex, sealedAt: item.sealedAt },
    });
  return events;
}

/** The events an Audit table insert means: a failed login that locked a user's name is `user.locked`. */
export function auditEvents(eventName: string | undefined, item: Record<string, unknown>) {
  const changes = item.changes as Record<string, { to?: unknown }> | undefined;
  if (
    eventName !== 'INSERT' ||
    item.action !== 'auth.login' ||
    item.outcome !== 'failure' ||
    changes?.locked?.to !== true ||
    typeof item.target !== 'string' ||
    !item.target.startsWith('user:')
  )
    return [];
  const event: WebhookEvent = {
    type: 'user.locked',
    key: `locked:${String(item.id)}`,
    timestamp: String(item.at),
    data: { userId: item.target.slice('user:'.length), at: item.at },
  };
  return [event];
}

/** The `webhook-id` of an event: stable, so a re-sent event has the same id. */
export const messageIdOf = (event: WebhookEvent) =>
  `msg_${createHash('sha256').update(event.key).digest('base64url').slice(0, 27)}`;

/** One job per event and enabled endpoint subscribed to it. */
export function deliveryJobs(
  events: readonly WebhookEvent[],
  endpoints: readonly StoredWebhook[],
): DeliveryJob[] {
  const jobs: DeliveryJob[] = [];
  for (const event of events) {
    const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
    for (const endpoint of endpoints)
      if (endpoint.enabled && endpoint.events.includes(event.type))
        jobs.push({ endpointId: endpoint.id, messageId: messageIdOf(event), body });
  }
  return jobs;
}

export type DeliveryResult =
  | { readonly outcome: 'delivered' | 'dropped' }
  | { readonly outcome: 'retry'; readonly afterSeconds: number; readonly errorCode: string }
  | { readonly outcome: 'given_up'; readonly errorCode: string };

/**
 * One attempt (`attempt` counts from 1) at one job: signs it with the
 * endpoint's secret, sends it through the sender (which checks the address
 * again and follows no redirect), and records the attempt on the endpoint.
 * A job for an endpoint deleted or disabled meanwhile is dropped.
 */
export async function deliver(
  job: DeliveryJob,
  attempt: number,
  deps: { store: WebhookStore; secrets: SecretBox; sender: WebhookSender; now?: () => Date },
): Promise<DeliveryResult> {
  const endpoint = await deps.store.get(job.endpointId);
  if (!endpoint?.enabled) return { outcome: 'dropped' };
  const secret = await deps.secrets.open(endpoint.sealedSecret, secretContext(endpoint.id));
  const now = deps.now?.() ?? new Date();
  const timestamp = Math.floor(now.getTime() / 1000);
  const sent = await deps.sender.send(
    endpoint.url,
    {
      'content-type': 'application/json',
      'webhook-id': job.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, job.messageId, timestamp, job.body),
      'user-agent': 'Stempel-Webhooks/1',
    },
    job.body,
  );
  const at = (deps.now?.() ?? new Date()).toISOString();
  await deps.store.recordAttempt(endpoint.id, {
    at,
    delivered: sent.delivered,
    ...(sent.errorCode ? { errorCode: sent.errorCode } : {}),
  });
  if (sent.delivered) return { outcome: 'delivered' };
  const errorCode = sent.errorCode ?? 'failed';
  const afterSeconds = RETRY_DELAYS_SECONDS[attempt - 1];
  return afterSeconds === undefined
    ? { outcome: 'given_up', errorCode }
    : { outcome: 'retry', afterSeconds, errorCode };
}
