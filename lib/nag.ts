import { type App, type CfnElement, DefaultStackSynthesizer, Stack, Validations } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/*
 * cdk-nag, and every acknowledged finding with its reason, in one place.
 *
 * cdk-nag 3 runs as a CDK policy-validation plugin (not an Aspect): an
 * unacknowledged error fails `cdk synth`, and test/infra asserts that no error
 * or warning remains and that no acknowledgement is stale. Acknowledgements
 * are recorded with `Validations.of(construct).acknowledge` on the narrowest
 * construct (cdk-nag 3 replaced NagSuppressions; `appliesTo` became the
 * `Rule[Finding]` id), and are also written into the template's `cdk_nag`
 * metadata so a reviewer sees them next to the resource.
 */

/** The AwsSolutions and Serverless packs, verbose, with acknowledgements copied into the template. */
export function nagPacks(app: App) {
  return [
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
    new ServerlessChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  ] as const;
}

/**
 * Runs both packs on every synth of the app.
 *
 * @example
 * const app = new App();
 * new StempelStack(app, 'Stempel-dev', { config });
 * applyNagPacks(app);
 */
export function applyNagPacks(app: App): void {
  Validations.of(app).addPlugins(...nagPacks(app));
}

const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id, reason });

/**
 * Why each unauthenticated route is unauthenticated, keyed by `METHOD path`.
 * A route marked `access: 'public'` in shared/http/routes.ts without an entry
 * here fails the synth: making a route public is a decision to write down.
 */
export const PUBLIC_ROUTE_REASONS: Readonly<Record<string, string>> = {
  'POST /v1/auth/login':
    'Login exchanges a username and password for an access token, so it cannot require one. It is guarded by the tighter per-IP WAF rate rule on /v1/auth/, a constant-time KDF on every path and request-body validation.',
  'POST /v1/auth/refresh':
    'Refresh exchanges a refresh token (sent in the body, or by browsers in its HttpOnly SameSite=Strict cookie with the X-Stempel-Refresh header) for a new pair, so it cannot require an access token. It is guarded by the tighter per-IP WAF rate rule on /v1/auth/ and one-time-use refresh tokens.',
  'GET /v1/health':
    'Health is a liveness/readiness probe for load balancers and monitors; it returns only ok/failing per backend, no data.',
  'GET /v1/openapi.json':
    'The OpenAPI document describes the public contract of the API and contains no data; clients need it before they can sign in.',
  'GET /v1/log/checkpoint':
    'The signed log checkpoint is public by design: anyone must be able to verify receipts and the append-only log without an account.',
  'GET /v1/log/tile/{path+}':
    'The log tiles (C2SP tlog-tiles) are public by design: anyone, with any tlog-tiles client, must be able to recompute the signed roots and audit every entry without an account. They hold hashes and the opaque log entries only.',
  'GET /v1/log/key':
    'The log verifier (public) key is public by design: verifiers pin it to check checkpoints offline.',
  'GET /v1/tsa/certificates':
    "The time-stamp authority's certificate chain is public by design: anyone must be able to verify an RFC 3161 token without an account. It holds certificates (public keys and names) only.",
  'GET /v1/audit/key':
    "The audit log's verifier (public) key is public by design: auditors pin it to check signed audit checkpoints and an exported trail offline, and it is a public key only.",
  'GET /v1/audit/checkpoint':
    "The audit log's signed checkpoint is public by design, like the notarization log's: anyone holding an exported trail can check it against the current signed tree head without an account. It holds the origin, tree size and root hash only, never an event.",
  'GET /v1/log/consistency':
    'Consistency proofs are public by design so that anyone can check that the log is append-only between two checkpoints.',
};

/** AwsSolutions-APIG4 on one public method (no authorizer), with the reason recorded above. */
export function acknowledgePublicMethod(method: IConstruct, routeKey: string): void {
  const reason = PUBLIC_ROUTE_REASONS[routeKey];
  if (!reason) {
    throw new Error(
      `route ${routeKey} is public but lib/nag.ts PUBLIC_ROUTE_REASONS has no reason why; add one (it is the cdk-nag AwsSolutions-APIG4 acknowledgement)`,
    );
  }
  acknowledge(method, 'AwsSolutions-APIG4', reason);
}

/** AwsSolutions-COG4 on one method: authorization is a Lambda TOKEN authorizer, not Cognito. */
export function acknowledgeTokenAuthorizer(method: IConstruct): void {
  acknowledge(
    method,
    'AwsSolutions-COG4',
    'Stempel issues its own short-lived EdDSA access tokens (signed in KMS, the private key never leaves it) and verifies them in a Lambda TOKEN authorizer that re-reads the user on every request (results cache TTL 0), so disabling a user or changing roles takes effect immediately. There is deliberately no Cognito user pool; routes without the authorizer are the public ones acknowledged under APIG4.',
  );
}

/**
 * On every function behind API Gateway: no DLQ (Serverless-LambdaDLQ), and
 * the X-Ray wildcard that Tracing.ACTIVE adds to its role (AwsSolutions-IAM5).
 */
export function acknowledgeApiFunction(fn: IConstruct, role: IConstruct): void {
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    'Invoked only synchronously by API Gateway (Lambda proxy integration or REST TOKEN authorizer); a dead-letter queue applies only to asynchronous invocations. Failures are returned to the caller as RFC 9457 problems and logged; nothing is retried in the background that could be lost.',
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by Lambda active tracing) use Resource "*": these X-Ray actions support no resource-level permissions. Every other statement of this role names its table, index, key, parameter or log group.',
  );
}

/** AwsSolutions-IAM5 on API Gateway's account-level CloudWatch Logs role. */
export function acknowledgeApiGatewayLogsRole(role: IConstruct, wildcardResource: string): void {
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::${wildcardResource}]`,
    'API Gateway\'s CloudWatch Logs role is a single account-and-region setting (AWS::ApiGateway::Account) shared by every REST API there, and API Gateway itself creates the execution log groups (API-Gateway-Execution-Logs_<api-id>/<stage>). The policy is limited to log groups of this account and region, only the apigateway.amazonaws.com service principal can assume it, and it replaces the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy, whose Resource is "*".',
  );
}

/** What each stream-triggered function reads and names, for its wildcard acknowledgement. */
const STREAM_FUNCTIONS = {
  integrator: { stream: 'notarizations and Audit', named: 'every table, index and key is named' },
  verifier: {
    stream: 'Files',
    named: 'every table and key is named (its document objects are acknowledged separately, under owners/*)',
  },
  'webhook-dispatch': {
    stream: 'Notarizations and Audit',
    named:
      'the Webhooks table, the data key (through DynamoDB and DynamoDB Streams only) and the one delivery queue are named',
  },
  'audit-export': {
    stream: 'Audit',
    named:
      'the Log table, the audit key and the data key (through S3, for the export bucket only) are named (its export objects are acknowledged separately, under events/* and checkpoints/*)',
  },
} as const;

/**
 * AwsSolutions-IAM5 on the role of a stream-triggered function (integrator,
 * verifier): X-Ray, and dynamodb:ListStreams for its stream trigger.
 */
export function acknowledgeStreamFunctionWildcards(
  role: IConstruct,
  name: keyof typeof STREAM_FUNCTIONS,
): void {
  const { stream, named } = STREAM_FUNCTIONS[name];
  const arns = stream.includes(' and ') ? 'stream ARNs' : 'stream ARN';
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    `Resource "*" appears only for xray:PutTraceSegments and xray:PutTelemetryRecords (Lambda active tracing) and dynamodb:ListStreams (needed by the Lambda stream poller); none of these actions supports resource-level permissions. Reading the stream itself (DescribeStream, GetRecords, GetShardIterator) is limited to the ${stream} ${arns}, and ${named}.`,
  );
}

/** AwsSolutions-IAM5 on the integrator's role: X-Ray, and dynamodb:ListStreams for its stream trigger. */
export function acknowledgeIntegratorWildcards(role: IConstruct): void {
  acknowledgeStreamFunctionWildcards(role, 'integrator');
}

/** Serverless-SQSRedrivePolicy on the integrator's failure queue, which is itself the last stop. */
export function acknowledgeFailureQueue(queue: IConstruct): void {
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    'This queue is the dead-letter destination of the integrator (stream and scheduled invocations); nothing consumes it automatically, so a redrive policy would have no consumer to count receives for. Its messages only record that an invocation failed: the pending notarizations stay queued in DynamoDB and the next stream or scheduled run seals them.',
  );
}

/**
 * On the verifier's failure queue, which is itself the last stop: no redrive
 * policy (Serverless-SQSRedrivePolicy), and no DLQ of its own although it is
 * one (AwsSolutions-SQS3 recognizes a queue as a DLQ only when a queue's
 * redrive policy or a function's DeadLetterConfig names it, not an event
 * source mapping's on-failure destination).
 */
export function acknowledgeVerifierFailureQueue(queue: IConstruct): void {
  acknowledge(
    queue,
    'AwsSolutions-SQS3',
    "This queue is itself a dead-letter queue: the on-failure destination (DestinationConfig.OnFailure) of the verifier's DynamoDB stream event source mapping, which cdk-nag does not recognize as such. A dead-letter queue behind it would have nothing to catch, since nothing consumes this queue automatically.",
  );
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    "This queue is the on-failure destination of the verifier's stream event source mapping; nothing consumes it automatically, so a redrive policy would have no consumer to count receives for. Its messages only record which stream records failed (shard and sequence numbers, not the item): the upload stays in the hashing state in the Files table, and its owner's next notarization request claims it again once the verification lease has run out.",
  );
}

/** Serverless-LambdaDLQ on the verifier, which is never invoked asynchronously. */
export function acknowledgeVerifierInvocation(fn: IConstruct): void {
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    "Invoked only by its DynamoDB stream event source mapping, whose poller calls the function synchronously; a function dead-letter queue applies only to asynchronous invocations and would never receive anything. A failed record (one per invocation) is retried twice, and what still fails goes to the mapping's on-failure destination, the verifier's SQS failure queue.",
  );
}

/**
 * AwsSolutions-IAM5 on the notarizations and verifier roles: object access to
 * the documents bucket under `<prefix>*`. `prefix` is what the role's
 * statement names.
 */
export function acknowledgeDocumentObjects(role: IConstruct, bucket: IBucket, prefix: string): void {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`,
    `Object keys are owners/<owner id>/<upload id>, with the upload id minted per request, so no fixed list of object ARNs exists; the wildcard is limited to the ${prefix} prefix of the one documents bucket and to the object actions the upload, verify and download flow performs (no s3:*, no ListBucket, no version or ACL actions). Every object is SSE-C encrypted under a key derived from its owner's key, which only the notarizations and verifier roles may unwrap (the verifier only unwraps, never wraps), through KMS with the owner-file-key encryption context, so an object key alone opens nothing. The bucket policy refuses TLS-less requests and object writes without SSE-C.`,
  );
}

/**
 * On the function that issues the TSA certificate chain at deploy time
 * (functions/tsa-certificate.ts): no DLQ (it is invoked synchronously), and
 * the X-Ray wildcard of active tracing.
 */
export function acknowledgeCertificateIssuer(fn: IConstruct, role: IConstruct): void {
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    'Invoked only synchronously, by the CDK custom resource Provider framework during a deployment; a dead-letter queue applies only to asynchronous invocations. A failure is reported to CloudFormation, which fails and rolls back the deployment, so nothing is lost or left half done (the chain parameter keeps its previous value).',
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by Lambda active tracing) use Resource "*": these X-Ray actions support no resource-level permissions. The KMS statements name the TSA key (GetPublicKey) and the CA key (GetPublicKey, Sign), and both key policies deny those actions to every other principal.',
  );
}

/**
 * On the CDK Provider framework's relay function, which passes the TSA
 * chain's custom resource events from CloudFormation to the issuer.
 */
export function acknowledgeProviderFramework(relay: IConstruct, role: IConstruct, issuer: IConstruct): void {
  const logicalId = Stack.of(issuer).getLogicalId(issuer.node.defaultChild as CfnElement);
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
    'Added by the CDK Provider framework (grantInvoke): lambda:InvokeFunction on the issuer function and its versions and aliases (<arn>:*), the one function the relay exists to invoke. The role has no other wildcard and no AWS managed policy; its logs go to its own log group only.',
  );
  acknowledge(
    relay,
    'Serverless-LambdaDLQ',
    'The Provider framework relay is invoked synchronously by CloudFormation for the custom resource and answers it through the presigned response URL; a dead-letter queue applies only to asynchronous invocations. A failure fails (and rolls back) the deployment.',
  );
  acknowledge(
    relay,
    'Serverless-LambdaTracing',
    "The relay is CDK's own provider framework code, run once per deployment that changes the TSA chain; it only forwards the event to the issuer function, which is traced (X-Ray active), and logs to its own log group. Tracing the relay would add an X-Ray wildcard to its role for no insight.",
  );
}

/** Serverless-SQSRedrivePolicy on the anchor function's failure queue, which is itself the last stop. */
export function acknowledgeAnchorFailureQueue(queue: IConstruct): void {
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    "This queue is the dead-letter destination of the anchor function (its scheduled, asynchronous invocations, after two retries); nothing consumes it automatically, so a redrive policy would have no consumer to count receives for. Its messages only record that a run failed: the next scheduled run anchors the log's then latest checkpoint, and the queue's depth is alarmed.",
  );
}

/** Serverless-SQSRedrivePolicy on the settings-audit function's failure queue, which is itself the last stop. */
export function acknowledgeSettingsAuditFailureQueue(queue: IConstruct): void {
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    "This queue is the dead-letter destination of the settings-audit function (its asynchronous invocations by EventBridge, after their retries); nothing consumes it automatically, so a redrive policy would have no consumer to count receives for. Its messages name the parameter change whose run failed, its depth is alarmed, and the next change's run records every version of the last 12 hours that is not recorded yet.",
  );
}

/** AwsSolutions-IAM5 on the role of a function run by EventBridge (anchor, settings-audit): the X-Ray wildcard only. */
export function acknowledgeScheduledFunction(role: IConstruct): void {
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by Lambda active tracing) use Resource "*": these X-Ray actions support no resource-level permissions. Every other statement of this role names its table, parameter, queue or log group.',
  );
}

/** Serverless-SNSRedrivePolicy on an email subscription of the alarm topic. */
export function acknowledgeAlarmEmailRedrive(subscription: IConstruct): void {
  acknowledge(
    subscription,
    'Serverless-SNSRedrivePolicy',
    "An email subscription of the alarm topic. SNS retries email delivery itself; what it still cannot deliver is a notification only, not data: the alarm's state and history stay in CloudWatch (console, DescribeAlarmHistory) whatever happens to the email. A dead-letter queue would be one more queue nobody reads, and an alarm on it would notify the same undeliverable addresses.",
  );
}

/**
 * On the audit export's failure queue, which is itself the last stop: no
 * redrive policy, and no DLQ of its own although it is one (see
 * acknowledgeVerifierFailureQueue for why cdk-nag does not see that).
 */
export function acknowledgeAuditExportFailureQueue(queue: IConstruct): void {
  acknowledge(
    queue,
    'AwsSolutions-SQS3',
    "This queue is itself a dead-letter queue: the on-failure destination (DestinationConfig.OnFailure) of the audit export's DynamoDB stream event source mapping, which cdk-nag does not recognize as such. A dead-letter queue behind it would have nothing to catch, since nothing consumes this queue automatically; its depth is alarmed.",
  );
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    "This queue is the on-failure destination of the audit export's stream event source mapping; nothing consumes it automatically, so a redrive policy would have no consumer to count receives for. Its messages only name the stream records that failed (shard and sequence numbers): the events stay in the Audit table, and exporting them again writes the same objects (their keys are functions of the event). Any message alarms.",
  );
}

/** Serverless-LambdaDLQ on the audit export, which is never invoked asynchronously. */
export function acknowledgeAuditExportInvocation(fn: IConstruct): void {
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    "Invoked only by its DynamoDB stream event source mapping, whose poller calls the function synchronously; a function dead-letter queue applies only to asynchronous invocations and would never receive anything. A failing batch is bisected and retried, and what still fails goes to the mapping's on-failure destination, the audit export's SQS failure queue, whose depth is alarmed.",
  );
}

/**
 * AwsSolutions-IAM5 on the audit export's role: s3:PutObject under the
 * export's prefixes of the one export bucket.
 */
export function acknowledgeAuditExportObjects(
  role: IConstruct,
  bucket: IBucket,
  prefixes: readonly string[],
): void {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
  for (const prefix of prefixes)
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`,
      `Export object keys are made from each event (events/date=<day>/<log index>.json) and each checkpoint (checkpoints/<tree size>.txt), so no fixed list of object ARNs exists; the wildcard is limited to the ${prefix} prefix of the one audit export bucket and to s3:PutObject alone (no read, list, delete, version or ACL action). The bucket locks every object version in S3 Object Lock COMPLIANCE mode and its policy denies deletes, so a write can add a version but never remove or alter an exported one.`,
    );
}

/**
 * On the webhook dispatch function's failure queue, the last stop of its two
 * stream mappings: no redrive policy and no DLQ of its own (as for the audit
 * export's failure queue).
 */
export function acknowledgeWebhookDispatchFailureQueue(queue: IConstruct): void {
  acknowledge(
    queue,
    'AwsSolutions-SQS3',
    "This queue is itself a dead-letter queue: the on-failure destination (DestinationConfig.OnFailure) of the webhook dispatch function's two DynamoDB stream event source mappings, which cdk-nag does not recognize as such. Nothing consumes it automatically, so a dead-letter queue behind it would have nothing to catch; its depth is alarmed.",
  );
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    "This queue is the on-failure destination of the webhook dispatch function's stream mappings; nothing consumes it automatically, so a redrive policy would have no consumer to count receives for. Its messages name the stream records whose events could not be enqueued (shard and sequence numbers), and any message alarms.",
  );
}

/** On the webhook delivery dead-letter queue, the end of the delivery queue's redrive policy. */
export function acknowledgeWebhookDeadLetterQueue(queue: IConstruct): void {
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    'This queue is the dead-letter queue of the webhook delivery queue (its redrive policy after the last attempt); nothing consumes it automatically, so a redrive policy of its own would have no consumer to count receives for. Operators inspect its jobs and redrive them with SQS redrive once the receiver is fixed; its depth is alarmed.',
  );
}

/** Serverless-LambdaDLQ on the webhook dispatch function, invoked only by its stream mappings. */
export function acknowledgeWebhookDispatchInvocation(fn: IConstruct): void {
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    "Invoked only by its DynamoDB stream event source mappings, whose poller calls the function synchronously; a function dead-letter queue applies only to asynchronous invocations and would never receive anything. A failing batch is bisected and retried, and what still fails goes to the mappings' on-failure destination, the dispatch failure queue, whose depth is alarmed.",
  );
}

/**
 * On the webhook delivery function: invoked by its SQS event source mapping
 * only (the queue's redrive policy is its dead-letter queue), and X-Ray.
 */
export function acknowledgeWebhookDelivery(fn: IConstruct, role: IConstruct, mapping: IConstruct): void {
  acknowledge(
    mapping,
    'Serverless-LambdaEventSourceMappingDestination',
    "An SQS event source mapping cannot have an on-failure destination (Lambda supports them for stream and Kafka sources only). Failed jobs are the queue's own: they return after their backoff, and after the last attempt the queue's redrive policy moves them to the webhook dead-letter queue, whose depth is alarmed.",
  );
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    "Invoked only by its SQS event source mapping, which calls the function synchronously; a function dead-letter queue applies only to asynchronous invocations. Failed jobs stay in the delivery queue for their backoff and, after the last attempt, the queue's redrive policy moves them to the webhook dead-letter queue, whose depth is alarmed.",
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by Lambda active tracing) use Resource "*": these X-Ray actions support no resource-level permissions. The Webhooks table, the data key (Decrypt only, for the webhook-secret purpose) and the one delivery queue are named.',
  );
}

/**
 * AwsSolutions-IAM4 on the role AWS Backup assumes for the table backups:
 * AWSBackupServiceRolePolicyForBackup is the policy AWS maintains for exactly
 * this (it follows the API changes backups need, and only the backup service
 * can assume the role); the plan's selection limits it to the stack's tables.
 */
export function acknowledgeBackupServiceRole(selection: IConstruct): void {
  acknowledge(
    selection,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    'The role is assumed only by backup.amazonaws.com for this plan; AWSBackupServiceRolePolicyForBackup is the AWS-maintained policy for exactly that service role, kept current with what DynamoDB backups need, and the selection limits what is backed up to the stack’s tables.',
  );
}

/**
 * On CDK's BucketDeployment function that copies the built console into its
 * bucket at deploy time (lib/console.ts): the S3 wildcards of its grants, and
 * its invocation, runtime and tracing.
 */
export function acknowledgeConsoleDeployment(fn: IConstruct, role: IConstruct, bucket: IBucket): void {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
  const assets = `arn:<AWS::Partition>:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>/*`;
  const grants =
    "Added by CDK's BucketDeployment grants: read on the CDK bootstrap asset bucket (where the zipped console build is uploaded) and read-write on the one console bucket, whose object keys are the build's file names, so no fixed list of object ARNs exists. The role belongs to the deploy-time copy function only, which CloudFormation invokes; the console bucket holds public static files only and is readable solely through the CloudFront distribution (OAC).";
  for (const finding of [
    'Action::s3:GetObject*',
    'Action::s3:GetBucket*',
    'Action::s3:List*',
    'Action::s3:DeleteObject*',
    'Action::s3:Abort*',
    `Resource::${assets}`,
    `Resource::<${logicalId}.Arn>/*`,
  ])
    acknowledge(role, `AwsSolutions-IAM5[${finding}]`, grants);
  const cdkRuntime =
    "The runtime of CDK's own BucketDeployment function (Python with the AWS CLI layer), which aws-cdk-lib chooses and moves forward with its releases; it runs only during deployments, copying the built console into its bucket, and is never reachable from a request.";
  acknowledge(fn, 'AwsSolutions-L1', cdkRuntime);
  acknowledge(fn, 'Serverless-LambdaLatestVersion', cdkRuntime);
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    'Invoked only synchronously, by CloudFormation through the BucketDeployment custom resource during a deployment; a dead-letter queue applies only to asynchronous invocations. A failure fails and rolls back the deployment.',
  );
  acknowledge(
    fn,
    'Serverless-LambdaTracing',
    "CDK's deploy-time copy function: it runs once per deployment that changes the console and logs to its own log group; tracing it would add an X-Ray wildcard to its role for no insight.",
  );
}

/**
 * AwsSolutions-SMG4 on the console's origin secret: it only tells the API's
 * WAF that a request came through the distribution, and rotating it means
 * changing CloudFront and the WAF together (docs/console-hosting.md).
 */
export function acknowledgeOriginSecret(secret: IConstruct): void {
  acknowledge(
    secret,
    'AwsSolutions-SMG4',
    "The origin secret is not a credential to any data: it only proves to the API's regional WAF that a request came through the console's CloudFront distribution, so that its viewer address header is trusted for rate limits. It is generated by Secrets Manager, reaches CloudFront and the WAF by dynamic reference at deploy time, and is redacted from WAF logs. Rotation has to change the distribution's origin header and the web ACL in the same deployment, which a Secrets Manager rotation function cannot do; docs/console-hosting.md gives the procedure.",
  );
}

/**
 * On the console's distribution: no geo restriction, and, unless the
 * operator gives one, no CloudFront web ACL and the default certificate.
 */
export function acknowledgeConsoleDistribution(
  distribution: IConstruct,
  options: { readonly customDomain: boolean; readonly webAcl: boolean },
): void {
  acknowledge(
    distribution,
    'AwsSolutions-CFR1',
    'Stempel is a notarization service for anyone its operator admits, wherever they are; no law or contract restricts its users by country, and blocking countries would lock out travelling users. An operator who must can add a geo match rule to the CloudFront web ACL of -c consoleWebAclArn.',
  );
  if (!options.webAcl)
    acknowledge(
      distribution,
      'AwsSolutions-CFR2',
      "Every API request through the distribution still passes the API's regional WAF (managed rule groups, per-viewer rate limits), which this stack associates with both API stages; what the distribution serves itself is the console's public static files from S3, cached. A CloudFront-scope web ACL must live in us-east-1, outside this regional stack, so it is optional: -c consoleWebAclArn attaches one.",
    );
  if (!options.customDomain)
    acknowledge(
      distribution,
      'AwsSolutions-CFR4',
      "Without a custom domain the distribution serves *.cloudfront.net with CloudFront's default certificate, whose security policy cannot be chosen. With -c consoleDomainName and -c consoleCertificateArn the distribution uses that certificate over SNI with TLSv1.2_2021 as minimum.",
    );
}

/**
 * The live channel's functions (docs/live.md): `live` behind the WebSocket
 * API (synchronous), `live-push` invoked asynchronously by the integrator.
 * Their roles name every table, key and parameter; the wildcards are X-Ray's
 * and the connection id in `@connections/*` of this one API and stage.
 */
export function acknowledgeLiveFunctions(
  routes: { readonly fn: IConstruct; readonly role: IConstruct },
  push: { readonly fn: IConstruct; readonly role: IConstruct },
  connections: { readonly api: IConstruct; readonly stage: string },
): void {
  const apiId = Stack.of(connections.api).getLogicalId(connections.api.node.defaultChild as CfnElement);
  acknowledge(
    routes.fn,
    'Serverless-LambdaDLQ',
    'Invoked only synchronously by the API Gateway WebSocket API (Lambda proxy integration of its routes); a dead-letter queue applies only to asynchronous invocations. A failed frame is answered by API Gateway with an error message to that client, and the client subscribes again.',
  );
  acknowledge(
    push.fn,
    'Serverless-LambdaDLQ',
    "Each invocation pushes one sealed range to the connected browsers; one older than its one-minute maximum event age is worthless, so nothing would ever redrive a dead-letter queue. Nothing is lost that matters: the log holds every entry, and a browser's next subscribe catches up from its last tree size (`since`). Failures show in the function's Errors metric and LivePushFailed.",
  );
  acknowledge(
    push.fn.node.findChild('EventInvokeConfig'),
    'Serverless-LambdaAsyncFailureDestination',
    'A failed push has nothing to replay: after its one retry and one-minute maximum event age the range it carried is stale, and browsers recover it from the log with the catch-up of their next subscribe (`since`). Failures show in the Errors metric of the function and in LivePushFailed.',
  );
  for (const { role } of [routes, push]) {
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by Lambda active tracing) use Resource "*": these X-Ray actions support no resource-level permissions. Every other statement of this role names its table, key, parameter or API.',
    );
    for (const method of ['POST', 'DELETE'])
      acknowledge(
        role,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/${connections.stage}/${method}/@connections/*]`,
        `execute-api:ManageConnections is authorized per connection id, which API Gateway mints for each WebSocket connection at run time, so no fixed list of ARNs exists. The wildcard is limited to ${method} (${method === 'POST' ? 'posting a frame' : 'closing a connection'}) on @connections of the live channel's one API and stage; GET (reading a connection's details) is not allowed.`,
      );
  }
}

/** AwsSolutions-APIG4 on one route of the live WebSocket API: authentication is in the first frame. */
export function acknowledgeLiveRoute(route: IConstruct, routeKey: string): void {
  acknowledge(
    route,
    'AwsSolutions-APIG4',
    `${routeKey} has no API Gateway authorizer because the live channel authenticates in its first frame: browsers cannot set an Authorization header on a WebSocket, and a token in the query string would be written to access logs, proxies and browser history. The subscribe frame carries the access token, which the live function checks exactly as the REST TOKEN authorizer does (signature, issuer, audience, expiry, the session not revoked); until then the connection receives nothing but error frames, and it receives only what the public log already publishes (checkpoints and opaque entries).`,
  );
}
