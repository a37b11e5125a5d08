import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { settingsAudit, settingsParameterName } from '../shared/runtime/settings-audit';

/** What SSM tells EventBridge of a parameter change ("Parameter Store Change"). */
interface ParameterChange {
  readonly name: string;
  readonly operation: string;
}

/**
 * Records changes of the settings parameter in the audit trail (EventBridge,
 * asynchronously: a failed run is retried, then kept in the failure queue).
 * Each version becomes one `settings.change` event, with the settings that
 * changed; a retried or repeated run records nothing twice.
 */
export const handler = middy<EventBridgeEvent<'Parameter Store Change', ParameterChange>, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const name = settingsParameterName();
    if (!name || event.detail.name !== name) {
      logger.warn('not the settings parameter', { parameter: event.detail.name });
      return;
    }
    if (event.detail.operation === 'Delete') {
      await settingsAudit().recordDeletion(name, event.id);
      logger.warn('the settings parameter was deleted');
      return;
    }
    const { recorded } = await settingsAudit().recordChanges(name);
    metrics.addMetric('SettingsChangesRecorded', MetricUnit.Count, recorded.length);
    logger.info('settings changes recorded', { operation: event.detail.operation, versions: recorded });
  });
