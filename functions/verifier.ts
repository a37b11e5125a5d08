import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { logger, metrics, traceHandler } from '../shared/http/observability';
import { uploads } from '../shared/runtime/files';

const UPLOAD_KEY = /^UPLOAD#(.+)$/;

/**
 * Reads through uploads handed over for hashing (the Files table's stream,
 * filtered to `state = hashing`) and notarizes or rejects each. A failure
 * is retried by the stream; a verifier that dies leaves the upload to be
 * claimed again by its owner's next request once the lease ends.
 */
export const handler = middy<DynamoDBStreamEvent, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const ids = new Set<string>();
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      const id = UPLOAD_KEY.exec(image?.pk?.S ?? '')?.[1];
      if (id && image?.state?.S === 'hashing') ids.add(id);
    }
    for (const id of ids) {
      await uploads().verifyHandedOver(id);
      logger.info('upload checked', { uploadId: id });
    }
    metrics.addMetric('UploadsChecked', MetricUnit.Count, ids.size);
  });
