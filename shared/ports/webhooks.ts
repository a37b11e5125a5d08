import type { AuditEvent } from '../core/audit-event';

/** The events an endpoint may subscribe to (docs/webhooks.md). */
export const WEBHOOK_EVENT_TYPES = ['notarization.created', 'notarization.sealed', 'user.locked'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** How deliveries to an endpoint went lately. */
export interface DeliveryStatus {
  /** `delivered`, or `failed` (the last attempt failed; it may still be retried). */
  readonly lastStatus?: 'delivered' | 'failed';
  /** Every attempt ever made to this endpoint. */
  readonly attempts: number;
  /** The machine code of the last failure (`http_500`, `redirect`, `timeout`, …). */
  readonly lastErrorCode?: string;
  readonly lastAttemptAt?: string;
  readonly lastDeliveredAt?: string;
}

/** A registered endpoint as stored: its secret only sealed by the SecretBox. */
export interface StoredWebhook {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly enabled: boolean;
  readonly description?: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly sealedSecret: string;
  readonly delivery: DeliveryStatus;
}

export interface AttemptRecord {
  readonly at: string;
  readonly delivered: boolean;
  readonly errorCode?: string;
}

export interface WebhookStore {
  create(webhook: StoredWebhook, audit?: AuditEvent): Promise<void>;
  get(id: string): Promise<StoredWebhook | undefined>;
  /** Every endpoint (there are at most a few dozen), oldest first. */
  list(): Promise<StoredWebhook[]>;
  /** False when there was no such endpoint. */
  delete(id: string, audit?: AuditEvent): Promise<boolean>;
  /** The endpoint after the change, or undefined when there is none. */
  setEnabled(id: string, enabled: boolean, audit?: AuditEvent): Promise<StoredWebhook | undefined>;
  /** Counts one attempt; nothing when the endpoint was deleted meanwhile. */
  recordAttempt(id: string, attempt: AttemptRecord): Promise<void>;
}

/** One delivery of one event to one endpoint: the SQS message body. */
export interface DeliveryJob {
  readonly endpointId: string;
  /** `webhook-id`: the same for every delivery of one event, so receivers can drop duplicates. */
  readonly messageId: string;
  /** The JSON payload, exactly as it is signed and sent. */
  readonly body: string;
}

export interface WebhookQueue {
  /** Enqueues every job, or throws (then nothing may be assumed enqueued; the caller retries). */
  enqueue(jobs: readonly DeliveryJob[]): Promise<void>;
  /** Makes a received message visible again only after `seconds` (the retry backoff). */
  retryAfter(receiptHandle: string, seconds: number): Promise<void>;
}

export type SendFailure =
  | 'address_refused'
  | 'dns_failed'
  | 'connection_failed'
  | 'tls_failed'
  | 'timeout'
  | 'redirect'
  | `http_${number}`;

export interface SendOutcome {
  readonly delivered: boolean;
  readonly status?: number;
  readonly errorCode?: SendFailure;
  /** Response bytes read (at most the cap); `truncated` when the response was longer and cut. */
  readonly bytesRead: number;
  readonly truncated: boolean;
}

/** POSTs one signed delivery; never throws for the receiver's misbehaviour, only reports it. */
export interface WebhookSender {
  send(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<SendOutcome>;
}

/** Resolves a host name to every address it has (A and AAAA). */
export type ResolveHost = (host: string) => Promise<string[]>;
