import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { sealedAuditEvents } from '../shared/core/audit-export';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { auditExporter } from '../shared/runtime/audit-export';

/**
 * Exports sealed audit events from the Audit table's stream (new images) to
 * the write-once export bucket (docs/audit.md, "The export"). A record whose
 * image has no `logIndex` (the event as recorded, before the integrator seals
 * it) is skipped: the seal's update brings it back with its index.
 *
 * Nothing is lost between the event's sealing and its export: on any failure
 * the handler throws, so Lambda delivers the batch again (bisected, retried,
 * then sent to the failure queue with the event still in the table), and the
 * stream's position only moves past a batch once it is written. Object keys
 * are functions of the event (its date and log index), so what a failed
 * attempt already wrote is written again under the same keys: never a
 * duplicate. Throwing rather than returning batchItemFailures keeps this safe
 * whether or not the event source mapping reports item failures.
 */
export const handler = middy<DynamoDBStreamEvent, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const sealed = sealedAuditEvents(event.Records);
    if (sealed.length === 0) return;
    const result = await (await auditExporter()).export(sealed);
    metrics.addMetric('AuditEventsExported', MetricUnit.Count, result.events);
    logger.info('audit events exported', { ...result });
  });
