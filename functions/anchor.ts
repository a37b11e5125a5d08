import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { anchoring } from '../shared/runtime/anchoring';

/**
 * Time-stamps the log's latest checkpoint with the external TSAs of the
 * settings (on a schedule). A TSA that fails after its retries is counted in
 * `AnchorFailures`, which is alarmed; the run itself succeeds, so the TSAs
 * that answered are not asked again.
 */
export const handler = middy<ScheduledEvent, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async () => {
    const result = await (await anchoring()).run();
    metrics.addMetric('AnchorsStored', MetricUnit.Count, result.anchored.length);
    metrics.addMetric('AnchorFailures', MetricUnit.Count, result.failed.length);
    if (result.failed.length > 0) logger.warn('external TSAs failed', { ...result });
    else if (result.anchored.length > 0) logger.info('anchored', { ...result });
  });
