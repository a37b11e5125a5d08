/**
 * The one definition of every DynamoDB table and S3 bucket: the CDK stack and
 * the local bootstrap both build from these. All key attributes are strings.
 */
export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attributes the index carries besides the keys; all of them when absent. */
  readonly include?: readonly string[];
}

export interface TableDefinition {
  /** Construct id in CDK and table-name suffix locally. */
  readonly id: string;
  /** Environment variable through which functions learn the table's name. */
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes: readonly IndexDefinition[];
  readonly ttlAttribute?: string;
  readonly stream?: 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES';
}

export interface BucketDefinition {
  readonly id: string;
  readonly envVar: string;
}

/** Users and username reservations (single-table). */
export const identityTable = {
  id: 'Identity',
  envVar: 'IDENTITY_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    {
      indexName: 'byList',
      partitionKey: 'listPk',
      sortKey: 'listSk',
      // What a user listing shows: not the password hash, secrets or sessions, which change on every refresh.
      include: [
        'id',
        'username',
        'roles',
        'mustChangePassword',
        'disabled',
        'otpSecret',
        'createdAt',
        'updatedAt',
      ],
    },
  ],
  ttlAttribute: 'expiresAt',
} as const satisfies TableDefinition;

/** Notarizations, one item each, keyed by an id derived from (owner, hash). */
export const notarizationsTable = {
  id: 'Notarizations',
  envVar: 'NOTARIZATIONS_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'bySha256', partitionKey: 'sha256', sortKey: 'receivedAt' },
    { indexName: 'byOwner', partitionKey: 'owner', sortKey: 'receivedAt' },
    // Every notarization by its UTC day: the CSV report of all owners reads a range day by day.
    { indexName: 'byDay', partitionKey: 'day', sortKey: 'receivedAt' },
    // Sparse: only notarizations not yet in the log carry `pending`; the integrator reads its queue here.
    { indexName: 'byPending', partitionKey: 'pending', sortKey: 'receivedAt' },
  ],
  stream: 'NEW_IMAGE',
} as const satisfies TableDefinition;

/**
 * The Merkle log as C2SP tlog-tiles: one item per tile (`<log>/T/<level>/<index>`,
 * up to 256 hashes), one per entry bundle (`<log>/E/<index>`) and the tree head
 * (`<log>/HEAD`). Every tile is its own partition key, so the log spreads over
 * partitions as it grows.
 */
export const logTable = {
  id: 'Log',
  envVar: 'LOG_TABLE',
  partitionKey: 'pk',
  indexes: [],
} as const satisfies TableDefinition;

/**
 * Uploads (`UPLOAD#<id>`, removed by TTL a day after they expire) and each
 * owner's wrapped file key (`OWNERKEY#<owner>`, kept until destroyed).
 */
export const filesTable = {
  id: 'Files',
  envVar: 'FILES_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
  ttlAttribute: 'expiresAt',
  // The verifier function reads uploads handed over for hashing from here.
  stream: 'NEW_IMAGE',
} as const satisfies TableDefinition;

/**
 * External time anchors of the log: one item per anchored checkpoint
 * (`pk` = the log's origin, `sk` = its tree size as 16 zero-padded digits, so
 * that "the first anchor at or after size n" is one Query), holding the
 * checkpoint and each external TSA's token over it.
 */
export const anchorsTable = {
  id: 'Anchors',
  envVar: 'ANCHORS_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
} as const satisfies TableDefinition;

/**
 * Audit events (`EVENT#<id>`), one item each, queued for the audit log like
 * notarizations for theirs (sparse `pending`), found by day, actor, action or
 * target (docs/audit.md). Its stream feeds the export to S3.
 */
export const auditTable = {
  id: 'Audit',
  envVar: 'AUDIT_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'byDay', partitionKey: 'day', sortKey: 'at' },
    { indexName: 'byActor', partitionKey: 'actor', sortKey: 'at' },
    { indexName: 'byAction', partitionKey: 'action', sortKey: 'at' },
    { indexName: 'byTarget', partitionKey: 'target', sortKey: 'at' },
    { indexName: 'byPending', partitionKey: 'pending', sortKey: 'receivedAt' },
  ],
  stream: 'NEW_IMAGE',
} as const satisfies TableDefinition;

/**
 * Key figures (docs/reports.md), counted from the audit trail: totals per
 * period (`TOTAL#<granularity>`, sort key the period), per user and period
 * (`USER#<granularity>#<period>`), and the marks that make each event count
 * once (`COUNTED#…`, `ACTIVE#…`; they expire once no event can come back).
 */
export const kpisTable = {
  id: 'Kpis',
  envVar: 'KPIS_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
  ttlAttribute: 'expiresAt',
} as const satisfies TableDefinition;

/**
 * Webhook endpoints (docs/webhooks.md): one partition `WEBHOOK`, one item per
 * endpoint (`sk` = its id) with its sealed secret and delivery status.
 */
export const webhooksTable = {
  id: 'Webhooks',
  envVar: 'WEBHOOKS_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
} as const satisfies TableDefinition;

/**
 * Subscriptions of the live log channel (docs/live.md): one item per
 * WebSocket connection that subscribed (`pk` = its connection id), until its
 * access token expires (`expiresAt`, when TTL removes what no disconnect did).
 */
export const liveConnectionsTable = {
  id: 'LiveConnections',
  envVar: 'CONNECTIONS_TABLE',
  partitionKey: 'pk',
  indexes: [],
  ttlAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const tables: readonly TableDefinition[] = [
  identityTable,
  notarizationsTable,
  logTable,
  filesTable,
  anchorsTable,
  auditTable,
  kpisTable,
  webhooksTable,
  liveConnectionsTable,
];

/** Uploaded documents under `owners/<owner>/<upload id>`, each encrypted by S3 with SSE-C under its file key. */
export const documentsBucket = {
  id: 'Documents',
  envVar: 'DOCUMENTS_BUCKET',
} as const satisfies BucketDefinition;

/**
 * The audit export (docs/audit.md, "The export"): sealed audit events under
 * `events/` and the signed audit checkpoints they are proven against under
 * `checkpoints/`; write-once in AWS.
 */
export const auditExportBucket = {
  id: 'AuditExport',
  envVar: 'AUDIT_EXPORT_BUCKET',
} as const satisfies BucketDefinition;

/**
 * The request headers a browser sends to the presigned S3 URLs: the SSE-C
 * triple with every request, and for a single-part upload also its content
 * type, SHA-256 checksum and state tag (all signed into the URL).
 */
export const DOCUMENT_CORS_HEADERS: readonly string[] = [
  'content-type',
  'x-amz-checksum-sha256',
  'x-amz-tagging',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
];

/** How long a browser may cache the bucket's answer to a preflight request. */
export const DOCUMENT_CORS_MAX_AGE_SECONDS = 3600;

export const buckets: readonly BucketDefinition[] = [documentsBucket, auditExportBucket];

/** Reads a resource's name from the environment, failing loudly when the deployment forgot it. */
export function resourceName(def: { envVar: string }): string {
  const name = process.env[def.envVar];
  if (!name) throw new Error(`${def.envVar} is not set`);
  return name;
}
