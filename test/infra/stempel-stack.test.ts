import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FIELDS } from '../../lib/api';
import { AUDIT_EVENT_COLUMNS } from '../../lib/audit-analytics';
import { SIZING } from '../../lib/functions';
import { AUDIT_QUERIES } from '../../shared/audit-queries';
import { settingsSchema } from '../../shared/core/settings';
import { gatewayProblemBody, gatewayProblems } from '../../shared/http/gateway-responses';
import { FUNCTION_GROUPS, routeList } from '../../shared/http/routes';
import { ENV } from '../../shared/runtime/environment';
import { buckets, tables } from '../../shared/tables';
import {
  BACKGROUND_FUNCTIONS,
  functionId,
  LIVE_FUNCTIONS,
  only,
  type Resource,
  resourcesOf,
  roleId,
  type Synthesized,
  synthStempel,
} from './synth';

/** All statements of the role of one function, with the role's policies resolved from the template. */
function statementsOf(template: Template, name: string) {
  const id = roleId(template, name);
  const role = resourcesOf(template, 'AWS::IAM::Role')[id] as Resource;
  expect(role.Properties.ManagedPolicyArns, `${name} has AWS managed policies`).toBeUndefined();
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === id))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}

interface WafRule {
  readonly Name: string;
  readonly Statement: {
    readonly ManagedRuleGroupStatement?: { readonly Name: string };
    readonly RateBasedStatement?: { readonly ScopeDownStatement?: unknown };
  };
}

const ALL_FUNCTIONS = [...FUNCTION_GROUPS, 'authorizer', ...BACKGROUND_FUNCTIONS, ...LIVE_FUNCTIONS] as const;

/** The functions that may use the data key directly (not through DynamoDB), each for one purpose only. */
const DIRECT_DATA_KEY_PURPOSE: Partial<Record<string, string>> = {
  auth: 'totp',
  notarizations: 'owner-file-key',
  verifier: 'owner-file-key',
  webhooks: 'webhook-secret',
  'webhook-delivery': 'webhook-secret',
};

/** The functions run by a table's stream, whose roles also need dynamodb:ListStreams (Resource "*"). */
const STREAM_FUNCTIONS: readonly string[] = ['integrator', 'verifier', 'audit-export', 'webhook-dispatch'];

/** The functions that record audit events: the API groups with audited routes, and the verifier. */
const AUDIT_WRITERS: readonly string[] = [
  'auth',
  'users',
  'notarizations',
  'tsa',
  'verifier',
  'audit',
  'settings-audit',
  'reports',
  'privacy',
  'webhooks',
];

/** The distinct actions of these statements, sorted. */
const actionsOf = (statements: Record<string, unknown>[]) =>
  [
    ...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])) as string[]),
  ].sort();

describe('Stempel stack (dev, functions bundled with esbuild)', () => {
  let synthesized: Synthesized;
  let template: Template;
  beforeAll(() => {
    synthesized = synthStempel({ stage: 'dev', bundle: true });
    template = synthesized.template;
  }, 180_000);

  describe('functions', () => {
    it('has one function per route group, the authorizer, integrator, verifier and anchor (and the deploy-time ones)', () => {
      // + the trigger provider, the TSA chain's issuer and the Provider framework's relay, and the
      // console's: CDK's BucketDeployment copy function and (dev) the auto-delete provider of its buckets
      template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length + 5);
      for (const name of [...ALL_FUNCTIONS, 'tsa-certificate'])
        expect(functionId(template, name)).toBeTruthy();
    });

    it.each([...ALL_FUNCTIONS, 'tsa-certificate'] as const)(
      '%s: Node 24 on ARM64, traced, sized, logged',
      (name) => {
        const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId(template, name)] as Resource;
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
          MemorySize: SIZING[name].memorySize,
          Timeout: SIZING[name].timeout.toSeconds(),
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        });
        const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(vars).toMatchObject({
          POWERTOOLS_SERVICE_NAME: `stempel-${name}`,
          POWERTOOLS_METRICS_NAMESPACE: 'Stempel',
        });
        if (name === 'tsa-certificate') {
          // A deployment-time function: no table, settings or key of the running service.
          expect(Object.keys(vars).sort()).toEqual([
            'NODE_OPTIONS',
            'POWERTOOLS_METRICS_NAMESPACE',
            'POWERTOOLS_SERVICE_NAME',
          ]);
          return;
        }
        expect(vars).toMatchObject({
          [ENV.settingsParameter]: { Ref: expect.any(String) },
          [ENV.corsOrigins]: '',
        });
        for (const def of [...tables, ...buckets])
          expect(vars[def.envVar]).toEqual({ Ref: expect.any(String) });
        expect(Object.hasOwn(vars, ENV.tokenKeyId)).toBe(['authorizer', 'auth', 'live'].includes(name));
        expect(Object.hasOwn(vars, ENV.liveConnectionsEndpoint)).toBe(['live', 'live-push'].includes(name));
        expect(Object.hasOwn(vars, ENV.livePushFunction)).toBe(name === 'integrator');
        expect(Object.hasOwn(vars, ENV.logKeyId)).toBe(['log', 'integrator', 'notarizations'].includes(name));
        expect(vars[ENV.auditKeyId], `${name} ${ENV.auditKeyId}`).toEqual(
          ['log', 'integrator', 'audit', 'audit-export'].includes(name)
            ? { Ref: expect.stringMatching(/^DataAuditLogSigningKey[0-9A-F]{8}$/) }
            : undefined,
        );
        // Every function learns the export bucket's name (it is in the shared environment).
        expect(vars.AUDIT_EXPORT_BUCKET).toEqual({
          Ref: expect.stringMatching(/^DataAuditExport[0-9A-F]{8}$/),
        });
        expect(Object.hasOwn(vars, ENV.dataKeyId)).toBe(
          ['auth', 'notarizations', 'verifier', 'webhooks', 'webhook-delivery'].includes(name),
        );
        // The webhook test knobs exist for the tests and the local runtime only.
        expect(Object.hasOwn(vars, ENV.webhooksTestAllowAddresses)).toBe(false);
        expect(Object.hasOwn(vars, ENV.webhooksTestCaFile)).toBe(false);
        expect(Object.hasOwn(vars, ENV.webhookQueueUrl)).toBe(
          ['webhook-dispatch', 'webhook-delivery'].includes(name),
        );
        expect(vars[ENV.cursorKeyId]).toEqual(
          ['users', 'notarizations', 'audit', 'reports'].includes(name)
            ? { Ref: expect.stringMatching(/^DataCursorKey[0-9A-F]{8}$/) }
            : undefined,
        );
        if (name === 'tsa') {
          expect(vars[ENV.tsaKeyId]).toEqual({
            Ref: expect.stringMatching(/^DataTsaSigningKey[0-9A-F]{8}$/),
          });
          expect(vars[ENV.tsaKeyAlgorithm]).toBe('ES256');
          expect(vars[ENV.tsaChainParameter]).toEqual({
            Ref: expect.stringMatching(/^TsaCertificatesChain/),
          });
        } else {
          for (const v of [ENV.tsaKeyId, ENV.tsaKeyAlgorithm, ENV.tsaChainParameter])
            expect(vars[v], `${name} ${v}`).toBeUndefined();
        }
      },
    );

    it('gives the password-hashing functions at least 512 MB (scrypt N=2^17, r=8 needs 128 MiB)', () => {
      expect(SIZING.auth.memorySize).toBeGreaterThanOrEqual(512);
      expect(SIZING.users.memorySize).toBeGreaterThanOrEqual(512);
    });

    it('sizes the notarizations function for cheap checks and the verifier for hashing 5 GiB', () => {
      // The request path no longer hashes: single-part objects are checked with one HEAD.
      expect(SIZING.notarizations.memorySize).toBe(256);
      expect(SIZING.notarizations.timeout.toSeconds()).toBe(10);
      // One full vCPU (1769 MB) and ten minutes for a multipart upload streamed through SHA-256.
      expect(SIZING.verifier.memorySize).toBe(1769);
      expect(SIZING.verifier.timeout.toSeconds()).toBe(600);
    });

    it('keeps every log group for the stage retention', () => {
      const groups = Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'));
      // + access logs of the API, of the binary API and of the live WebSocket API, WAF logs, the
      // deployment trigger's provider, the TSA chain's issuer and Provider framework relay, and the
      // console's deployment function
      expect(groups).toHaveLength(ALL_FUNCTIONS.length + 8);
      for (const g of groups) expect(g.Properties.RetentionInDays).toBe(30);
    });

    it('runs the integrator on new pending notarizations and audit events and on a schedule, failures to a queue', () => {
      const integrator = functionId(template, 'integrator');
      const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter(
        (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: integrator }),
      );
      // One per stream: the notarizations' and the Audit table's, with the same filter and settings.
      expect(
        mappings
          .map((m) => (m.Properties.EventSourceArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0])
          .sort(),
      ).toEqual([
        expect.stringMatching(/^DataAudit[0-9A-F]{8}$/),
        expect.stringMatching(/^DataNotarizations[0-9A-F]{8}$/),
      ]);
      for (const mapping of mappings) {
        expect(mapping.Properties).toMatchObject({
          StartingPosition: 'LATEST',
          BatchSize: 100,
          MaximumRetryAttempts: 2,
          DestinationConfig: {
            OnFailure: {
              Destination: { 'Fn::GetAtt': [expect.stringMatching(/^IntegratorFailures/), 'Arn'] },
            },
          },
        });
        const [filter] = (mapping.Properties.FilterCriteria as { Filters: [{ Pattern: string }] }).Filters;
        expect(JSON.parse(filter.Pattern)).toEqual({
          eventName: ['INSERT'],
          dynamodb: { NewImage: { pending: { S: [{ exists: true }] } } },
        });
      }
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue() })],
      });
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[integrator];
      expect(fn?.Properties.DeadLetterConfig).toEqual({ TargetArn: expect.anything() });
    });

    it('runs the verifier on uploads handed over for hashing (the Files stream), failures to its own queue', () => {
      const verifier = functionId(template, 'verifier');
      const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter(
        (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: verifier }),
      );
      expect(mappings).toHaveLength(1);
      const [mapping] = mappings as [Resource];
      const failures = (
        mapping.Properties.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': [string] } } }
      ).OnFailure.Destination['Fn::GetAtt'][0];
      expect(failures).toMatch(/^VerifierFailures[0-9A-F]{8}$/);
      expect(mapping.Properties).toEqual({
        FunctionName: { Ref: verifier },
        EventSourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^DataFiles[0-9A-F]{8}$/), 'StreamArn'] },
        StartingPosition: 'LATEST',
        BatchSize: 1,
        MaximumRetryAttempts: 2,
        MaximumRecordAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failures, 'Arn'] } } },
        FilterCriteria: { Filters: [{ Pattern: expect.any(String) }] },
      });
      const [filter] = (mapping.Properties.FilterCriteria as { Filters: [{ Pattern: string }] }).Filters;
      expect(JSON.parse(filter.Pattern)).toEqual({
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { state: { S: ['hashing'] } } },
      });

      // The failure queue: encrypted, TLS only, kept 14 days; nothing else sends to it.
      const queue = resourcesOf(template, 'AWS::SQS::Queue')[failures] as Resource;
      expect(queue.Properties).toEqual({ MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
      const queuePolicies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).filter((p) =>
        JSON.stringify(p.Properties.Queues).includes(`"${failures}"`),
      );
      expect(queuePolicies).toHaveLength(1);
      expect(JSON.stringify(queuePolicies[0]?.Properties.PolicyDocument)).toContain(
        '"aws:SecureTransport":"false"',
      );

      // Invoked by the stream only: no schedule, no deployment trigger, no asynchronous invocation.
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[verifier] as Resource;
      expect(fn.Properties.DeadLetterConfig).toBeUndefined();
      expect(JSON.stringify(template.findResources('AWS::Events::Rule'))).not.toContain(`"${verifier}"`);
      expect(JSON.stringify(template.findResources('AWS::Lambda::Permission'))).not.toContain(
        `"${verifier}"`,
      );
      expect(JSON.stringify(template.findResources('Custom::Trigger'))).not.toContain('Verifier');
    });

    it('runs the integrator once after each deployment that creates or changes it, and waits for it', () => {
      const integrator = functionId(template, 'integrator');
      const trigger = only(template, 'Custom::Trigger');
      expect(trigger.Properties).toMatchObject({
        InvocationType: 'RequestResponse', // the deployment fails if the run fails
        ExecuteOnHandlerChange: true,
        HandlerArn: { Ref: expect.any(String) },
      });
      expect(Number(trigger.Properties.Timeout)).toBeGreaterThan(SIZING.integrator.timeout.toMilliseconds());
      // The handler is a version of the integrator (a new one whenever its code or configuration changes).
      const versionId = (trigger.Properties.HandlerArn as { Ref: string }).Ref;
      const version = resourcesOf(template, 'AWS::Lambda::Version')[versionId];
      expect(version?.Properties.FunctionName).toEqual({ Ref: integrator });
      expect(version?.DeletionPolicy).toBe('Delete');
      // After the whole integrator: function, role, its policy and log group.
      const integratorParts = Object.keys(template.toJSON().Resources).filter((id) =>
        id.startsWith('IntegratorFunction'),
      );
      expect(trigger.DependsOn).toEqual(expect.arrayContaining(integratorParts));
    });

    it('lets the trigger provider invoke only integrator versions and log only to its own log group', () => {
      const trigger = only(template, 'Custom::Trigger');
      const providerId = (trigger.Properties.ServiceToken as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const provider = resourcesOf(template, 'AWS::Lambda::Function')[providerId] as Resource;
      const logGroupId = (provider.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(30);
      const roleId = (provider.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const role = resourcesOf(template, 'AWS::IAM::Role')[roleId] as Resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const statements = (
        role.Properties.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]
      ).flatMap((p) => p.PolicyDocument.Statement);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['lambda:InvokeFunction'],
          Resource: [
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId(template, 'integrator'), 'Arn'] }, ':*']] },
          ],
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
      ]);
    });
  });

  describe('least privilege', () => {
    /** What DynamoDB needs of the data key for a writer (CDK's grantWriteData set, without ReEncrypt). */
    const TABLE_WRITER_KMS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];
    /** Signing and checking pagination cursors with the cursor MAC key. */
    const CURSOR_MAC = ['kms:GenerateMac', 'kms:VerifyMac'];
    const EXPECTED: Record<(typeof ALL_FUNCTIONS)[number], string[]> = {
      authorizer: [
        'dynamodb:GetItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GetPublicKey',
        'ssm:GetParameter',
      ],
      auth: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        'kms:GetPublicKey',
        'kms:Sign',
        'ssm:GetParameter',
      ],
      users: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        ...CURSOR_MAC,
        'ssm:GetParameter',
      ],
      notarizations: [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        ...CURSOR_MAC,
        // The log's verifier key, printed on certificates.
        'kms:GetPublicKey',
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetObject',
        's3:ListBucket',
        's3:ListMultipartUploadParts',
        's3:PutObject',
        's3:PutObjectTagging',
        'ssm:GetParameter',
      ],
      log: [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GetPublicKey',
        'ssm:GetParameter',
      ],
      public: ['dynamodb:DescribeTable', 's3:ListBucket', 'ssm:GetParameter'],
      audit: [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        // Erasures: personal fields only (a condition on dynamodb:Attributes).
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        ...CURSOR_MAC,
        'kms:GetPublicKey',
        'ssm:GetParameter',
      ],
      'audit-export': [
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        // The key figures' marks and counters (Kpis table).
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        'kms:GetPublicKey',
        's3:PutObject',
        // The failure queue of its event source mapping.
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'ssm:GetParameter',
      ],
      tsa: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        'kms:Sign',
        'ssm:GetParameter',
      ],
      webhooks: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        'ssm:GetParameter',
      ],
      'webhook-dispatch': [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:DescribeKey',
        // The delivery queue, and the failure queue of its event source mappings.
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
      'webhook-delivery': [
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        // Its SQS event source: receive, delete, and the backoff's visibility changes.
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ],
      anchor: [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        // Its failure queue (the function's dead-letter queue).
        'sqs:SendMessage',
        'ssm:GetParameter',
      ],
      privacy: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        'ssm:GetParameter',
      ],
      reports: ['dynamodb:PutItem', 'dynamodb:Query', ...TABLE_WRITER_KMS, ...CURSOR_MAC, 'ssm:GetParameter'],
      'settings-audit': [
        // The settings' versions; each becomes one new item of the Audit table.
        'dynamodb:PutItem',
        ...TABLE_WRITER_KMS,
        'sqs:SendMessage',
        'ssm:GetParameterHistory',
      ],
      integrator: [
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        'kms:GetPublicKey',
        'kms:Sign',
        // Handing each sealed range to live-push.
        'lambda:InvokeFunction',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'ssm:GetParameter',
      ],
      // The WebSocket routes: the REST authorizer's reads, subscriptions, the log for catch-up, frames.
      live: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'execute-api:ManageConnections',
        ...TABLE_WRITER_KMS,
        'kms:GetPublicKey',
        'ssm:GetParameter',
      ],
      // The push: subscriptions (Scan, forget gone ones), the log, frames; no users, keys or settings.
      'live-push': [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:Scan',
        'execute-api:ManageConnections',
        ...TABLE_WRITER_KMS,
      ],
      verifier: [
        'dynamodb:DescribeStream',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        ...TABLE_WRITER_KMS,
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetObject',
        's3:PutObjectTagging',
        // The failure queue of its event source mapping.
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'ssm:GetParameter',
      ],
    };
    const BASE = [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ];

    it.each(ALL_FUNCTIONS)('%s may do exactly what it needs, with no AWS managed policy', (name) => {
      expect(actionsOf(statementsOf(template, name))).toEqual(
        [...new Set([...EXPECTED[name], ...BASE])].sort(),
      );
    });

    it('lets the integrator read and seal notarizations on their table (the "already in the log?" check)', () => {
      const onNotarizations = statementsOf(template, 'integrator').filter((st) =>
        /DataNotarizations[A-Z0-9]*"?,"Arn"/.test(JSON.stringify(st.Resource)),
      );
      const actions = onNotarizations.flatMap((st) => [st.Action].flat());
      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']),
      );
    });

    it('queries only the indexes each function uses, by name (never index/*)', () => {
      const queried = (name: string) =>
        JSON.stringify(statementsOf(template, name).filter((s) => s.Action === 'dynamodb:Query'));
      expect(queried('users')).toContain('"/index/byList"');
      expect(queried('notarizations')).toContain('"/index/bySha256"');
      expect(queried('notarizations')).toContain('"/index/byOwner"');
      expect(queried('notarizations')).toContain('"/index/byPending"');
      expect(queried('integrator')).toContain('"/index/byPending"');
      expect(queried('tsa')).toContain('"/index/byPending"');
      for (const name of ALL_FUNCTIONS)
        expect(JSON.stringify(statementsOf(template, name))).not.toContain('index/*');
    });

    it('uses the data key only through DynamoDB (or S3, for the export), and Resource "*" only for X-Ray and ListStreams', () => {
      const keyOwnUse = ['kms:Sign', 'kms:GetPublicKey', 'kms:GenerateMac', 'kms:VerifyMac'];
      for (const name of ALL_FUNCTIONS) {
        for (const s of statementsOf(template, name)) {
          const actions = ([] as unknown[]).concat(s.Action);
          if (actions.some((a) => String(a).startsWith('kms:') && !keyOwnUse.includes(String(a)))) {
            // Through DynamoDB, or directly only with the encryption context of its one purpose:
            // auth's TOTP secrets and the notarizations function's wrapped owner keys.
            expect(Object.keys(s.Condition as object)).toEqual(['StringEquals']);
            if (!JSON.stringify(s.Condition).includes('"kms:ViaService"')) {
              expect(DIRECT_DATA_KEY_PURPOSE[name], `${name} uses the data key directly`).toBeDefined();
              expect(s.Condition).toEqual({
                StringEquals: { 'kms:EncryptionContext:purpose': DIRECT_DATA_KEY_PURPOSE[name] },
              });
            }
          }
          if (s.Resource === '*') {
            const allowed: unknown[] = [['xray:PutTraceSegments', 'xray:PutTelemetryRecords']];
            if (STREAM_FUNCTIONS.includes(name)) allowed.push('dynamodb:ListStreams');
            expect(allowed).toContainEqual(s.Action);
          }
        }
      }
    });
  });

  describe('REST API', () => {
    it('has a method per route, Lambda proxy to its group, authorizer unless public', () => {
      const methods = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).filter(
        (m) => m.Properties.HttpMethod !== 'OPTIONS',
      );
      // The checkpoint is on both APIs; the tiles only on the tiles API.
      const onBoth = routeList().filter(([, r]) => r.binary === 'also');
      expect(methods).toHaveLength(routeList().length + onBoth.length);
      for (const [operationId, route] of routeList()) {
        const method = methods.find((m) => m.Properties.OperationName === operationId);
        expect(method?.Properties).toMatchObject({
          HttpMethod: route.method,
          AuthorizationType: route.access === 'public' ? 'NONE' : 'CUSTOM',
          Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
        });
        expect(JSON.stringify(method?.Properties.Integration)).toContain(functionId(template, route.group));
        expect(Object.hasOwn(method?.Properties ?? {}, 'AuthorizerId')).toBe(route.access !== 'public');
      }
    });

    it('authorizes with a TOKEN authorizer on the Authorization header, never cached', () => {
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'TOKEN',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 0,
      });
      // One per API (main and binary), both the authorizer function.
      const authorizers = Object.values(resourcesOf(template, 'AWS::ApiGateway::Authorizer'));
      expect(authorizers).toHaveLength(2);
      for (const authorizer of authorizers)
        expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(
          functionId(template, 'authorizer'),
        );
    });

    it('validates every request body against a model generated from its zod schema', () => {
      const bodyRoutes = routeList().filter(([, r]) => r.body);
      template.resourceCountIs('AWS::ApiGateway::Model', bodyRoutes.length);
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        Name: 'LoginRequest',
        ContentType: 'application/json',
        Schema: {
          $schema: 'http://json-schema.org/draft-04/schema#',
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
        },
      });
      const methods = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'));
      for (const [operationId] of bodyRoutes) {
        const method = methods.find((m) => m.Properties.OperationName === operationId);
        expect(method?.Properties).toMatchObject({
          RequestModels: { 'application/json': { Ref: expect.any(String) } },
          RequestValidatorId: { Ref: expect.any(String) },
        });
      }
    });

    it('answers its own errors as RFC 9457 problems', () => {
      template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 2 * gatewayProblems.length); // both APIs
      for (const p of gatewayProblems) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: p.responseType,
          StatusCode: String(p.status),
          ResponseParameters: Match.objectLike({
            'gatewayresponse.header.Content-Type': "'application/problem+json'",
          }),
          ResponseTemplates: { 'application/json': gatewayProblemBody(p) },
        });
      }
    });

    it.each([0, 1])('throttles, traces and logs the stage of API %i (JSON access log, no bodies)', (i) => {
      const stages = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage'));
      expect(stages).toHaveLength(2);
      const stage = stages[i] as (typeof stages)[number];
      expect(stage.Properties).toMatchObject({
        StageName: 'dev',
        TracingEnabled: true,
        MethodSettings: [
          {
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 25,
            ThrottlingBurstLimit: 50,
            MetricsEnabled: true,
            LoggingLevel: 'INFO',
            DataTraceEnabled: false,
          },
        ],
      });
      const format = (stage.Properties.AccessLogSetting as { Format: string }).Format;
      expect(JSON.parse(format)).toEqual(ACCESS_LOG_FIELDS);
      expect(Object.keys(ACCESS_LOG_FIELDS)).toEqual(
        expect.arrayContaining([
          'requestId',
          'ip',
          'method',
          'path',
          'status',
          'principalId',
          'responseLatency',
        ]),
      );
    });

    it('has API Gateway log to CloudWatch through its own role, without AWS managed policies', () => {
      const account = only(template, 'AWS::ApiGateway::Account');
      const roleId = (account.Properties.CloudWatchRoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const role = resourcesOf(template, 'AWS::IAM::Role')[roleId];
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      expect(account.DeletionPolicy).toBe('Retain');
    });

    it('has no CORS preflight routes when no origin is configured', () => {
      const options = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).filter(
        (m) => m.Properties.HttpMethod === 'OPTIONS',
      );
      expect(options).toEqual([]);
    });
  });

  describe('WAF', () => {
    it('applies the managed rule groups and per-IP rate limits, tighter on /v1/auth/', () => {
      const acl = only(template, 'AWS::WAFv2::WebACL');
      expect(acl.Properties.Scope).toBe('REGIONAL');
      const rules = acl.Properties.Rules as WafRule[];
      const managed = rules.map((r) => r.Statement.ManagedRuleGroupStatement?.Name).filter(Boolean);
      expect(managed).toEqual(
        expect.arrayContaining([
          'AWSManagedRulesCommonRuleSet',
          'AWSManagedRulesKnownBadInputsRuleSet',
          'AWSManagedRulesAmazonIpReputationList',
        ]),
      );
      const rate = rules.flatMap((r) =>
        r.Statement.RateBasedStatement ? [r.Statement.RateBasedStatement] : [],
      );
      // Per source IP, and (for requests through the console's distribution) per viewer address.
      expect(rate).toHaveLength(4);
      const byName = (name: string) =>
        rules.find((r) => r.Name === name)?.Statement.RateBasedStatement as Record<string, unknown>;
      const general = byName('rate-limit-per-ip');
      const auth = byName('rate-limit-auth-per-ip');
      expect(general).toMatchObject({ AggregateKeyType: 'IP', Limit: 1000 });
      expect(auth).toMatchObject({ AggregateKeyType: 'IP', Limit: 100 });
      expect(byName('rate-limit-per-viewer')).toMatchObject({
        AggregateKeyType: 'FORWARDED_IP',
        Limit: 1000,
      });
      expect(byName('rate-limit-auth-per-viewer')).toMatchObject({
        AggregateKeyType: 'FORWARDED_IP',
        Limit: 100,
      });
      expect(JSON.stringify(general?.ScopeDownStatement)).not.toContain('/v1/auth/');
      const prefixes = JSON.stringify(auth?.ScopeDownStatement);
      expect(prefixes).toContain('"SearchString":"/v1/auth/"');
      expect(prefixes).toContain('"SearchString":"/dev/v1/auth/"');
      expect(prefixes).toContain('"PositionalConstraint":"STARTS_WITH"');
    });

    it('is associated with both API stages and logs blocked requests without the Authorization header', () => {
      const associations = Object.values(resourcesOf(template, 'AWS::WAFv2::WebACLAssociation'));
      expect(associations).toHaveLength(2);
      for (const a of associations) expect(JSON.stringify(a.Properties.ResourceArn)).toContain('/stages/');
      template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'authorization' } }]),
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'),
      });
    });
  });

  describe('binary API (tlog-tiles and RFC 3161)', () => {
    const apiIds = () => {
      const apis = Object.entries(resourcesOf(template, 'AWS::ApiGateway::RestApi'));
      const binary = apis.find(([, a]) => a.Properties.BinaryMediaTypes !== undefined);
      const main = apis.find(([, a]) => a.Properties.BinaryMediaTypes === undefined);
      if (!binary || !main) throw new Error('expected the main and the binary API');
      return { binary: binary[0], main: main[0] };
    };
    const methodsOf = (apiId: string) =>
      Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).filter(
        (m) => JSON.stringify(m.Properties.RestApiId) === JSON.stringify({ Ref: apiId }),
      );

    it('keeps the tiles API name (and URL), every media type binary', () => {
      const apis = Object.values(resourcesOf(template, 'AWS::ApiGateway::RestApi'));
      const binaryApi = apis.find((a) => a.Properties.BinaryMediaTypes !== undefined);
      expect(binaryApi?.Properties).toMatchObject({
        BinaryMediaTypes: ['*/*'],
        Name: 'stempel-dev-log-tiles',
      });
      expect(binaryApi?.Properties.Description).toMatch(/tlog-tiles and RFC 3161/);
      expect(apiIds().binary).toMatch(/^TilesApi/);
      // The main API keeps text bodies, so its JSON validation and CORS preflight mocks keep working.
      expect(apis.filter((a) => a.Properties.BinaryMediaTypes !== undefined)).toHaveLength(1);
    });

    it('serves exactly the binary routes: the public tlog-tiles GETs and the RFC 3161 routes', () => {
      const { binary } = apiIds();
      const served = methodsOf(binary)
        .map((m) => m.Properties.OperationName)
        .sort();
      const expected = routeList()
        .filter(([, r]) => r.binary !== undefined)
        .map(([operationId]) => operationId)
        .sort();
      expect(served).toEqual(expected);
      expect(served).toEqual(expect.arrayContaining(['tile', 'checkpoint', 'timestamp', 'getTimestamp']));
    });

    it('has a TOKEN authorizer of its own on POST /v1/tsa and GET /v1/notarizations/{id}/timestamp', () => {
      const { binary } = apiIds();
      const authorizers = Object.entries(resourcesOf(template, 'AWS::ApiGateway::Authorizer'));
      expect(authorizers).toHaveLength(2); // one per API, both the same function
      const own = authorizers.filter(
        ([, a]) => JSON.stringify(a.Properties.RestApiId) === JSON.stringify({ Ref: binary }),
      );
      expect(own).toHaveLength(1);
      const [authorizerId] = own[0] as [string, Resource];
      const methods = methodsOf(binary);
      const post = methods.find((m) => m.Properties.OperationName === 'timestamp');
      expect(post?.Properties).toMatchObject({
        HttpMethod: 'POST',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizerId },
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(JSON.stringify(post?.Properties.Integration)).toContain(functionId(template, 'tsa'));
      expect(methods.find((m) => m.Properties.OperationName === 'getTimestamp')?.Properties).toMatchObject({
        HttpMethod: 'GET',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizerId },
        RequestParameters: { 'method.request.path.id': true },
      });
      const tile = methods.find((m) => m.Properties.OperationName === 'tile');
      expect(tile?.Properties).toMatchObject({
        HttpMethod: 'GET',
        AuthorizationType: 'NONE',
        RequestParameters: { 'method.request.path.path': true },
      });
      // API Gateway may invoke the authorizer for this API.
      const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter(
        (p) =>
          JSON.stringify(p.Properties.FunctionName).includes(functionId(template, 'authorizer')) &&
          JSON.stringify(p.Properties.SourceArn).includes(binary),
      );
      expect(permissions).toHaveLength(1);
    });

    it('serves the TSA certificates (public) on the main API', () => {
      const { main } = apiIds();
      const certificates = methodsOf(main).find((m) => m.Properties.OperationName === 'tsaCertificates');
      expect(certificates?.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'NONE' });
    });
  });

  describe('RFC 3161 time-stamp authority', () => {
    const keyIdsOf = (spec: string) =>
      Object.entries(resourcesOf(template, 'AWS::KMS::Key'))
        .filter(([, k]) => k.Properties.KeySpec === spec)
        .map(([id]) => id);

    it('signs tokens with a retained ECDSA P-256 KMS key, certified by a retained P-384 CA key', () => {
      const [tsaKey] = keyIdsOf('ECC_NIST_P256') as [string];
      const [caKey] = keyIdsOf('ECC_NIST_P384') as [string];
      expect(keyIdsOf('ECC_NIST_P256')).toEqual([expect.stringMatching(/^DataTsaSigningKey/)]);
      expect(keyIdsOf('ECC_NIST_P384')).toEqual([expect.stringMatching(/^DataTsaCaKey/)]);
      for (const id of [tsaKey, caKey]) {
        const key = resourcesOf(template, 'AWS::KMS::Key')[id] as Resource;
        expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
        expect(key.DeletionPolicy).toBe('Retain');
        expect(key.UpdateReplacePolicy).toBe('Retain');
      }
    });

    it('lets the tsa role kms:Sign with the TSA key only, and no other role sign with it', () => {
      const [tsaKey] = keyIdsOf('ECC_NIST_P256') as [string];
      const signing = statementsOf(template, 'tsa').filter((st) => actionsOf([st]).includes('kms:Sign'));
      expect(signing).toEqual([
        { Effect: 'Allow', Action: 'kms:Sign', Resource: { 'Fn::GetAtt': [tsaKey, 'Arn'] } },
      ]);
      // Its only KMS use besides the table key through DynamoDB.
      const kmsResources = statementsOf(template, 'tsa')
        .filter((st) => actionsOf([st]).some((a) => a.startsWith('kms:')))
        .map((st) => JSON.stringify(st.Resource));
      expect(kmsResources.filter((r) => !r.includes('DataDataKey'))).toEqual([
        JSON.stringify({ 'Fn::GetAtt': [tsaKey, 'Arn'] }),
      ]);
      for (const name of ALL_FUNCTIONS.filter((n) => n !== 'tsa'))
        expect(JSON.stringify(statementsOf(template, name)), name).not.toContain(tsaKey);
    });

    it('reads its chain from the parameter the custom resource fills, and the settings', () => {
      const parameters = Object.entries(resourcesOf(template, 'AWS::SSM::Parameter'));
      const chain = parameters.find(([, p]) => p.Properties.Name === '/stempel/dev/tsa-certificates');
      expect(chain).toBeDefined();
      const [chainId, parameter] = chain as [string, Resource];
      expect(parameter.Properties).toMatchObject({ Type: 'String', Tier: 'Standard' });
      const [issued] = Object.entries(resourcesOf(template, 'Custom::StempelTsaCertificateChain'));
      expect(issued).toBeDefined();
      const [issuedId, resource] = issued as [string, Resource];
      expect(parameter.Properties.Value).toEqual({ 'Fn::GetAtt': [issuedId, 'ChainPem'] });
      expect(resource.Properties).toMatchObject({
        CaKeyId: { Ref: expect.stringMatching(/^DataTsaCaKey/) },
        TsaKeyId: { Ref: expect.stringMatching(/^DataTsaSigningKey/) },
        CaName: 'Stempel dev TSA CA',
        TsaName: 'Stempel dev TSA',
        CaValidityDays: String(20 * 365),
        TsaValidityDays: String(10 * 365),
      });
      const parameterReads = statementsOf(template, 'tsa').filter((st) => st.Action === 'ssm:GetParameter');
      expect(parameterReads.map((st) => JSON.stringify(st.Resource))).toEqual(
        expect.arrayContaining([expect.stringContaining(chainId)]),
      );
      expect(parameterReads).toHaveLength(2); // the chain and the settings
    });

    it('issues the chain with a function that may only read both public keys and sign with the CA key', () => {
      const [tsaKey] = keyIdsOf('ECC_NIST_P256') as [string];
      const [caKey] = keyIdsOf('ECC_NIST_P384') as [string];
      const kms = statementsOf(template, 'tsa-certificate').filter((st) =>
        actionsOf([st]).some((a) => a.startsWith('kms:')),
      );
      expect(kms).toEqual([
        { Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: { 'Fn::GetAtt': [tsaKey, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: ['kms:GetPublicKey', 'kms:Sign'],
          Resource: { 'Fn::GetAtt': [caKey, 'Arn'] },
        },
      ]);
      expect(actionsOf(statementsOf(template, 'tsa-certificate'))).toEqual(
        [
          'kms:GetPublicKey',
          'kms:Sign',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ].sort(),
      );
      // The custom resource runs through the Provider framework, whose relay may invoke only the issuer.
      const [, issued] = Object.entries(resourcesOf(template, 'Custom::StempelTsaCertificateChain'))[0] as [
        string,
        Resource,
      ];
      const relayId = (issued.Properties.ServiceToken as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const relay = resourcesOf(template, 'AWS::Lambda::Function')[relayId] as Resource;
      expect(relay.Properties.MemorySize).toBe(256);
      const relayRole = (relay.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      expect(
        resourcesOf(template, 'AWS::IAM::Role')[relayRole]?.Properties.ManagedPolicyArns,
      ).toBeUndefined();
      const relayStatements = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === relayRole))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
      expect(actionsOf(relayStatements)).toEqual([
        'lambda:GetFunction',
        'lambda:InvokeFunction',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
      expect(JSON.stringify(relayStatements)).toContain(functionId(template, 'tsa-certificate'));
      const logGroupId = (relay.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(30);
    });
  });

  describe('settings-audit function', () => {
    it('runs on changes of the settings parameter, and only those', () => {
      const fn = functionId(template, 'settings-audit');
      const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule')).filter((r) =>
        JSON.stringify(r.Properties.Targets).includes(`"${fn}"`),
      );
      expect(rules).toHaveLength(1);
      expect(rules[0]?.Properties.EventPattern).toMatchObject({
        source: ['aws.ssm'],
        'detail-type': ['Parameter Store Change'],
        detail: { name: [expect.anything()] },
      });
      expect((rules[0]?.Properties.Targets as unknown[] | undefined)?.[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: expect.anything() },
      });
    });

    it('reads only the settings parameter history', () => {
      const ssm = statementsOf(template, 'settings-audit').filter((st) =>
        JSON.stringify(st.Action).includes('ssm:'),
      );
      expect(ssm).toHaveLength(1);
      expect(JSON.stringify(ssm[0]?.Resource)).toMatch(/parameter.*Settings/);
    });
  });

  describe('anchor function', () => {
    it('runs every 5 minutes, retried twice, failures to its own queue', () => {
      const anchor = functionId(template, 'anchor');
      const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule')).filter((r) =>
        JSON.stringify(r.Properties.Targets).includes(`"${anchor}"`),
      );
      expect(rules).toHaveLength(1);
      const [rule] = rules as [Resource];
      expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
      const [target] = rule.Properties.Targets as [Record<string, unknown>];
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[anchor] as Resource;
      const queueArn = (fn.Properties.DeadLetterConfig as { TargetArn: { 'Fn::GetAtt': [string, string] } })
        .TargetArn;
      expect(queueArn['Fn::GetAtt'][0]).toMatch(/^AnchorFailures[0-9A-F]{8}$/);
      expect(target).toMatchObject({
        Arn: { 'Fn::GetAtt': [anchor, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: queueArn },
      });
      // Lambda's own retries of the asynchronous invocation: its default, two.
      expect(
        Object.values(resourcesOf(template, 'AWS::Lambda::EventInvokeConfig')).filter((c) =>
          JSON.stringify(c.Properties).includes(anchor),
        ),
      ).toEqual([]);
      const queue = resourcesOf(template, 'AWS::SQS::Queue')[queueArn['Fn::GetAtt'][0]] as Resource;
      expect(queue.Properties).toEqual({ MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
      // On the internet, not in a VPC: the external TSAs are HTTPS endpoints.
      expect(fn.Properties.VpcConfig).toBeUndefined();
    });

    it('reads the log head and reads and writes anchors, nothing else of the data', () => {
      const statements = statementsOf(template, 'anchor');
      const onTable = (id: string) =>
        actionsOf(statements.filter((st) => JSON.stringify(st.Resource).includes(`"Data${id}`)));
      expect(onTable('Log')).toEqual(['dynamodb:GetItem']);
      expect(onTable('Anchors')).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
      for (const id of ['Identity', 'Notarizations', 'Files']) expect(onTable(id), id).toEqual([]);
    });

    it('lets the notarizations function read anchors (receipts) and no other function besides anchor', () => {
      const onAnchors = (name: string) =>
        actionsOf(
          statementsOf(template, name).filter((st) => JSON.stringify(st.Resource).includes('"DataAnchors')),
        );
      expect(onAnchors('notarizations')).toEqual(['dynamodb:Query']);
      for (const name of ALL_FUNCTIONS.filter((n) => !['notarizations', 'anchor', 'public'].includes(n)))
        expect(onAnchors(name), name).toEqual([]);
    });
  });

  describe('audit trail', () => {
    const tableId = (prefix: string) => {
      const found = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table')).filter((id) =>
        new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id),
      );
      expect(found).toHaveLength(1);
      return found[0] as string;
    };
    const bucketId = (prefix: string) => {
      const found = Object.keys(resourcesOf(template, 'AWS::S3::Bucket')).filter((id) =>
        new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id),
      );
      expect(found).toHaveLength(1);
      return found[0] as string;
    };
    /** The actions of one function on the Audit table itself (its ARN), and on its indexes. */
    const onAudit = (name: string) => {
      const audit = tableId('DataAudit');
      const statements = statementsOf(template, name);
      const resources = (st: Record<string, unknown>) => [st.Resource].flat().map((r) => JSON.stringify(r));
      return {
        table: actionsOf(
          statements.filter((st) =>
            resources(st).some((r) => r === JSON.stringify({ 'Fn::GetAtt': [audit, 'Arn'] })),
          ),
        ),
        indexes: [
          ...new Set(
            statements.flatMap((st) =>
              resources(st)
                .filter((r) => r.includes(`"${audit}"`) && r.includes('/index/'))
                .map(
                  (r) => `${actionsOf([st]).join(',')} ${(/\/index\/(\w+)/.exec(r) as RegExpExecArray)[1]}`,
                ),
            ),
          ),
        ].sort(),
      };
    };

    it('lets each function that records events only put new items into the Audit table', () => {
      for (const name of ['auth', 'users', 'notarizations', 'tsa', 'verifier', 'settings-audit', 'reports'])
        expect(onAudit(name), name).toEqual({ table: ['dynamodb:PutItem'], indexes: [] });
      for (const name of ALL_FUNCTIONS.filter((n) => !AUDIT_WRITERS.includes(n) && n !== 'integrator'))
        expect(
          onAudit(name).table.filter((a) => a !== 'dynamodb:DescribeTable'),
          name,
        ).toEqual([]);
    });

    it('lets erasures (audit, privacy) update only the personal fields of events', () => {
      for (const name of ALL_FUNCTIONS) {
        const updates = statementsOf(template, name).filter(
          (st) =>
            actionsOf([st]).includes('dynamodb:UpdateItem') &&
            JSON.stringify(st.Resource).includes(`"${tableId('DataAudit')}"`),
        );
        if (name === 'integrator') continue; // sealing: its own test
        if (!['audit', 'privacy'].includes(name)) {
          expect(updates, name).toEqual([]);
          continue;
        }
        expect(updates, name).toHaveLength(1);
        expect(updates[0]?.Condition).toEqual({
          'ForAllValues:StringEquals': {
            'dynamodb:Attributes': ['pk', 'sk', 'personal', 'salt', 'erasedAt'],
          },
        });
      }
    });

    it('lets the audit function read events through its four listing indexes (never Scan) and record its own', () => {
      expect(onAudit('audit')).toEqual({
        table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        indexes: [
          'dynamodb:Query byAction',
          'dynamodb:Query byActor',
          'dynamodb:Query byDay',
          'dynamodb:Query byTarget',
        ],
      });
      // Proofs: the Log table, read only.
      const onLog = statementsOf(template, 'audit').filter((st) =>
        JSON.stringify(st.Resource).includes(`"${tableId('DataLog')}"`),
      );
      expect(actionsOf(onLog)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
      for (const name of ALL_FUNCTIONS)
        expect(JSON.stringify(statementsOf(template, name)), name).not.toContain(
          'dynamodb:Scan"],"Resource":{"Fn::GetAtt":["DataAudit',
        );
    });

    it('lets the integrator seal audit events: the byPending queue, "already sealed?", seal and quarantine', () => {
      expect(onAudit('integrator')).toEqual({
        table: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        indexes: ['dynamodb:Query byPending'],
      });
    });

    it('signs audit checkpoints with a third retained Ed25519 key, only in the integrator', () => {
      const keys = Object.entries(resourcesOf(template, 'AWS::KMS::Key')).filter(([id]) =>
        /^DataAuditLogSigningKey[0-9A-F]{8}$/.test(id),
      );
      expect(keys).toHaveLength(1);
      const [keyId, key] = keys[0] as [string, Resource];
      expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' });
      expect(key.DeletionPolicy).toBe('Retain');
      const uses = (name: string) =>
        actionsOf(
          statementsOf(template, name).filter((st) => JSON.stringify(st.Resource).includes(`"${keyId}"`)),
        );
      expect(uses('integrator')).toEqual(['kms:GetPublicKey', 'kms:Sign']);
      for (const name of ['log', 'audit', 'audit-export'])
        expect(uses(name), name).toEqual(['kms:GetPublicKey']);
      for (const name of ALL_FUNCTIONS.filter(
        (n) => !['integrator', 'log', 'audit', 'audit-export'].includes(n),
      ))
        expect(uses(name), name).toEqual([]);
      const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(outputs.AuditLogSigningKeyId?.Value).toEqual({ Ref: keyId });
    });

    it('exports sealed events from the Audit stream in bisected batches, failures to an alarmed queue', () => {
      const exporter = functionId(template, 'audit-export');
      const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter(
        (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: exporter }),
      );
      expect(mappings).toHaveLength(1);
      const [mapping] = mappings as [Resource];
      const failures = (
        mapping.Properties.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': [string] } } }
      ).OnFailure.Destination['Fn::GetAtt'][0];
      expect(failures).toMatch(/^AuditExportFailures[0-9A-F]{8}$/);
      expect(mapping.Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [tableId('DataAudit'), 'StreamArn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
      });
      const [filter] = (mapping.Properties.FilterCriteria as { Filters: [{ Pattern: string }] }).Filters;
      expect(JSON.parse(filter.Pattern)).toEqual({
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { logIndex: { N: [{ exists: true }] } } },
      });
      const queue = resourcesOf(template, 'AWS::SQS::Queue')[failures] as Resource;
      expect(queue.Properties).toEqual({ MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
      const alarm = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === 'stempel-dev-AuditExportFailed',
      );
      expect(alarm?.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(JSON.stringify(alarm?.Properties.Dimensions)).toContain(failures);
      // Stream-run only: no schedule, no asynchronous invocation.
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[exporter] as Resource;
      expect(fn.Properties.DeadLetterConfig).toBeUndefined();
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars.AUDIT_EXPORT_BUCKET).toEqual({ Ref: bucketId('DataAuditExport') });
    });

    it('lets the export put objects under events/ and checkpoints/ only', () => {
      const bucket = bucketId('DataAuditExport');
      const s3 = statementsOf(template, 'audit-export').filter((st) =>
        actionsOf([st]).some((a) => a.startsWith('s3:')),
      );
      expect(s3).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: ['events/*', 'checkpoints/*'].map((p) => ({
            'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${p}`]],
          })),
        },
      ]);
      const direct = statementsOf(template, 'audit-export').filter(
        (st) =>
          actionsOf([st]).includes('kms:GenerateDataKey') && JSON.stringify(st.Condition).includes('s3.'),
      );
      expect(direct).toHaveLength(1);
      expect(JSON.stringify(direct[0]?.Condition)).toContain('"kms:EncryptionContext:aws:s3:arn"');
      expect(JSON.stringify(direct[0]?.Condition)).toContain('s3.');
      // No other function may write to (or read) the export bucket.
      for (const name of ALL_FUNCTIONS.filter((n) => n !== 'audit-export'))
        expect(JSON.stringify(statementsOf(template, name)), name).not.toContain(`"${bucket}"`);
    });

    it('keeps the export write-once: Object Lock COMPLIANCE for the stage days, versioned, SSE-KMS, private, logged', () => {
      const id = bucketId('DataAuditExport');
      const bucket = resourcesOf(template, 'AWS::S3::Bucket')[id] as Resource;
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^DataDataKey/), 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { LogFilePrefix: 'audit-export/' },
      });
      const policy = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(
        (p) => (p.Properties.Bucket as { Ref?: string }).Ref === id,
      );
      const statements = JSON.stringify(policy?.Properties.PolicyDocument);
      expect(statements).toContain('"aws:SecureTransport":"false"');
      expect(statements).toContain('"Sid":"DenyDeletes"');
      const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(outputs.AuditExportBucketName?.Value).toEqual({ Ref: id });
    });

    it('locks the prod export for seven years, and for the days of -c auditRetentionDays', () => {
      const days = (t: Template) =>
        Object.entries(resourcesOf(t, 'AWS::S3::Bucket'))
          .filter(([id]) => /^DataAuditExport[0-9A-F]{8}$/.test(id))
          .map(([, b]) => b.Properties.ObjectLockConfiguration);
      expect(days(synthStempel({ stage: 'prod' }).template)).toEqual([
        { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      ]);
      expect(days(synthStempel({ stage: 'dev', auditRetentionDays: '30' }).template)).toEqual([
        { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } },
      ]);
    }, 120_000);

    it('describes the export to Athena: Glue table events over events/ with date partition projection', () => {
      const database = only(template, 'AWS::Glue::Database');
      expect(database.Properties.DatabaseInput).toMatchObject({ Name: 'stempel_dev_audit' });
      const table = only(template, 'AWS::Glue::Table');
      const exportBucket = bucketId('DataAuditExport');
      const events = { 'Fn::Join': ['', ['s3://', { Ref: exportBucket }, '/events/']] };
      expect(table.Properties).toMatchObject({
        DatabaseName: 'stempel_dev_audit',
        TableInput: {
          Name: 'events',
          TableType: 'EXTERNAL_TABLE',
          PartitionKeys: [{ Name: 'date', Type: 'string' }],
          Parameters: {
            'projection.enabled': 'true',
            'projection.date.type': 'date',
            'projection.date.format': 'yyyy-MM-dd',
            'projection.date.range': '2026-01-01,NOW',
            'projection.date.interval': '1',
            'projection.date.interval.unit': 'DAYS',
            'storage.location.template': {
              // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholder
              'Fn::Join': ['', ['s3://', { Ref: exportBucket }, '/events/date=${date}/']],
            },
          },
          StorageDescriptor: {
            Location: events,
            SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          },
        },
      });
      const columns = (
        table.Properties.TableInput as { StorageDescriptor: { Columns: { Name: string; Type: string }[] } }
      ).StorageDescriptor.Columns;
      expect(columns.map((c) => `${c.Name} ${c.Type}`)).toEqual([
        'index bigint',
        'entry string',
        'treesize bigint',
        'inclusionproof array<string>',
        'at string',
        'action string',
        'actor string',
        'target string',
        'outcome string',
        'reason string',
        'changes string',
        'requestid string',
      ]);
      expect(columns).toHaveLength(AUDIT_EVENT_COLUMNS.length);
    });

    it('has an Athena workgroup that enforces encrypted results in a bucket of its own', () => {
      const workGroup = only(template, 'AWS::Athena::WorkGroup');
      const results = bucketId('AuditAnalyticsResults');
      expect(workGroup.Properties).toMatchObject({
        Name: 'stempel-dev-audit',
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          ResultConfiguration: {
            OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: results }, '/']] },
            EncryptionConfiguration: {
              EncryptionOption: 'SSE_KMS',
              KmsKey: { 'Fn::GetAtt': [expect.stringMatching(/^DataDataKey/), 'Arn'] },
            },
          },
        },
      });
      const bucket = resourcesOf(template, 'AWS::S3::Bucket')[results] as Resource;
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
        },
        LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 30 })] },
        LoggingConfiguration: { LogFilePrefix: 'audit-query-results/' },
      });
      const policy = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(
        (p) => (p.Properties.Bucket as { Ref?: string }).Ref === results,
      );
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    });

    it('saves the audit queries of shared/audit-queries.ts in the workgroup', () => {
      const named = Object.values(resourcesOf(template, 'AWS::Athena::NamedQuery'));
      expect(named.map((q) => q.Properties.Name).sort()).toEqual(AUDIT_QUERIES.map((q) => q.name).sort());
      for (const query of AUDIT_QUERIES) {
        const found = named.find((q) => q.Properties.Name === query.name) as Resource;
        expect(found.Properties).toMatchObject({
          Database: 'stempel_dev_audit',
          WorkGroup: 'stempel-dev-audit',
          QueryString: query.sql,
        });
        expect(query.sql.split('?').length - 1, query.name).toBe(query.parameters.length);
      }
      const sql = (name: string) => AUDIT_QUERIES.find((q) => q.name === name)?.sql ?? '';
      expect(sql('failed-logins-per-user-per-day')).toMatch(/action = 'auth\.login' AND outcome = 'failure'/);
      expect(sql('failed-logins-per-user-per-day')).toMatch(/GROUP BY "date", target/);
      expect(sql('actions-of-one-actor')).toMatch(/WHERE actor = \?/);
      expect(sql('role-changes')).toMatch(/action = 'user\.update_roles'/);
      expect(sql('document-access')).toMatch(
        /action IN \('notarization\.receipt', 'notarization\.file', 'notarization\.timestamp', 'notarization\.get'\)\n {2}AND target = \?/,
      );
    });
  });

  describe('alarms', () => {
    const alarm = (name: string) => {
      const found = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === `stempel-dev-${name}`,
      );
      if (!found) throw new Error(`no alarm ${name}`);
      return found;
    };
    const topicId = () => Object.keys(resourcesOf(template, 'AWS::SNS::Topic'))[0] as string;

    it('notifies an SNS topic encrypted with its own rotating key, TLS only, no subscribers by default', () => {
      const topic = only(template, 'AWS::SNS::Topic');
      const keyId = (topic.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const key = resourcesOf(template, 'AWS::KMS::Key')[keyId] as Resource;
      expect(key.Properties.EnableKeyRotation).toBe(true);
      // CloudWatch must be able to encrypt for the topic (the AWS managed SNS key would not let it).
      expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
      const policy = only(template, 'AWS::SNS::TopicPolicy');
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('subscribes the stage config alarm emails', () => {
      const { template: withEmails } = synthStempel({ alarmEmails: 'ops@example.com, oncall@example.com' });
      const subscriptions = Object.values(resourcesOf(withEmails, 'AWS::SNS::Subscription'));
      expect(subscriptions.map((s) => s.Properties.Endpoint).sort()).toEqual([
        'oncall@example.com',
        'ops@example.com',
      ]);
      for (const s of subscriptions) expect(s.Properties.Protocol).toBe('email');
    }, 120_000);

    it('alarms on external TSA failures in 2 of 3 five-minute periods', () => {
      expect(alarm('AnchorFailures').Properties).toMatchObject({
        Namespace: 'Stempel',
        MetricName: 'AnchorFailures',
        Dimensions: [{ Name: 'service', Value: 'stempel-anchor' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms on any quarantined entry', () => {
      expect(alarm('EntriesQuarantined').Properties).toMatchObject({
        Namespace: 'Stempel',
        MetricName: 'EntriesQuarantined',
        Dimensions: [{ Name: 'service', Value: 'stempel-integrator' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    });

    it("alarms on anything in the anchor function's failure queue", () => {
      const properties = alarm('AnchorRunsFailed').Properties;
      expect(properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(JSON.stringify(properties.Dimensions)).toMatch(/AnchorFailures[0-9A-F]{8}/);
    });

    it('alarms on any quarantined audit event', () => {
      expect(alarm('AuditEventsQuarantined').Properties).toMatchObject({
        Namespace: 'Stempel',
        MetricName: 'AuditQuarantined',
        Dimensions: [{ Name: 'service', Value: 'stempel-integrator' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('alarms on webhook jobs in the dead-letter queue, which the delivery queue redrives to after 9 receives', () => {
      const queues = resourcesOf(template, 'AWS::SQS::Queue');
      const [deliveriesId, deliveries] =
        Object.entries(queues).find(([id]) => id.startsWith('WebhooksDeliveries')) ?? [];
      const [deadLettersId] =
        Object.entries(queues).find(([id]) => id.startsWith('WebhooksDeadLetters')) ?? [];
      expect(deliveriesId).toBeDefined();
      expect(deliveries?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 9 },
      });
      const dlqAlarm = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === 'stempel-dev-WebhookDeadLetters',
      );
      expect(dlqAlarm?.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLettersId, 'QueueName'] } }],
        Threshold: 0,
      });
    });

    it('sends ALARM and OK to the topic from every alarm', () => {
      const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
      // The five pipeline alarms, and the operational ones (test/infra/operations.test.ts).
      expect(alarms.length).toBeGreaterThan(5);
      for (const a of alarms) {
        expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId() }]);
        expect(a.Properties.OKActions).toEqual([{ Ref: topicId() }]);
        expect(a.Properties.AlarmDescription).toEqual(expect.any(String));
      }
    });
  });

  describe('data', () => {
    it.each(tables.map((t) => [t.id, t] as const))(
      '%s table: on-demand, PITR, protected, CMK, retained',
      (_, def) => {
        const table = Object.entries(resourcesOf(template, 'AWS::DynamoDB::Table')).find(([id]) =>
          id.startsWith(`Data${def.id}`),
        )?.[1];
        expect(table).toBeDefined();
        expect(table?.DeletionPolicy).toBe('Retain');
        expect(table?.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
          },
          KeySchema: [
            { AttributeName: def.partitionKey, KeyType: 'HASH' },
            ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' }] : []),
          ],
        });
        expect(table?.Properties.TableName).toBeUndefined();
        const gsis = (table?.Properties.GlobalSecondaryIndexes ?? []) as {
          IndexName: string;
          Projection: unknown;
        }[];
        expect(gsis.map((g) => g.IndexName)).toEqual(def.indexes.map((i) => i.indexName));
        for (const [i, g] of gsis.entries()) {
          const { include } = def.indexes[i] as { include?: readonly string[] };
          expect(g.Projection).toEqual(
            include
              ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...include] }
              : { ProjectionType: 'ALL' },
          );
        }
        expect(table?.Properties.TimeToLiveSpecification).toEqual(
          def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : undefined,
        );
        expect(table?.Properties.StreamSpecification).toEqual(
          def.stream ? { StreamViewType: def.stream } : undefined,
        );
      },
    );

    it('encrypts the tables with the rotating data key', () => {
      template.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
      });
    });

    it('signs access tokens, log checkpoints and audit checkpoints with three separate Ed25519 KMS keys', () => {
      const signing = Object.values(resourcesOf(template, 'AWS::KMS::Key')).filter(
        (k) => k.Properties.KeySpec === 'ECC_NIST_EDWARDS25519',
      );
      expect(signing).toHaveLength(3);
      for (const key of signing) {
        expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
        expect(key.DeletionPolicy).toBe('Retain');
      }
    });

    it('signs pagination cursors with an HMAC-SHA-256 KMS key, retained', () => {
      const mac = Object.values(resourcesOf(template, 'AWS::KMS::Key')).filter(
        (k) => k.Properties.KeyUsage === 'GENERATE_VERIFY_MAC',
      );
      expect(mac).toHaveLength(1);
      expect(mac[0]?.Properties.KeySpec).toBe('HMAC_256');
      expect(mac[0]?.DeletionPolicy).toBe('Retain');
    });

    it('keeps documents in a private, versioned, TLS-only, SSE-KMS bucket with access logs', () => {
      template.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        Properties: {
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                BucketKeyEnabled: true,
                ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
              },
            ],
          },
          VersioningConfiguration: { Status: 'Enabled' },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          LoggingConfiguration: {
            DestinationBucketName: { Ref: Match.anyValue() },
            LogFilePrefix: 'documents/',
          },
        },
      });
      for (const policy of Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy'))) {
        expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      }
    });

    it('stores valid settings JSON in /stempel/dev/settings', () => {
      const parameter = Object.values(resourcesOf(template, 'AWS::SSM::Parameter')).find(
        (p) => p.Properties.Name === '/stempel/dev/settings',
      ) as Resource;
      expect(parameter.Properties).toMatchObject({ Name: '/stempel/dev/settings', Type: 'String' });
      const settings = JSON.parse(parameter.Properties.Value as string);
      expect(settingsSchema.parse(settings)).toEqual(settings);
    });
  });

  it('synthesizes without CDK warnings or errors (acknowledged ones aside)', () => {
    const annotations = Annotations.fromStack(synthesized.stack);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  });

  it('outputs the API URLs, the key ids, the TSA chain parameter and the alarm topic', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'BinaryApiUrl',
        'LogTilesPrefix',
        'DataKeyId',
        'TokenSigningKeyId',
        'LogSigningKeyId',
        'CursorKeyId',
        'TsaSigningKeyId',
        'TsaCaKeyId',
        'TsaCertificatesParameterName',
        'AlarmTopicArn',
        'AuditLogSigningKeyId',
        'AuditExportBucketName',
        'AuditGlueDatabaseName',
        'AuditAthenaWorkGroupName',
      ]),
    );
    expect(JSON.stringify(outputs.BinaryApiUrl?.Value)).toMatch(/TilesApi/);
  });
});
