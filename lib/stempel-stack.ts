import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { ComparisonOperator } from 'aws-cdk-lib/aws-cloudwatch';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FUNCTION_GROUPS, type FunctionGroup } from '../shared/http/routes';
import { ENV } from '../shared/runtime/environment';
import { auditTable, documentsBucket, filesTable, notarizationsTable } from '../shared/tables';
import { AT_LEAST, functionMetric, StempelAlarms } from './alarms';
import { Anchor } from './anchor';
import { StempelApi } from './api';
import { AuditAnalytics } from './audit-analytics';
import { AuditExport } from './audit-export';
import { StempelBackup } from './backup';
import { StempelConsole } from './console';
import { AUDIT_EXPORT_BUCKET, type KeyUse, StempelData } from './data';
import {
  type FunctionName,
  type LiveFunctionName,
  type QueueFunctionName,
  type ScheduledFunctionName,
  StempelFunction,
  type StreamFunctionName,
} from './functions';
import { Integrator } from './integrator';
import { Live } from './live';
import { acknowledgeApiFunction, acknowledgeDocumentObjects } from './nag';
import { addOperationalAlarms } from './operational-alarms';
import {
  AUDIT_KEY_ENV,
  CURSOR_KEY_ENV,
  DATA_KEY_ENV,
  DOCUMENT_PREFIX,
  functionPolicies,
  invokeLivePush,
  KEY_USERS,
  LOG_KEY_ENV,
  livePolicies,
  TOKEN_KEY_ENV,
  TSA_ISSUER_KEY_USES,
  TSA_KEY_ALGORITHM,
  TSA_KEY_ENV,
  webhookPolicies,
} from './permissions';
import { SettingsAudit } from './settings-audit';
import type { StageConfig } from './stage-config';
import { TsaCertificates } from './tsa';
import { Verifier } from './verifier';
import { StempelWaf, WEB_ACL_METRIC_NAME } from './waf';
import { Webhooks } from './webhooks';

export interface StempelStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Feature flags this stack relies on, set on the stack so they hold whatever
 * cdk.json says: server access logs delivered by bucket policy (the log
 * bucket has ACLs disabled), and API Gateway deployments and validators that
 * follow authorizer and validator changes.
 */
const FEATURE_FLAGS = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId': true,
  '@aws-cdk/aws-apigateway:requestValidatorUniqueId': true,
  '@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard': true,
} as const;

/**
 * Stempel in one environment-agnostic stack: data (KMS, DynamoDB, S3, SSM),
 * one function per route group plus the authorizer, the REST API (and the
 * binary API for tlog-tiles and RFC 3161) and their WAF, the integrator that
 * seals pending notarizations into the log, the verifier that hashes uploads
 * handed over for notarizing, the TSA's certificate chain (from the stack's
 * own CA, or imported), the anchor function that time-stamps checkpoints with
 * external TSAs, the audit trail's export (a write-once bucket fed from the
 * Audit table's stream, queried with Athena), and the alarms.
 *
 * @example
 * new StempelStack(app, 'Stempel-dev', { config: stageConfig('dev') });
 */
export class StempelStack extends Stack {
  /** The live log channel's WebSocket URL (wss://…/<stage>; docs/live.md), for the console. */
  readonly liveUrl: string;

  constructor(scope: Construct, id: string, props: StempelStackProps) {
    super(scope, id, { terminationProtection: props.config.terminationProtection, ...props });
    for (const [flag, value] of Object.entries(FEATURE_FLAGS)) this.node.setContext(flag, value);
    const { config } = props;

    const data = new StempelData(this, 'Data', {
      stage: config.stage,
      settings: config.settings,
      accessLogExpiration: config.accessLogExpiration,
      corsOrigins: config.corsOrigins,
      tsaCertificateAuthority: config.tsaCertificateChainPem === undefined,
      auditRetentionDays: config.auditRetentionDays,
    });

    // The TSA's certificate chain: issued at deploy time by the stack's CA key, or the operator's own.
    const tsaCertificates = new TsaCertificates(this, 'TsaCertificates', {
      stage: config.stage,
      tsaKey: data.tsaKey,
      ...(data.tsaCaKey ? { caKey: data.tsaCaKey } : {}),
      ...(config.tsaCertificateChainPem ? { importedChainPem: config.tsaCertificateChainPem } : {}),
      logRetention: config.logRetention,
      logRemovalPolicy: config.logRemovalPolicy,
    });

    const sharedEnvironment: Record<string, string> = {
      ...Object.fromEntries(data.allTables.map(({ def, table }) => [def.envVar, table.tableName])),
      ...Object.fromEntries(data.allBuckets.map(({ def, bucket }) => [def.envVar, bucket.bucketName])),
      [ENV.settingsParameter]: data.settingsParameter.parameterName,
      [ENV.corsOrigins]: config.corsOrigins.join(','),
      // The WAF on every API stage guards the console's viewer address header (lib/waf.ts).
      [ENV.viewerAddressTrusted]: 'true',
    };
    const policies = functionPolicies(data, tsaCertificates.chainParameter);
    const environment = (name: FunctionName) => ({
      ...sharedEnvironment,
      ...(TOKEN_KEY_ENV.includes(name) ? { [ENV.tokenKeyId]: data.tokenKey.keyId } : {}),
      ...(LOG_KEY_ENV.includes(name) ? { [ENV.logKeyId]: data.logKey.keyId } : {}),
      ...(AUDIT_KEY_ENV.includes(name) ? { [ENV.auditKeyId]: data.auditKey.keyId } : {}),
      ...(DATA_KEY_ENV.includes(name) ? { [ENV.dataKeyId]: data.dataKey.keyId } : {}),
      ...(CURSOR_KEY_ENV.includes(name) ? { [ENV.cursorKeyId]: data.cursorKey.keyId } : {}),
      ...(TSA_KEY_ENV.includes(name)
        ? {
            [ENV.tsaKeyId]: data.tsaKey.keyId,
            [ENV.tsaKeyAlgorithm]: TSA_KEY_ALGORITHM,
            [ENV.tsaChainParameter]: tsaCertificates.chainParameter.parameterName,
          }
        : {}),
    });
    const logging = { logRetention: config.logRetention, logRemovalPolicy: config.logRemovalPolicy };
    const roles = new Map<FunctionName, IRole>();

    // Behind API Gateway: the authorizer and one function per route group, invoked synchronously.
    const apiFunction = (
      name: Exclude<
        FunctionName,
        StreamFunctionName | ScheduledFunctionName | QueueFunctionName | LiveFunctionName
      >,
    ) => {
      const { fn, role } = new StempelFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, {
        name,
        environment: environment(name),
        statements: policies[name],
        ...logging,
      });
      acknowledgeApiFunction(fn, role);
      // Uploads and downloads: object access under the documents prefix (see lib/permissions.ts).
      if (name === 'notarizations')
        acknowledgeDocumentObjects(role, data.bucket(documentsBucket), DOCUMENT_PREFIX);
      roles.set(name, role);
      return fn;
    };
    const authorizer = apiFunction('authorizer');
    const functions = Object.fromEntries(FUNCTION_GROUPS.map((g) => [g, apiFunction(g)])) as Record<
      FunctionGroup,
      ReturnType<typeof apiFunction>
    >;

    // The live log channel (docs/live.md): WebSocket routes, and the push the integrator invokes after each seal.
    const live = new Live(this, 'Live', {
      config,
      environment,
      statements: (connections) => livePolicies(data, connections),
    });
    this.liveUrl = live.url;

    const integrator = new Integrator(this, 'Integrator', {
      notarizations: data.table(notarizationsTable),
      audit: data.table(auditTable),
      environment: { ...environment('integrator'), [ENV.livePushFunction]: live.push.fn.functionName },
      statements: [...policies.integrator, invokeLivePush(live.push.fn.functionArn)],
      ...logging,
      every: Duration.minutes(5),
    });
    roles.set('integrator', integrator.function.role);

    // Hashes the uploads that POST /v1/notarizations hands over (the Files table's stream).
    const verifier = new Verifier(this, 'Verifier', {
      files: data.table(filesTable),
      documents: data.bucket(documentsBucket),
      environment: environment('verifier'),
      statements: policies.verifier,
      ...logging,
    });
    roles.set('verifier', verifier.function.role);

    // Time-stamps the log's checkpoints with the external TSAs of the settings.
    const anchor = new Anchor(this, 'Anchor', {
      environment: environment('anchor'),
      statements: policies.anchor,
      ...logging,
      every: Duration.minutes(5),
    });
    roles.set('anchor', anchor.function.role);

    // Records every change of the settings parameter in the audit trail.
    const settingsAudit = new SettingsAudit(this, 'SettingsAudit', {
      settings: data.settingsParameter,
      environment: environment('settings-audit'),
      statements: policies['settings-audit'],
      ...logging,
    });
    roles.set('settings-audit', settingsAudit.function.role);

    // Copies sealed audit events (the Audit table's stream) to the write-once export bucket.
    const auditExportBucket = data.bucket(AUDIT_EXPORT_BUCKET);
    const auditExport = new AuditExport(this, 'AuditExport', {
      audit: data.table(auditTable),
      bucket: auditExportBucket,
      environment: environment('audit-export'),
      statements: policies['audit-export'],
      ...logging,
    });
    roles.set('audit-export', auditExport.function.role);
    // Webhooks: events from the Notarizations and Audit streams, delivered through SQS (docs/webhooks.md).
    const webhookStatements = webhookPolicies(data);
    const webhookDelivery = new Webhooks(this, 'Webhooks', {
      notarizations: data.table(notarizationsTable),
      audit: data.table(auditTable),
      dispatchEnvironment: environment('webhook-dispatch'),
      deliveryEnvironment: environment('webhook-delivery'),
      dispatchStatements: webhookStatements.dispatch,
      deliveryStatements: webhookStatements.delivery,
      ...logging,
    });
    roles.set('webhook-dispatch', webhookDelivery.dispatch.role);
    roles.set('webhook-delivery', webhookDelivery.delivery.role);
    // The export in Athena: a Glue table with partition projection, a workgroup and the saved queries.
    const auditAnalytics = new AuditAnalytics(this, 'AuditAnalytics', {
      stage: config.stage,
      exportBucket: auditExportBucket,
      dataKey: data.dataKey,
      accessLogs: data.accessLogs,
    });

    // Each signing key and the cursor key: usable by the roles of KEY_USERS and denied to everyone else.
    const role = (name: FunctionName) => {
      const found = roles.get(name);
      if (!found) throw new Error(`no function ${name}`);
      return found;
    };
    // The TSA keys also name the role that issues the chain, when the stack is its own CA.
    const uses = new Map<keyof typeof KEY_USERS | keyof typeof TSA_ISSUER_KEY_USES, KeyUse[]>();
    const addUse = (key: keyof typeof KEY_USERS | keyof typeof TSA_ISSUER_KEY_USES, use: KeyUse) =>
      uses.set(key, [...(uses.get(key) ?? []), use]);
    for (const [key, use] of Object.entries(KEY_USERS) as [
      keyof typeof KEY_USERS,
      (typeof KEY_USERS)[keyof typeof KEY_USERS],
    ][])
      addUse(key, { actions: use.actions, roles: use.functions.map(role) });
    const { issuerRole } = tsaCertificates;
    if (issuerRole)
      for (const [key, actions] of Object.entries(TSA_ISSUER_KEY_USES) as [
        keyof typeof TSA_ISSUER_KEY_USES,
        readonly string[],
      ][])
        addUse(key, { actions, roles: [issuerRole] });
    for (const [key, keyUses] of uses) {
      const found = data[key];
      if (!found) throw new Error(`no key ${key}`);
      data.restrictKeyUse(found, keyUses);
    }

    const api = new StempelApi(this, 'Api', { config, functions, authorizer, surface: 'main' });
    // WebSocket access logs go through the same account-wide CloudWatch Logs role.
    live.stage.node.addDependency(api.account);
    // The log's tlog-tiles and RFC 3161 over HTTP: an API of its own, because binary bodies need `*/*`
    // binary media types. Its construct id (and name) are still the tiles API's, so its URL stays.
    const binary = new StempelApi(this, 'TilesApi', {
      config,
      functions,
      authorizer,
      surface: 'binary',
      account: api.account,
    });
    // The web console on CloudFront, with both APIs on its origin under /v1/ (docs/console-hosting.md).
    const webConsole = new StempelConsole(this, 'Console', {
      stage: config.stage,
      config: config.console,
      api: api.api,
      binaryApi: binary.api,
      accessLogs: data.accessLogs,
      logExpiration: config.accessLogExpiration,
      removalPolicy: config.consoleRemovalPolicy,
      documents: data.bucket(documentsBucket),
      liveUrl: live.url,
      ...logging,
    });
    const waf = new StempelWaf(this, 'Waf', {
      stages: [api.api.deploymentStage, binary.api.deploymentStage],
      stageName: config.stage,
      limits: config.waf,
      logRetention: config.logRetention,
      logRemovalPolicy: config.logRemovalPolicy,
      viaCloudFront: { secret: webConsole.originSecret },
    });

    const alarms = new StempelAlarms(this, 'Alarms', { stage: config.stage, emails: config.alarmEmails });
    // An external TSA down (or unreachable): a failure in two of three runs, not one lost request.
    alarms.add('AnchorFailures', {
      alarmDescription:
        'External RFC 3161 TSAs failed to time-stamp the log checkpoint in 2 of the last 3 five-minute periods: a TSA is down or unreachable, and receipts are not getting external time anchors. See the anchor function logs for which one.',
      metric: functionMetric('anchor', 'AnchorFailures'),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    // A pending row whose recorded time is too old or in the future: written behind the API's back.
    alarms.add('EntriesQuarantined', {
      alarmDescription:
        'The integrator quarantined a pending notarization whose recorded time is outside the seal window (aged or in the future): a row may have been written or changed behind the API. Investigate the quarantined items in the Notarizations table.',
      metric: functionMetric('integrator', 'EntriesQuarantined'),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
    });
    // An audit event whose recorded time is outside the seal window: written behind the API's back.
    alarms.add('AuditEventsQuarantined', {
      alarmDescription:
        'The integrator quarantined an audit event whose recorded time is outside the seal window (aged or in the future): an event may have been written or changed behind the API. Investigate the quarantined items in the Audit table.',
      metric: functionMetric('integrator', 'AuditQuarantined'),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
    });
    // Failure queues: anything in one is work that failed after its retries.
    const failureQueueAlarms: [string, IQueue, string][] = [
      [
        'AuditExportFailed',
        auditExport.failures,
        "Audit export batches failed after their retries (messages in the audit export failure queue): sealed audit events are missing from the write-once export bucket. See the audit-export function logs; the queue's messages name the failed stream records, and the events themselves are still in the Audit table.",
      ],
      [
        'AnchorRunsFailed',
        anchor.failures,
        "Anchor function runs failed after their retries (messages in the anchor failure queue): the log's checkpoints are not being anchored. See the anchor function logs; the queue's messages name the failed events.",
      ],
      [
        'WebhookDeadLetters',
        webhookDelivery.deadLetters,
        "Webhook deliveries used up their attempts (messages in the webhook dead-letter queue): a receiver has been failing for hours. GET /v1/admin/webhooks shows each endpoint's last error code; redrive the queue once the receiver is fixed.",
      ],
      [
        'WebhookDispatchFailed',
        webhookDelivery.dispatchFailures,
        'Webhook dispatch batches failed after their retries (messages in the dispatch failure queue): events were not enqueued for delivery. See the webhook-dispatch function logs; the messages name the stream records.',
      ],
      [
        'SettingsAuditRunsFailed',
        settingsAudit.failures,
        'Runs of the settings-audit function failed after their retries (messages in its failure queue): a change of the settings parameter may be missing from the audit trail. See the function logs; the next change records every version of the last 12 hours.',
      ],
    ];
    for (const [id, queue, alarmDescription] of failureQueueAlarms) {
      alarms.add(
        id,
        {
          alarmDescription,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
        },
        'Failure queues',
      );
    }
    addOperationalAlarms(alarms, {
      thresholds: config.alarmThresholds,
      apis: { Api: api.api, BinaryApi: binary.api },
      apiFunctions: { authorizer, ...functions },
      backgroundFunctions: {
        integrator: integrator.function.fn,
        verifier: verifier.function.fn,
        anchor: anchor.function.fn,
        'audit-export': auditExport.function.fn,
        'settings-audit': settingsAudit.function.fn,
        'webhook-dispatch': webhookDelivery.dispatch.fn,
        'webhook-delivery': webhookDelivery.delivery.fn,
        live: live.routes.fn,
        'live-push': live.push.fn,
      },
      failureQueues: { IntegratorFailures: integrator.failures, VerifierFailures: verifier.failures },
      webAclMetricName: WEB_ACL_METRIC_NAME,
    });
    const dashboard = alarms.dashboard();

    // Daily (and in prod monthly) recovery points of every table, in a vault of their own.
    const backup = new StempelBackup(this, 'Backup', {
      stage: config.stage,
      tables: data.allTables.map(({ table }) => table),
      tableKey: data.dataKey,
      config: config.backup,
    });

    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
    new CfnOutput(this, 'BackupVaultName', { value: backup.vault.backupVaultName });
    new CfnOutput(this, 'ApiUrl', { value: api.api.url, description: 'Base URL of the REST API stage' });
    new CfnOutput(this, 'ConsoleUrl', {
      value: webConsole.url,
      description: 'The web console, with the API on the same origin under /v1/',
    });
    new CfnOutput(this, 'ConsoleBucketName', {
      value: webConsole.bucket.bucketName,
      description: 'Private bucket of the built console (served only through CloudFront)',
    });
    new CfnOutput(this, 'LiveUrl', {
      value: live.url,
      description: 'WebSocket URL of the live log channel (wss://…/<stage>; docs/live.md)',
    });
    new CfnOutput(this, 'LogTilesPrefix', {
      value: `${binary.api.url}v1/log/`,
      description: 'C2SP tlog-tiles prefix of the log: <prefix>checkpoint, <prefix>tile/…',
    });
    new CfnOutput(this, 'BinaryApiUrl', {
      value: binary.api.url,
      description:
        'Base URL of the binary API: RFC 3161 at <url>v1/tsa, tokens at <url>v1/notarizations/{id}/timestamp, and the tlog-tiles',
    });
    new CfnOutput(this, 'DataKeyId', {
      value: data.dataKey.keyId,
      description: 'KMS key for tables and documents',
    });
    new CfnOutput(this, 'TokenSigningKeyId', {
      value: data.tokenKey.keyId,
      description: 'KMS Ed25519 key that signs access tokens',
    });
    new CfnOutput(this, 'LogSigningKeyId', {
      value: data.logKey.keyId,
      description: 'KMS Ed25519 key that signs log checkpoints (its public key is the verifier key)',
    });
    new CfnOutput(this, 'AuditLogSigningKeyId', {
      value: data.auditKey.keyId,
      description:
        'KMS Ed25519 key that signs audit log checkpoints (its public key is the audit verifier key)',
    });
    new CfnOutput(this, 'AuditGlueDatabaseName', {
      value: auditAnalytics.databaseName,
      description: 'Glue database of the audit export (table events, partitioned by date with projection)',
    });
    new CfnOutput(this, 'AuditAthenaWorkGroupName', {
      value: auditAnalytics.workGroupName,
      description: 'Athena workgroup for the audit export, with its saved queries',
    });
    new CfnOutput(this, 'AuditQueryResultsBucketName', { value: auditAnalytics.results.bucketName });
    new CfnOutput(this, 'CursorKeyId', {
      value: data.cursorKey.keyId,
      description: 'KMS HMAC key that signs pagination cursors',
    });
    new CfnOutput(this, 'TsaSigningKeyId', {
      value: data.tsaKey.keyId,
      description: 'KMS ECDSA P-256 key that signs RFC 3161 time-stamp tokens',
    });
    if (data.tsaCaKey)
      new CfnOutput(this, 'TsaCaKeyId', {
        value: data.tsaCaKey.keyId,
        description: "KMS ECDSA P-384 key of the stack's TSA CA, which certified the TSA key",
      });
    new CfnOutput(this, 'TsaCertificatesParameterName', {
      value: tsaCertificates.chainParameter.parameterName,
      description: 'SSM parameter with the TSA certificate chain (PEM, TSA certificate first)',
    });
    new CfnOutput(this, 'SettingsParameterName', { value: data.settingsParameter.parameterName });
    new CfnOutput(this, 'WebAclArn', { value: waf.webAcl.attrArn });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: alarms.topic.topicArn,
      description: 'SNS topic of the alarms (subscribe more endpoints here)',
    });
    for (const { def, table } of data.allTables)
      new CfnOutput(this, `${def.id}TableName`, { value: table.tableName });
    // Documents and the audit export (AuditExportBucketName).
    for (const { def, bucket } of data.allBuckets)
      new CfnOutput(this, `${def.id}BucketName`, { value: bucket.bucketName });
  }
}
