import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalWebhookQueue } from '../../shared/local/webhook-queue';
import { eventually } from '../support/webhook-receiver';

const job = { endpointId: 'e1', messageId: 'msg_1', body: '{}' };

describe('LocalWebhookQueue (the SQS stand-in)', () => {
  it('hands back a failed message after the delay the handler set, and dead-letters it after maxReceiveCount', async () => {
    const receives: number[] = [];
    let queue: LocalWebhookQueue | undefined;
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      for (const r of event.Records) {
        receives.push(Number(r.attributes.ApproximateReceiveCount));
        await queue?.retryAfter(r.receiptHandle, 3600);
      }
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    queue = new LocalWebhookQueue({ handler, maxReceiveCount: 3, maxRetryDelayMs: 20, pollMs: 5 });
    queue.start();
    try {
      await queue.enqueue([job]);
      await eventually(() => (queue?.deadLetters.length ? true : undefined), 10_000);
      expect(receives).toEqual([1, 2, 3]);
      expect(queue.deadLetters).toEqual([job]);
    } finally {
      await queue.stop();
    }
  });

  it('deletes what the handler delivered', async () => {
    let calls = 0;
    const queue = new LocalWebhookQueue({
      handler: async () => {
        calls++;
        return { batchItemFailures: [] };
      },
      maxReceiveCount: 3,
      pollMs: 5,
    });
    queue.start();
    try {
      await queue.enqueue([job, { ...job, endpointId: 'e2' }]);
      await eventually(() => (calls > 0 ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBe(1);
      expect(queue.deadLetters).toEqual([]);
    } finally {
      await queue.stop();
    }
  });
});
