import { App, Duration, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { StempelData, unnotarizedUploadLifetime } from '../../lib/data';
import { stageConfig } from '../../lib/stage-config';
import { settingsSchema } from '../../shared/core/settings';
import { FUNCTION_GROUPS } from '../../shared/http/routes';
import { ENV } from '../../shared/runtime/environment';
import {
  auditTable,
  DOCUMENT_CORS_HEADERS,
  DOCUMENT_CORS_MAX_AGE_SECONDS,
  documentsBucket,
  filesTable,
  notarizationsTable,
} from '../../shared/tables';
import { BACKGROUND_FUNCTIONS, functionId, type Resource, resourcesOf, roleId, synthStempel } from './synth';

/*
 * Documents in S3 (docs/files.md): the bucket that only takes SSE-C writes,
 * its lifecycle and CORS, the Files table, and exactly what the notarizations
 * function and the verifier (which hashes uploads handed over through the
 * Files table's stream) may do with them.
 */

const ALL_FUNCTIONS = [...FUNCTION_GROUPS, 'authorizer', ...BACKGROUND_FUNCTIONS] as const;

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const objectsUnder = (bucketId: string, pattern: string) => ({
  'Fn::Join': ['', [getAtt(bucketId), `/${pattern}`]],
});
/** Statements compared with their actions sorted (the order of actions means nothing to IAM). */
const normalized = (statements: Statement[]) =>
  statements.map((s) => ({ ...s, Action: [...list(s.Action)].sort() }));

/** The one resource of this type whose logical id is `<prefix><8 hex digits>`. */
function byPrefix(template: Template, type: string, prefix: string): [string, Resource] {
  const found = Object.entries(resourcesOf(template, type)).filter(([id]) =>
    new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id),
  );
  expect(found, `${type} ${prefix}`).toHaveLength(1);
  return found[0] as [string, Resource];
}

function roleStatements(template: Template, name: string): Statement[] {
  const id = roleId(template, name);
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === id))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function bucketPolicy(template: Template, bucketId: string): Statement[] {
  const policies = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).filter(
    (p) => (p.Properties.Bucket as { Ref?: string }).Ref === bucketId,
  );
  expect(policies).toHaveLength(1);
  return ((policies[0] as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

/** What the lifecycle of the documents bucket must be with the default upload expiry (an hour). */
const DOCUMENT_LIFECYCLE = [
  {
    Id: 'ExpireUnnotarizedUploads',
    Status: 'Enabled',
    TagFilters: [{ Key: 'stempel-state', Value: 'uploaded' }],
    ExpirationInDays: 1,
  },
  {
    Id: 'AbortIncompleteMultipartUploads',
    Status: 'Enabled',
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
  },
  {
    Id: 'ExpireNoncurrentVersions',
    Status: 'Enabled',
    NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    ExpiredObjectDeleteMarker: true,
  },
];

describe('documents (dev, no CORS origin)', () => {
  let template: Template;
  let bucketId: string;
  let bucket: Resource;
  beforeAll(() => {
    template = synthStempel({ stage: 'dev' }).template;
    [bucketId, bucket] = byPrefix(template, 'AWS::S3::Bucket', `Data${documentsBucket.id}`);
  }, 120_000);

  describe('bucket', () => {
    it('keeps SSE-KMS with the data key as default encryption and explicitly allows SSE-C writes', () => {
      const [dataKeyId] = byPrefix(template, 'AWS::KMS::Key', 'DataDataKey');
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt(dataKeyId) },
            // New buckets block SSE-C writes unless told otherwise (S3 default since April 2026).
            BlockedEncryptionTypes: { EncryptionType: ['NONE'] },
          },
        ],
      });
    });

    it('denies every object write (PutObject, UploadPart, Create/CompleteMultipartUpload) without SSE-C', () => {
      const statements = bucketPolicy(template, bucketId);
      expect(statements.filter((s) => s.Sid === 'DenyWritesWithoutSseC')).toEqual([
        {
          Sid: 'DenyWritesWithoutSseC',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:PutObject',
          Resource: objectsUnder(bucketId, '*'),
          Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'true' } },
        },
      ]);
    });

    it('denies requests without TLS, and its policy allows nothing to anyone', () => {
      const statements = bucketPolicy(template, bucketId);
      expect(statements).toContainEqual({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [getAtt(bucketId), objectsUnder(bucketId, '*')],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(statements.filter((s) => s.Effect !== 'Deny')).toEqual([]);
      expect(statements).toHaveLength(2);
    });

    it('expires uploads never notarized and unfinished multipart uploads, and old versions, after a day', () => {
      expect(bucket.Properties.LifecycleConfiguration).toEqual({ Rules: DOCUMENT_LIFECYCLE });
    });

    it('is private, versioned, access-logged and retained', () => {
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { LogFilePrefix: 'documents/' },
      });
    });

    it('has no CORS rule when the stage configures no origin', () => {
      expect(bucket.Properties.CorsConfiguration).toBeUndefined();
    });

    it('leaves the access-log bucket as it was (S3-managed keys, its own lifecycle, no CORS)', () => {
      const [logsId, logs] = byPrefix(template, 'AWS::S3::Bucket', 'DataAccessLogs');
      expect(logs.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(logs.Properties.LifecycleConfiguration).toEqual({
        Rules: [
          {
            ExpirationInDays: 90,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            Status: 'Enabled',
          },
        ],
      });
      expect(logs.Properties.CorsConfiguration).toBeUndefined();
      expect(JSON.stringify(bucketPolicy(template, logsId))).not.toContain('customer-algorithm');
    });
  });

  describe('Files table', () => {
    it('expires records by TTL on expiresAt, has no index, streams new images, and is encrypted like the others', () => {
      const [, table] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${filesTable.id}`);
      const [dataKeyId] = byPrefix(template, 'AWS::KMS::Key', 'DataDataKey');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt(dataKeyId) },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
      expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
      // The verifier's trigger: uploads handed over for hashing.
      expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    });
  });

  describe('notarizations function', () => {
    it('learns the Files table, the bucket and the data key from its environment', () => {
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[
        functionId(template, 'notarizations')
      ] as Resource;
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const [filesId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${filesTable.id}`);
      const [dataKeyId] = byPrefix(template, 'AWS::KMS::Key', 'DataDataKey');
      expect(vars[filesTable.envVar]).toEqual({ Ref: filesId });
      expect(vars[documentsBucket.envVar]).toEqual({ Ref: bucketId });
      expect(vars[ENV.dataKeyId]).toEqual({ Ref: dataKeyId });
    });

    it('may do exactly the upload and download object actions, only under owners/, and list the bucket', () => {
      const onBucket = roleStatements(template, 'notarizations').filter((s) =>
        JSON.stringify(s.Resource).includes(`"${bucketId}"`),
      );
      expect(normalized(onBucket)).toEqual([
        {
          Effect: 'Allow',
          Action: [
            's3:AbortMultipartUpload',
            's3:DeleteObject',
            's3:GetObject',
            's3:ListMultipartUploadParts',
            's3:PutObject',
            's3:PutObjectTagging',
          ],
          Resource: objectsUnder(bucketId, 'owners/*'),
        },
        // So that HEAD of a missing object is 404, not 403.
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: getAtt(bucketId) },
      ]);
    });

    it('reads and writes the Files table (no delete, no query) with the table key through DynamoDB', () => {
      const [filesId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${filesTable.id}`);
      const [dataKeyId] = byPrefix(template, 'AWS::KMS::Key', 'DataDataKey');
      const statements = roleStatements(template, 'notarizations');
      const onFiles = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${filesId}"`));
      expect(normalized(onFiles)).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: getAtt(filesId),
        },
      ]);
      expect(normalized(statements)).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: getAtt(dataKeyId),
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      });
    });

    it('also updates notarizations (attaching a file)', () => {
      const [notarizationsId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${notarizationsTable.id}`);
      const onTable = roleStatements(template, 'notarizations').filter((s) =>
        list(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(getAtt(notarizationsId))),
      );
      expect(normalized(onTable)).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
          Resource: getAtt(notarizationsId),
        },
        expect.objectContaining({ Action: ['dynamodb:Query'] }),
      ]);
    });

    it('wraps and unwraps owner keys with the data key directly, only for the owner-file-key purpose', () => {
      const [dataKeyId] = byPrefix(template, 'AWS::KMS::Key', 'DataDataKey');
      const direct = roleStatements(template, 'notarizations').filter(
        (s) =>
          JSON.stringify(s.Resource) === JSON.stringify(getAtt(dataKeyId)) &&
          !JSON.stringify(s.Condition).includes('kms:ViaService'),
      );
      expect(normalized(direct)).toEqual([
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:Encrypt'],
          Resource: getAtt(dataKeyId),
          Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'owner-file-key' } },
        },
      ]);
    });

    it('is, with the verifier, the only function with object access or access to the Files table', () => {
      const [filesId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${filesTable.id}`);
      for (const name of ALL_FUNCTIONS) {
        if (name === 'notarizations' || name === 'verifier') continue;
        const statements = roleStatements(template, name);
        // The audit export writes to its own bucket, never to this one (checked in stempel-stack.test.ts).
        const s3 = statements.filter(
          (s) =>
            list(s.Action).some((a) => a.startsWith('s3:')) &&
            !(name === 'audit-export' && !JSON.stringify(s.Resource).includes(`"${bucketId}"`)),
        );
        expect(
          s3.flatMap((s) => list(s.Action)).filter((a) => a !== 's3:ListBucket'),
          name,
        ).toEqual([]);
        expect(JSON.stringify(s3), name).not.toContain('/owners/');
        const onFiles = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${filesId}"`));
        // The public function's health check describes every table, Files included; the privacy
        // function deletes an owner's wrapped key (crypto-shredding) and can do nothing else there.
        expect(
          onFiles.flatMap((s) => list(s.Action)).filter((a) => a !== 'dynamodb:DescribeTable'),
          name,
        ).toEqual(name === 'privacy' ? ['dynamodb:DeleteItem'] : []);
      }
    });
  });
});

describe('verifier (dev)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthStempel({ stage: 'dev' }).template;
  }, 120_000);

  it('learns the tables, the bucket, the data key and the settings from its environment, no other key', () => {
    const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId(template, 'verifier')] as Resource;
    const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const [filesId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${filesTable.id}`);
    const [notarizationsId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${notarizationsTable.id}`);
    const [bucketId] = byPrefix(template, 'AWS::S3::Bucket', `Data${documentsBucket.id}`);
    const [dataKeyId] = byPrefix(template, 'AWS::KMS::Key', 'DataDataKey');
    const [settingsId] = byPrefix(template, 'AWS::SSM::Parameter', 'DataSettings');
    expect(vars).toMatchObject({
      [filesTable.envVar]: { Ref: filesId },
      [notarizationsTable.envVar]: { Ref: notarizationsId },
      [documentsBucket.envVar]: { Ref: bucketId },
      [ENV.dataKeyId]: { Ref: dataKeyId },
      [ENV.settingsParameter]: { Ref: settingsId },
      POWERTOOLS_SERVICE_NAME: 'stempel-verifier',
    });
    for (const key of [ENV.tokenKeyId, ENV.logKeyId, ENV.cursorKeyId]) expect(vars[key], key).toBeUndefined();
  });

  it('may do exactly what hashing, notarizing and rejecting a handed-over upload needs', () => {
    const [filesId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${filesTable.id}`);
    const [notarizationsId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${notarizationsTable.id}`);
    const [bucketId] = byPrefix(template, 'AWS::S3::Bucket', `Data${documentsBucket.id}`);
    const [dataKeyId] = byPrefix(template, 'AWS::KMS::Key', 'DataDataKey');
    const [settingsId] = byPrefix(template, 'AWS::SSM::Parameter', 'DataSettings');
    const [logsId] = byPrefix(template, 'AWS::Logs::LogGroup', 'VerifierFunctionLogs');
    const [queueId] = byPrefix(template, 'AWS::SQS::Queue', 'VerifierFailures');
    const [auditId] = byPrefix(template, 'AWS::DynamoDB::Table', `Data${auditTable.id}`);
    const regional = (prefix: string) => ({
      'Fn::Join': ['', [prefix, { Ref: 'AWS::Region' }, '.amazonaws.com']],
    });
    expect(normalized(roleStatements(template, 'verifier'))).toEqual(
      normalized([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: getAtt(logsId),
        },
        // The upload: read it, record the outcome. No put, no delete, no query.
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: getAtt(filesId) },
        // The notarization: a conditional put, and attaching the file.
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: getAtt(notarizationsId),
        },
        // Its audit events: new items of the Audit table, nothing else there.
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: getAtt(auditId) },
        // The Files table's stream, as the integrator reads the notarizations stream.
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: getAtt(filesId, 'StreamArn'),
        },
        { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
        // The table key, only through DynamoDB and DynamoDB Streams.
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: getAtt(dataKeyId),
          Condition: {
            StringEquals: { 'kms:ViaService': [regional('dynamodb.'), regional('streams.dynamodb.')] },
          },
        },
        // The data key directly: unwrapping owner keys only (never kms:Encrypt: it creates none).
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: getAtt(dataKeyId),
          Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'owner-file-key' } },
        },
        // Ranged GETs, the state tag of a notarized object, removing a rejected upload; only under owners/.
        {
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObjectTagging'],
          Resource: objectsUnder(bucketId, 'owners/*'),
        },
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ssm:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':parameter',
                { Ref: settingsId },
              ],
            ],
          },
        },
        {
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
        // The event source mapping's failure queue.
        {
          Effect: 'Allow',
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Resource: getAtt(queueId),
        },
      ]),
    );
  });
});

describe('documents with CORS origins (prod)', () => {
  const origins = ['https://console.example.com', 'https://admin.example.com'];
  let bucket: Resource;
  beforeAll(() => {
    const { template } = synthStempel({ stage: 'prod', corsOrigins: origins.join(',') });
    [, bucket] = byPrefix(template, 'AWS::S3::Bucket', `Data${documentsBucket.id}`);
  }, 120_000);

  it('lets exactly the configured origins PUT, GET and HEAD with the upload and SSE-C headers', () => {
    expect(bucket.Properties.CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedOrigins: origins,
          AllowedMethods: ['PUT', 'GET', 'HEAD'],
          AllowedHeaders: [
            'content-type',
            'x-amz-checksum-sha256',
            'x-amz-tagging',
            'x-amz-server-side-encryption-customer-algorithm',
            'x-amz-server-side-encryption-customer-key',
            'x-amz-server-side-encryption-customer-key-md5',
          ],
          ExposedHeaders: ['ETag'],
          MaxAge: DOCUMENT_CORS_MAX_AGE_SECONDS,
        },
      ],
    });
    expect(DOCUMENT_CORS_HEADERS).not.toContain('*');
    expect(DOCUMENT_CORS_MAX_AGE_SECONDS).toBeGreaterThan(0);
    expect(DOCUMENT_CORS_MAX_AGE_SECONDS).toBeLessThanOrEqual(7200); // what browsers honour at most
  });

  it('keeps the same lifecycle on prod', () => {
    expect(bucket.Properties.LifecycleConfiguration).toEqual({ Rules: DOCUMENT_LIFECYCLE });
  });
});

describe('lifetime of uploads never notarized', () => {
  it.each([
    [60, 1],
    [3600, 1],
    [86_399, 1],
    [86_400, 2],
    [7 * 86_400, 8],
  ])('is at least a day, and longer than an upload of %i s stays usable: %i days', (seconds, days) => {
    expect(unnotarizedUploadLifetime({ uploadExpirySeconds: seconds }).toDays()).toBe(days);
  });

  it('follows settings.uploadExpirySeconds in the lifecycle; old versions still go after a day', () => {
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    const stack = new Stack(app, 'Bare');
    const settings = settingsSchema.parse({
      ...stageConfig('dev').settings,
      uploadExpirySeconds: 3 * 86_400,
    });
    const data = new StempelData(stack, 'Data', {
      stage: 'dev',
      settings,
      accessLogExpiration: Duration.days(1),
      corsOrigins: [],
      tsaCertificateAuthority: true,
      auditRetentionDays: 1,
    });
    // Resolved without a synth: the restricted keys of this bare StempelData have no users.
    const cfn = data.bucket(documentsBucket).node.defaultChild as CfnBucket;
    const rules = (stack.resolve(cfn.lifecycleConfiguration) as { rules: Record<string, unknown>[] }).rules;
    expect(rules).toEqual([
      expect.objectContaining({ id: 'ExpireUnnotarizedUploads', expirationInDays: 4 }),
      expect.objectContaining({
        id: 'AbortIncompleteMultipartUploads',
        abortIncompleteMultipartUpload: { daysAfterInitiation: 4 },
      }),
      expect.objectContaining({
        id: 'ExpireNoncurrentVersions',
        noncurrentVersionExpiration: { noncurrentDays: 1 },
      }),
    ]);
  });
});
