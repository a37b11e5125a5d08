import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeliveryJob, WebhookQueue } from '../ports/webhooks';
import { type LambdaHandler, lambdaContext } from './lambda-context';

export interface LocalWebhookQueueOptions {
  readonly handler: LambdaHandler<SQSEvent, SQSBatchResponse>;
  /** Receives before a message goes to the dead-letter list (the queue's redrive policy in AWS). */
  readonly maxReceiveCount: number;
  /** How long a received message stays hidden unless the handler says otherwise (visibility timeout). */
  readonly visibilityMs?: number;
  /** Caps every retry delay: the tests wait milliseconds, not the production backoff. */
  readonly maxRetryDelayMs?: number;
  readonly pollMs?: number;
}

interface Held {
  readonly id: string;
  readonly job: DeliveryJob;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string;
}

/**
 * Plays the SQS queue, its Lambda event source mapping (batches of up to 10,
 * partial batch responses) and its dead-letter queue in process: the very
 * delivery handler that runs in AWS gets SQS events, and its visibility
 * changes (the retry backoff) are honoured, capped by `maxRetryDelayMs`.
 */
export class LocalWebhookQueue implements WebhookQueue {
  private readonly messages = new Map<string, Held>();
  /** What the dead-letter queue would hold. */
  readonly deadLetters: DeliveryJob[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: LocalWebhookQueueOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running && !this.stopped)
        this.running = this.poll()
          .catch((err) => console.error('local webhook queue failed', err))
          .finally(() => {
            this.running = undefined;
          });
    }, this.options.pollMs ?? 50);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    for (const job of jobs) {
      const id = randomUUID();
      this.messages.set(id, { id, job, receiveCount: 0, visibleAt: Date.now(), receiptHandle: '' });
    }
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    const held = [...this.messages.values()].find((m) => m.receiptHandle === receiptHandle);
    if (!held) throw new Error('ReceiptHandleIsInvalid');
    held.visibleAt =
      Date.now() + Math.min(seconds * 1000, this.options.maxRetryDelayMs ?? Number.POSITIVE_INFINITY);
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    const batch: Held[] = [];
    for (const m of this.messages.values()) {
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= this.options.maxReceiveCount) {
        // SQS moves it to the dead-letter queue instead of receiving it once more.
        this.messages.delete(m.id);
        this.deadLetters.push(m.job);
        continue;
      }
      batch.push(m);
      if (batch.length === 10) break;
    }
    if (batch.length === 0) return;
    for (const m of batch) {
      m.receiveCount++;
      m.receiptHandle = randomUUID();
      m.visibleAt = now + (this.options.visibilityMs ?? 60_000);
    }
    const event: SQSEvent = {
      Records: batch.map(
        (m): SQSRecord => ({
          messageId: m.id,
          receiptHandle: m.receiptHandle,
          body: JSON.stringify(m.job),
          attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(now),
            SenderId: 'local',
            ApproximateFirstReceiveTimestamp: String(now),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:local:000000000000:stempel-webhooks',
          awsRegion: 'local',
        }),
      ),
    };
    let failed: Set<string>;
    try {
      const response = await this.options.handler(event, lambdaContext('stempel-webhook-delivery', 60_000));
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      console.error('stempel-webhook-delivery failed on a batch', err);
      failed = new Set(batch.map((m) => m.id));
    }
    for (const m of batch) if (!failed.has(m.id)) this.messages.delete(m.id);
  }
}
