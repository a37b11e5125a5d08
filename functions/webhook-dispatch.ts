import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { streamImage } from '../shared/adapters/stream-image';
import { auditEvents, deliveryJobs, notarizationEvents, type WebhookEvent } from '../shared/core/webhooks';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { webhookQueue, webhookStore } from '../shared/runtime/webhooks';

/**
 * Turns table changes into webhook deliveries (docs/webhooks.md): the
 * Notarizations table's stream gives `notarization.created` (a queued
 * insert) and `notarization.sealed` (the integrator's seal), the Audit
 * table's stream gives `user.locked` (the failed login that locked a name).
 * One SQS message per event and subscribed endpoint. Any failure throws, so
 * Lambda delivers the stream batch again: nothing committed to a table is
 * lost, at the price of a possible duplicate, which carries the same
 * `webhook-id`.
 */
export const handler = middy<DynamoDBStreamEvent, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const events: WebhookEvent[] = [];
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (!image) continue;
      const item = streamImage(image);
      events.push(...notarizationEvents(record.eventName, item), ...auditEvents(record.eventName, item));
    }
    if (events.length === 0) return;
    const jobs = deliveryJobs(events, await webhookStore().list());
    if (jobs.length > 0) await webhookQueue().enqueue(jobs);
    metrics.addMetric('WebhookJobsEnqueued', MetricUnit.Count, jobs.length);
    logger.debug('webhook jobs enqueued', { events: events.length, jobs: jobs.length });
  });
