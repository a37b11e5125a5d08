import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { auditIntegrator } from '../shared/runtime/audit';
import { integrator } from '../shared/runtime/log';

/** Leave this much of the invocation for the last commit to finish. */
const SAFETY_MARGIN_MS = 10_000;

/**
 * Seals pending notarizations into the log, and audit events into the audit log. Triggered by the notarizations
 * table's stream (and by a schedule as a safety net); the records only say
 * "there is work": the integrator drains the pending queue itself, so
 * duplicate, reordered or lost deliveries change nothing.
 */
export const handler = middy<DynamoDBStreamEvent | ScheduledEvent, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async (_event, context: Context) => {
    const deadline = Date.now() + Math.max(1000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
    // Both logs, whichever table's stream woke it: each drain is cheap when its queue is empty.
    const [result, audit] = await Promise.all([
      (await integrator()).drain(deadline),
      (await auditIntegrator()).drain(deadline),
    ]);
    metrics.addMetric('AuditEventsSealed', MetricUnit.Count, audit.sealed);
    metrics.addMetric('AuditQuarantined', MetricUnit.Count, audit.quarantined);
    // Alarmed (integration lag): published on every run, 0 when nothing waits, so silence means no runs.
    metrics.addMetric('AuditOldestPendingSeconds', MetricUnit.Seconds, audit.oldestPendingSeconds);
    metrics.addMetric('OldestPendingSeconds', MetricUnit.Seconds, result.oldestPendingSeconds);
    if (audit.quarantined > 0) logger.warn('quarantined audit events with out-of-range times', { ...audit });
    metrics.addMetric('EntriesSealed', MetricUnit.Count, result.sealed);
    metrics.addMetric('IntegrationConflicts', MetricUnit.Count, result.conflicts);
    metrics.addMetric('TreeSize', MetricUnit.Count, result.treeSize);
    // Alarmed: an entry whose recorded time is out of range was written behind the API's back, or waited too long.
    metrics.addMetric('EntriesQuarantined', MetricUnit.Count, result.quarantined);
    if (result.quarantined > 0) logger.warn('quarantined entries with out-of-range times', { ...result });
    // The schedule and idle stream polls find nothing most of the time: only work is worth an info line.
    if (result.sealed > 0 || result.conflicts > 0) logger.info('integrated', { ...result });
    else logger.debug('integrated', { ...result });
  });
