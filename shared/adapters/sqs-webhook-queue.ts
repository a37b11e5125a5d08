import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryJob, WebhookQueue } from '../ports/webhooks';

/** SQS takes at most 10 messages per batch. */
const BATCH = 10;

/** The delivery queue in AWS: jobs as JSON messages; retries by hiding a message for its backoff. */
export class SqsWebhookQueue implements WebhookQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly sqs = new SQSClient({}),
  ) {}

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += BATCH) {
      const entries = jobs
        .slice(i, i + BATCH)
        .map((job, k) => ({ Id: String(k), MessageBody: JSON.stringify(job) }));
      const { Failed = [] } = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
      // The stream batch is retried whole; the jobs already sent go again with the same webhook-id.
      if (Failed.length > 0) throw new Error(`SQS refused ${Failed.length} webhook jobs: ${Failed[0]?.Code}`);
    }
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(seconds, 12 * 3600 - 1),
      }),
    );
  }
}
