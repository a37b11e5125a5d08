import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { liveChannel } from '../shared/runtime/live';

/** What the integrator sends: entries [start, end) of the log were sealed. */
const sealedRange = z.strictObject({
  start: z.int().check(z.nonnegative()),
  end: z.int().check(z.positive()),
});

/**
 * Pushes a range the integrator sealed to every live subscriber (docs/live.md).
 * Invoked asynchronously by the integrator after each seal, so the fan-out
 * never holds up sealing; a push that fails for good is lost only until the
 * browser's next subscribe, whose catch-up (`since`) brings the entries.
 */
export const handler = middy<unknown, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const range = sealedRange.parse(event);
    const result = await liveChannel().announce(range);
    metrics.addMetric('LivePushDelivered', MetricUnit.Count, result.delivered);
    metrics.addMetric('LivePushGone', MetricUnit.Count, result.gone);
    metrics.addMetric('LivePushExpired', MetricUnit.Count, result.expired);
    metrics.addMetric('LivePushFailed', MetricUnit.Count, result.failed);
    if (result.failed > 0) logger.warn('live push failed for some connections', { range, ...result });
    else logger.debug('live push', { range, ...result });
  });
