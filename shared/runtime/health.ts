import { DynamoHealthCheck } from '../adapters/dynamo-health-check';
import { S3HealthCheck } from '../adapters/s3-health-check';
import { documentsBucket, identityTable, logTable, notarizationsTable, resourceName } from '../tables';
import { once } from './once';

/** Composition root of the public function's health check. */
export const healthChecks = /* @__PURE__ */ once(() => [
  new DynamoHealthCheck('identityTable', resourceName(identityTable)),
  new DynamoHealthCheck('notarizationsTable', resourceName(notarizationsTable)),
  new DynamoHealthCheck('logTable', resourceName(logTable)),
  new S3HealthCheck('documentsBucket', resourceName(documentsBucket)),
]);
