import { Aws } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import {
  anchorsTable,
  auditTable,
  documentsBucket,
  filesTable,
  identityTable,
  kpisTable,
  liveConnectionsTable,
  logTable,
  notarizationsTable,
  type TableDefinition,
  webhooksTable,
} from '../shared/tables';
import { AUDIT_EXPORT_BUCKET, AUDIT_EXPORT_PREFIXES, type StempelData } from './data';
import type { FunctionName, LiveFunctionName } from './functions';

/** An Allow statement for exactly these actions on exactly these resources. */
export const allow = (
  actions: string[],
  resources: string[],
  conditions?: Record<string, Record<string, unknown>>,
): PolicyStatement =>
  new PolicyStatement({ effect: Effect.ALLOW, actions, resources, ...(conditions ? { conditions } : {}) });

type IndexName<T extends TableDefinition> = T['indexes'][number]['indexName'];

/** The ARN of one named index (never `index/*`). */
const indexArn = <T extends TableDefinition>(table: ITable, def: T, name: IndexName<T>): string => {
  if (!def.indexes.some((i) => i.indexName === name)) throw new Error(`${def.id} has no index ${name}`);
  return `${table.tableArn}/index/${name}`;
};

const dynamo = (actions: string[], resources: string[]) =>
  allow(
    actions.map((a) => `dynamodb:${a}`),
    resources,
  );

/** Where the documents are: `owners/<owner id>/<upload id>` (docs/files.md). */
export const DOCUMENT_PREFIX = 'owners/';

/** The KMS encryption context `purpose` of wrapped owner keys (shared/core/owner-keys.ts). */
export const OWNER_FILE_KEY_PURPOSE = 'owner-file-key';

/**
 * Each function's permissions, written out statement by statement.
 *
 * The tables are encrypted with the customer managed data key, which DynamoDB
 * uses on behalf of the calling principal. Readers get kms:Decrypt and
 * kms:DescribeKey, writers also kms:Encrypt and kms:GenerateDataKey (the set
 * CDK's own grantReadData / grantWriteData give, without ReEncrypt), and only
 * through DynamoDB (kms:ViaService). The only direct uses of the key are
 * kms:Encrypt and kms:Decrypt of small secrets, each allowed only with its own
 * encryption context `purpose`: auth's TOTP secrets (`totp`) and the
 * notarizations function's wrapped owner keys (`owner-file-key`, which the
 * verifier may only decrypt). The stream consumers (integrator, verifier) use
 * the table key through DynamoDB Streams as well.
 *
 * The documents bucket holds SSE-C objects: S3 encrypts them with a key sent in
 * the request, so object access needs no KMS permission.
 *
 * TransactWriteItems is authorized per contained operation, so the Put-only
 * transactions in the stores need dynamodb:PutItem and nothing more (and the
 * tsa function's Put-and-Update transaction PutItem and UpdateItem).
 *
 * Every function that records audit events (the API functions with audited
 * routes, and the verifier) may only put new items into the Audit table
 * (dynamodb:PutItem, nothing else there): an event is never changed by the
 * function that wrote it. The integrator seals them into the audit log, the
 * audit function reads them through its four listing indexes (never Scan),
 * and audit-export reads them from the table's stream only.
 *
 * `tsaChain` is the SSM parameter with the TSA's certificate chain (lib/tsa.ts).
 */
export function functionPolicies(
  data: StempelData,
  tsaChain: IStringParameter,
): Record<Exclude<FunctionName, WebhookQueueFunction | LiveFunctionName>, PolicyStatement[]> {
  const identity = data.table(identityTable);
  const notarizations = data.table(notarizationsTable);
  const log = data.table(logTable);
  const files = data.table(filesTable);
  const anchors = data.table(anchorsTable);
  const audit = data.table(auditTable);
  const kpis = data.table(kpisTable);
  const documents = data.bucket(documentsBucket);
  const auditExport = data.bucket(AUDIT_EXPORT_BUCKET);
  const webhookTable = data.table(webhooksTable);
  const notarizationsStream = notarizations.tableStreamArn;
  if (!notarizationsStream) throw new Error('the notarizations table needs its stream for the integrator');
  const filesStream = files.tableStreamArn;
  if (!filesStream) throw new Error('the Files table needs its stream for the verifier');
  const auditStream = audit.tableStreamArn;
  if (!auditStream) throw new Error('the Audit table needs its stream for the integrator and the export');

  const viaDynamo = { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } };
  const tableKeyForWriters = allow(
    ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
    [data.dataKey.keyArn],
    viaDynamo,
  );
  const tableKeyForReaders = allow(['kms:Decrypt', 'kms:DescribeKey'], [data.dataKey.keyArn], viaDynamo);
  // A stream consumer's role also reads the stream records of a table under the data key, which goes
  // through DynamoDB Streams (Lambda's poller reads them with the function's role).
  const tableKeyForStreamConsumers = allow(
    ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
    [data.dataKey.keyArn],
    {
      StringEquals: {
        'kms:ViaService': [
          `dynamodb.${Aws.REGION}.amazonaws.com`,
          `streams.dynamodb.${Aws.REGION}.amazonaws.com`,
        ],
      },
    },
  );
  /** Reading one table's stream (DescribeStream, GetRecords, GetShardIterator) and ListStreams, which has no resource. */
  const readStream = (streamArn: string) => [
    dynamo(['DescribeStream', 'GetRecords', 'GetShardIterator'], [streamArn]),
    dynamo(['ListStreams'], ['*']),
  ];
  const readSettings = allow(['ssm:GetParameter'], [data.settingsParameter.parameterArn]);
  // Receipts, checkpoints and proofs: the head and leaves (GetItem) and tree nodes (BatchGetItem).
  const readLog = dynamo(['GetItem', 'BatchGetItem'], [log.tableArn]);
  // Signing and checking pagination cursors (the key policy allows these two roles and no one else).
  const macCursors = allow(['kms:GenerateMac', 'kms:VerifyMac'], [data.cursorKey.keyArn]);
  // Recording audit events: new items only (a transaction's Put is authorized as PutItem).
  const recordAudit = dynamo(['PutItem'], [audit.tableArn]);
  // Erasing an event's personal fields (REMOVE personal, salt; SET erasedAt): UpdateItem limited to
  // exactly those attributes, so no other field of any event can be changed.
  const eraseAuditPersonal = allow(['dynamodb:UpdateItem'], [audit.tableArn], {
    'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'personal', 'salt', 'erasedAt'] },
  });
  const findAuditBySubject = dynamo(
    ['Query'],
    (['byActor', 'byTarget'] as const).map((name) => indexArn(audit, auditTable, name)),
  );
  // The audit log's verifier key (its private half signs only in the integrator).
  const auditPublicKey = allow(['kms:GetPublicKey'], [data.auditKey.keyArn]);

  return {
    authorizer: [
      dynamo(['GetItem'], [identity.tableArn]),
      tableKeyForReaders,
      allow(['kms:GetPublicKey'], [data.tokenKey.keyArn]),
      readSettings,
    ],
    auth: [
      // Users, sessions (Put, Update), the access-token deny-list (Put) and login attempts (Update, Delete).
      dynamo(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], [identity.tableArn]),
      recordAudit,
      tableKeyForWriters,
      // TOTP secrets are sealed with the data key directly, and only for that purpose.
      allow(['kms:Encrypt', 'kms:Decrypt'], [data.dataKey.keyArn], {
        StringEquals: { 'kms:EncryptionContext:purpose': 'totp' },
      }),
      allow(['kms:Sign', 'kms:GetPublicKey'], [data.tokenKey.keyArn]),
      readSettings,
    ],
    users: [
      // Create (Put), roles and disabling (Update), delete and unlock (Delete).
      dynamo(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], [identity.tableArn]),
      dynamo(['Query'], [identity.tableArn, indexArn(identity, identityTable, 'byList')]),
      recordAudit,
      tableKeyForWriters,
      macCursors,
      readSettings,
    ],
    notarizations: [
      // Scan: the admin's listing of all notarizations; UpdateItem: attaching a file to one.
      dynamo(['GetItem', 'PutItem', 'UpdateItem', 'Scan'], [notarizations.tableArn]),
      dynamo(
        ['Query'],
        [
          notarizations.tableArn,
          indexArn(notarizations, notarizationsTable, 'bySha256'),
          indexArn(notarizations, notarizationsTable, 'byOwner'),
          // Back-pressure: the age of the oldest pending notarization.
          indexArn(notarizations, notarizationsTable, 'byPending'),
        ],
      ),
      // Uploads (Put, conditional claims and outcomes with Update) and wrapped owner keys (created with Update).
      dynamo(['GetItem', 'PutItem', 'UpdateItem'], [files.tableArn]),
      readLog,
      // Receipts are completed with the earliest external anchor that covers their entry (one Query).
      dynamo(['Query'], [anchors.tableArn]),
      // Certificates print the log's verifier key.
      allow(['kms:GetPublicKey'], [data.logKey.keyArn]),
      recordAudit,
      tableKeyForWriters,
      // Owner keys are wrapped with the data key directly, and only for that purpose.
      allow(['kms:Encrypt', 'kms:Decrypt'], [data.dataKey.keyArn], {
        StringEquals: { 'kms:EncryptionContext:purpose': OWNER_FILE_KEY_PURPOSE },
      }),
      // Documents, only under owners/ (SSE-C, so S3 needs no KMS key for them): presigned PUTs and
      // parts, CreateMultipartUpload and CompleteMultipartUpload (PutObject), the state tag on upload
      // and on notarizing (PutObjectTagging), ListParts, AbortMultipartUpload, HeadObject and ranged
      // GETs (GetObject) and deleting a rejected upload (DeleteObject).
      allow(
        [
          's3:PutObject',
          's3:PutObjectTagging',
          's3:ListMultipartUploadParts',
          's3:AbortMultipartUpload',
          's3:GetObject',
          's3:DeleteObject',
        ],
        [documents.arnForObjects(`${DOCUMENT_PREFIX}*`)],
      ),
      // Without it S3 answers HEAD of a missing object with 403, not 404, and "nothing was uploaded
      // yet" (422 upload_incomplete) could not be told from a real denial. Keys are opaque ids.
      // (A prefix condition would not do: the implicit check of a HEAD carries no prefix.)
      allow(['s3:ListBucket'], [documents.bucketArn]),
      macCursors,
      readSettings,
    ],
    log: [
      readLog,
      tableKeyForReaders,
      allow(['kms:GetPublicKey'], [data.logKey.keyArn]),
      // Both logs live in the Log table; the audit log's verifier key may be served alongside.
      auditPublicKey,
      readSettings,
    ],
    audit: [
      // One event (GetItem) and the listings, each from its index (never the table, never Scan).
      dynamo(['GetItem'], [audit.tableArn]),
      dynamo(
        ['Query'],
        (['byDay', 'byActor', 'byAction', 'byTarget'] as const).map((name) =>
          indexArn(audit, auditTable, name),
        ),
      ),
      // Querying the trail is itself audited (audit.query); erasures change personal fields only.
      recordAudit,
      eraseAuditPersonal,
      // Inclusion proofs and the audit checkpoint: the audit log's head and tiles, read only.
      readLog,
      tableKeyForWriters,
      macCursors,
      auditPublicKey,
      readSettings,
    ],
    'audit-export': [
      // Sealed events arrive on the Audit table's stream (Lambda's poller reads it with this role).
      ...readStream(auditStream),
      // Recorded events are counted into the key figures: a mark (Put) and counters (Update) in one
      // transaction, in the Kpis table only.
      // Active users are marks written in batches (BatchWriteItem), counted when a report asks.
      dynamo(['PutItem', 'UpdateItem', 'BatchWriteItem'], [kpis.tableArn]),
      tableKeyForStreamConsumers,
      // Their inclusion proofs and the signed audit checkpoints: the head and tiles, read only.
      readLog,
      auditPublicKey,
      // Write-once objects under the two export prefixes only; no read, list or delete.
      allow(
        ['s3:PutObject'],
        [
          auditExport.arnForObjects(`${AUDIT_EXPORT_PREFIXES.events}*`),
          auditExport.arnForObjects(`${AUDIT_EXPORT_PREFIXES.checkpoints}*`),
        ],
      ),
      // SSE-KMS with the data key: S3 asks for a data key on the writer's behalf, for this bucket only.
      allow(['kms:GenerateDataKey'], [data.dataKey.keyArn], {
        StringEquals: {
          'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com`,
          'kms:EncryptionContext:aws:s3:arn': auditExport.bucketArn,
        },
      }),
      readSettings,
    ],
    webhooks: [
      // Endpoints: registration (Put), listing (Query of their one partition), enabling (Update), removal.
      dynamo(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'], [webhookTable.tableArn]),
      recordAudit,
      tableKeyForWriters,
      // Endpoint secrets are sealed with the data key directly, and only for that purpose; never opened here.
      allow(['kms:Encrypt'], [data.dataKey.keyArn], {
        StringEquals: { 'kms:EncryptionContext:purpose': WEBHOOK_SECRET_PURPOSE },
      }),
      readSettings,
    ],
    integrator: [
      // The pending queue (sparse byPending index); "already in the log?" (BatchGetItem) and sealing
      // (UpdateItem, and GetItem to tell an erased notarization from a duplicate).
      dynamo(['Query'], [indexArn(notarizations, notarizationsTable, 'byPending')]),
      dynamo(['GetItem', 'BatchGetItem', 'UpdateItem'], [notarizations.tableArn]),
      // The same for audit events, the audit log's queue (sealing and quarantine are UpdateItem).
      dynamo(['Query'], [indexArn(audit, auditTable, 'byPending')]),
      dynamo(['GetItem', 'BatchGetItem', 'UpdateItem'], [audit.tableArn]),
      // Both logs' tiles, entry bundles and heads.
      dynamo(['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], [log.tableArn]),
      // The streams that say "there is work" (Lambda's poller reads them with this role).
      dynamo(['DescribeStream', 'GetRecords', 'GetShardIterator'], [notarizationsStream, auditStream]),
      dynamo(['ListStreams'], ['*']),
      tableKeyForStreamConsumers,
      allow(['kms:Sign', 'kms:GetPublicKey'], [data.logKey.keyArn]),
      allow(['kms:Sign', 'kms:GetPublicKey'], [data.auditKey.keyArn]),
      readSettings,
    ],
    verifier: [
      // The upload handed over for hashing: read it and record the outcome (conditional updates).
      dynamo(['GetItem', 'UpdateItem'], [files.tableArn]),
      // The notarization: created with a conditional put, read back, and the file attached to it.
      dynamo(['GetItem', 'PutItem', 'UpdateItem'], [notarizations.tableArn]),
      recordAudit,
      // The Files table's stream, which hands uploads over (Lambda's poller reads it with this role).
      ...readStream(filesStream),
      tableKeyForStreamConsumers,
      // Unwrapping the owner key to derive the file key; it never wraps (creates) one.
      allow(['kms:Decrypt'], [data.dataKey.keyArn], {
        StringEquals: { 'kms:EncryptionContext:purpose': OWNER_FILE_KEY_PURPOSE },
      }),
      // Documents, only under owners/: ranged GETs (GetObject), keeping a notarized object (the state
      // tag, PutObjectTagging), and removing a rejected upload (DeleteObject, AbortMultipartUpload).
      allow(
        ['s3:GetObject', 's3:DeleteObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
        [documents.arnForObjects(`${DOCUMENT_PREFIX}*`)],
      ),
      readSettings,
    ],
    tsa: [
      // Tokens are notarizations of their own (a conditional Put, in a transaction with the Update that
      // records a notarization's token), read back with GetItem.
      dynamo(['GetItem', 'PutItem', 'UpdateItem'], [notarizations.tableArn]),
      // Back-pressure: the age of the oldest pending notarization, as the notarizations function checks it.
      dynamo(['Query'], [indexArn(notarizations, notarizationsTable, 'byPending')]),
      recordAudit,
      tableKeyForWriters,
      // Signing the tokens (the key policy allows this role and no one else); the chain is in SSM.
      allow(['kms:Sign'], [data.tsaKey.keyArn]),
      allow(['ssm:GetParameter'], [tsaChain.parameterArn]),
      readSettings,
    ],
    anchor: [
      // The log's head (a consistent GetItem), the checkpoint it anchors.
      dynamo(['GetItem'], [log.tableArn]),
      // The latest anchor (a Query), and each TSA's token added to its checkpoint's item, which the
      // first token creates (UpdateItem with if_not_exists; see shared/adapters/dynamo-anchor-store.ts).
      dynamo(['Query', 'UpdateItem'], [anchors.tableArn]),
      tableKeyForWriters,
      // The external TSAs are in the settings; they are called over HTTPS, which needs no permission.
      readSettings,
    ],
    'settings-audit': [
      // The settings' versions (values and who wrote them); the parameter is a plain String, no KMS.
      allow(['ssm:GetParameterHistory'], [data.settingsParameter.parameterArn]),
      recordAudit,
      tableKeyForWriters,
    ],
    privacy: [
      // The person's item, the deletion (with the username, the admin counter and the event in one
      // transaction), and their login counters (Query by username, DeleteItem).
      dynamo(['GetItem', 'UpdateItem', 'DeleteItem', 'Query'], [identity.tableArn]),
      // Their notarizations (byOwner), whose names and metadata are removed (UpdateItem).
      dynamo(['Query'], [indexArn(notarizations, notarizationsTable, 'byOwner')]),
      dynamo(['UpdateItem'], [notarizations.tableArn]),
      // Crypto-shredding: the owner's wrapped file key is deleted from the Files table.
      dynamo(['DeleteItem'], [files.tableArn]),
      // Their audit events (by actor and by target) and the erasure of their personal fields.
      findAuditBySubject,
      eraseAuditPersonal,
      recordAudit,
      tableKeyForWriters,
      readSettings,
    ],
    reports: [
      // Counters by period: Query only (never Scan), on the Kpis table.
      dynamo(['Query'], [kpis.tableArn]),
      // The notarizations report: one owner's (byOwner) or every owner's by day (byDay).
      dynamo(
        ['Query'],
        [
          indexArn(notarizations, notarizationsTable, 'byOwner'),
          indexArn(notarizations, notarizationsTable, 'byDay'),
        ],
      ),
      // Its CSV pages continue from sealed cursors.
      macCursors,
      recordAudit,
      tableKeyForWriters,
      readSettings,
    ],
    public: [
      dynamo(
        ['DescribeTable'],
        data.allTables.map(({ table }) => table.tableArn),
      ),
      // HeadBucket is authorized by s3:ListBucket on the bucket itself (no object access).
      allow(['s3:ListBucket'], [documents.bucketArn]),
      readSettings,
    ],
  };
}

/**
 * The live channel's functions (docs/live.md), built with the WebSocket API
 * whose @connections they post to: `connections` are the ARNs of POST and
 * DELETE on that API's stage's `@connections/*` and nothing else.
 *
 * `live` (the WebSocket routes) checks access tokens exactly as the REST
 * authorizer does (the user's item, the token key's public half, the token
 * settings), records and forgets subscriptions, and reads the log's head and
 * entry bundles for the catch-up. `live-push` reads the same log items, scans
 * the subscriptions and forgets gone ones; it never reads users or keys.
 */
export function livePolicies(data: StempelData, connections: readonly string[]) {
  const log = data.table(logTable);
  const subscriptions = data.table(liveConnectionsTable);
  const tableKeyForWriters = allow(
    ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
    [data.dataKey.keyArn],
    { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
  );
  const manageConnections = allow(['execute-api:ManageConnections'], [...connections]);
  const readLog = dynamo(['GetItem'], [log.tableArn]);
  return {
    live: [
      dynamo(['GetItem'], [data.table(identityTable).tableArn]),
      allow(['kms:GetPublicKey'], [data.tokenKey.keyArn]),
      allow(['ssm:GetParameter'], [data.settingsParameter.parameterArn]),
      dynamo(['PutItem', 'DeleteItem'], [subscriptions.tableArn]),
      readLog,
      tableKeyForWriters,
      manageConnections,
    ],
    'live-push': [
      // The subscriptions are the table's only items: a push reads them all (Scan) and forgets gone ones.
      dynamo(['Scan', 'DeleteItem'], [subscriptions.tableArn]),
      readLog,
      tableKeyForWriters,
      manageConnections,
    ],
  } satisfies Record<LiveFunctionName, PolicyStatement[]>;
}

/** The integrator hands each sealed range to live-push (an asynchronous invocation), and invokes nothing else. */
export const invokeLivePush = (livePushArn: string): PolicyStatement =>
  allow(['lambda:InvokeFunction'], [livePushArn]);

/** The KMS encryption context `purpose` of webhook endpoint secrets (shared/core/webhooks.ts). */
export const WEBHOOK_SECRET_PURPOSE = 'webhook-secret';

/** The functions whose statements name the delivery queue, so they are built with it (lib/webhooks.ts). */
type WebhookQueueFunction = 'webhook-dispatch' | 'webhook-delivery';

/**
 * The webhook dispatch function: reads the two streams that carry events, the
 * endpoints, and sends jobs to the delivery queue. The delivery function:
 * reads an endpoint, opens its secret, records the attempt; its SQS event
 * source grants it the queue's receive, delete and visibility actions.
 */
export function webhookPolicies(data: StempelData) {
  const notarizationsStream = data.table(notarizationsTable).tableStreamArn;
  const auditStream = data.table(auditTable).tableStreamArn;
  if (!notarizationsStream || !auditStream)
    throw new Error('webhooks need the Notarizations and Audit streams');
  const webhookTable = data.table(webhooksTable);
  const viaDynamoAndStreams = {
    StringEquals: {
      'kms:ViaService': [
        `dynamodb.${Aws.REGION}.amazonaws.com`,
        `streams.dynamodb.${Aws.REGION}.amazonaws.com`,
      ],
    },
  };
  return {
    dispatch: (queue: IQueue): PolicyStatement[] => [
      dynamo(['DescribeStream', 'GetRecords', 'GetShardIterator'], [notarizationsStream, auditStream]),
      dynamo(['ListStreams'], ['*']),
      dynamo(['Query'], [webhookTable.tableArn]),
      allow(['kms:Decrypt', 'kms:DescribeKey'], [data.dataKey.keyArn], viaDynamoAndStreams),
      allow(['sqs:SendMessage'], [queue.queueArn]),
    ],
    delivery: (): PolicyStatement[] => [
      dynamo(['GetItem', 'UpdateItem'], [webhookTable.tableArn]),
      allow(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], [data.dataKey.keyArn], {
        StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` },
      }),
      allow(['kms:Decrypt'], [data.dataKey.keyArn], {
        StringEquals: { 'kms:EncryptionContext:purpose': WEBHOOK_SECRET_PURPOSE },
      }),
    ],
  };
}

/**
 * Functions that get STEMPEL_DATA_KMS_KEY_ID: the ones that seal and open
 * secrets with the data key directly (auth: TOTP secrets; notarizations: owner
 * keys; verifier: opens owner keys only).
 */
export const DATA_KEY_ENV: readonly FunctionName[] = [
  'auth',
  'notarizations',
  'verifier',
  'webhooks',
  'webhook-delivery',
];

/** Functions that get STEMPEL_TOKEN_KMS_KEY_ID: the ones that verify or issue access tokens. */
export const TOKEN_KEY_ENV: readonly FunctionName[] = ['authorizer', 'auth', 'live'];

/** Functions that get STEMPEL_LOG_KMS_KEY_ID: the one that signs checkpoints, the one that publishes its key, and notarizations (certificates print it). */
export const LOG_KEY_ENV: readonly FunctionName[] = ['log', 'integrator', 'notarizations'];

/**
 * Functions that get STEMPEL_AUDIT_KMS_KEY_ID: the integrator, which signs
 * audit checkpoints, and those that serve the audit log's key or prove
 * events against its checkpoints.
 */
export const AUDIT_KEY_ENV: readonly FunctionName[] = ['integrator', 'audit', 'audit-export', 'log'];

/** Functions that get STEMPEL_CURSOR_KMS_KEY_ID: the ones that list with signed pagination cursors. */
export const CURSOR_KEY_ENV: readonly FunctionName[] = ['users', 'notarizations', 'audit', 'reports'];

/**
 * Functions that get STEMPEL_TSA_KMS_KEY_ID, STEMPEL_TSA_KEY_ALGORITHM and
 * STEMPEL_TSA_CHAIN_PARAMETER: the time-stamp authority.
 */
export const TSA_KEY_ENV: readonly FunctionName[] = ['tsa'];

/** The TSA key's algorithm (lib/data.ts makes it ECC_NIST_P256). */
export const TSA_KEY_ALGORITHM = 'ES256';

/**
 * The deployment-time function that issues the TSA's certificate chain
 * (functions/tsa-certificate.ts): the two public keys, and signatures with
 * the CA key only. Both keys' policies name its role as their only user for
 * these actions (see TSA_ISSUER_KEY_USES).
 */
export const tsaCertificatePolicies = (tsaKey: IKey, caKey: IKey): PolicyStatement[] => [
  allow(['kms:GetPublicKey'], [tsaKey.keyArn]),
  allow(['kms:GetPublicKey', 'kms:Sign'], [caKey.keyArn]),
];

/**
 * What the certificate issuer's role, and no one else, may do with each TSA
 * key (the tsa function's kms:Sign with the TSA key is in KEY_USERS). Other
 * principals, operators included, get the TSA's public key from its
 * certificate: GET /v1/tsa/certificates, or the chain parameter.
 */
export const TSA_ISSUER_KEY_USES = {
  tsaKey: ['kms:GetPublicKey'],
  tsaCaKey: ['kms:GetPublicKey', 'kms:Sign'],
} as const satisfies Record<'tsaKey' | 'tsaCaKey', readonly string[]>;

/**
 * The only functions whose roles may use each restricted key, and for what:
 * the key policy allows these actions to exactly these roles and denies them
 * to every other principal, whatever its IAM policies say (see
 * StempelData.restrictKeyUse). The IAM statements above still name the same
 * actions, so each function's policy lists everything it does.
 */
export const KEY_USERS = {
  tokenKey: { actions: ['kms:Sign'], functions: ['auth'] },
  logKey: { actions: ['kms:Sign'], functions: ['integrator'] },
  // The integrator seals both logs.
  auditKey: { actions: ['kms:Sign'], functions: ['integrator'] },
  cursorKey: { actions: ['kms:GenerateMac', 'kms:VerifyMac'], functions: CURSOR_KEY_ENV },
  tsaKey: { actions: ['kms:Sign'], functions: TSA_KEY_ENV },
} as const satisfies Record<
  'tokenKey' | 'logKey' | 'auditKey' | 'cursorKey' | 'tsaKey',
  { readonly actions: readonly string[]; readonly functions: readonly FunctionName[] }
>;
