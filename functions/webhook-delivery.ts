import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliver } from '../shared/core/webhooks';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import type { DeliveryJob } from '../shared/ports/webhooks';
import { secretBox } from '../shared/runtime/keys';
import { webhookQueue, webhookSender, webhookStore } from '../shared/runtime/webhooks';

/**
 * Delivers webhook jobs from the SQS queue (docs/webhooks.md). A failed
 * attempt hides its message for the next backoff delay and reports it as a
 * batch item failure, so SQS hands it back then; after the last attempt the
 * queue's redrive policy moves it to the dead-letter queue (alarmed).
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const failures: SQSBatchItemFailure[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          const job = JSON.parse(record.body) as DeliveryJob;
          const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
          const result = await deliver(job, attempt, {
            store: webhookStore(),
            secrets: secretBox(),
            sender: webhookSender(),
          });
          metrics.addMetric(
            result.outcome === 'delivered' ? 'WebhooksDelivered' : 'WebhookAttemptsFailed',
            MetricUnit.Count,
            result.outcome === 'dropped' ? 0 : 1,
          );
          if (result.outcome === 'retry' || result.outcome === 'given_up') {
            logger.warn('webhook attempt failed', {
              endpointId: job.endpointId,
              messageId: job.messageId,
              attempt,
              errorCode: result.errorCode,
            });
            if (result.outcome === 'retry')
              await webhookQueue().retryAfter(record.receiptHandle, result.afterSeconds);
            failures.push({ itemIdentifier: record.messageId });
          }
        } catch (err) {
          logger.error('webhook delivery failed', err as Error);
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  });
