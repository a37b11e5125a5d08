import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { sealedAuditEvents } from '../shared/core/audit-export';
import type { KpiEventFields } from '../shared/core/kpis';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { auditExporter } from '../shared/runtime/audit-export';
import { kpiCounter } from '../shared/runtime/kpis';

type Image = NonNullable<NonNullable<DynamoDBStreamEvent['Records'][number]['dynamodb']>['NewImage']>;

/**
 * Events as recorded (images without a log index: the insert, before the
 * integrator seals it), with the fields the key figures read. Read field by
 * field rather than unmarshalled whole: an event's other attributes (its
 * changes' values) may hold any shape, and none of them may stop a batch.
 */
const recordedEvents = (records: DynamoDBStreamEvent['Records']): KpiEventFields[] =>
  records.flatMap((record) => {
    const image: Image | undefined = record.dynamodb?.NewImage;
    if (!image?.pk?.S?.startsWith('EVENT#') || image.logIndex !== undefined) return [];
    const text = (name: string) => image[name]?.S ?? '';
    const had2fa = image.changes?.M?.otp?.M?.from?.BOOL;
    return [
      {
        id: text('id'),
        at: text('at'),
        action: text('action'),
        actor: text('actor'),
        target: text('target'),
        outcome: text('outcome'),
        ...(had2fa === undefined ? {} : { changes: { otp: { from: had2fa, to: false } } }),
      },
    ];
  });

/**
 * The Audit table's stream consumer: counts each recorded event into the key
 * figures (docs/reports.md), and exports sealed audit events from the Audit table's stream (new images) to
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
    // Both at once, each idempotent: a batch that fails in either is delivered again whole, and each
    // event counts once (marked in the same write) and is exported under keys of its own.
    // Settled, not Promise.all: a failure of one must not end the invocation while the other still writes.
    const sealed = sealedAuditEvents(event.Records);
    const [counting, exporting] = await Promise.allSettled([
      kpiCounter().count(recordedEvents(event.Records)),
      sealed.length > 0 ? auditExporter().export(sealed) : undefined,
    ]);
    if (counting.status === 'rejected') throw counting.reason;
    if (exporting.status === 'rejected') throw exporting.reason;
    const [counted, result] = [counting.value, exporting.value];
    metrics.addMetric('KpiEventsCounted', MetricUnit.Count, counted);
    if (!result) return;
    metrics.addMetric('AuditEventsExported', MetricUnit.Count, result.events);
    logger.info('audit events exported', { ...result });
  });
