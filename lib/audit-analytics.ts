import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AUDIT_EVENTS_TABLE, AUDIT_QUERIES } from '../shared/audit-queries';
import { AUDIT_EXPORT_PREFIXES } from './data';

/** The columns of the export's lines (docs/audit.md "The export"), as the JSON SerDe reads them (lower case). */
export const AUDIT_EVENT_COLUMNS = [
  { name: 'index', type: 'bigint', comment: 'The position of the event in the audit log' },
  { name: 'entry', type: 'string', comment: 'The log leaf: RFC 8785 JSON of the event' },
  { name: 'treesize', type: 'bigint', comment: 'The tree size the inclusion proof is for' },
  { name: 'inclusionproof', type: 'array<string>', comment: 'RFC 9162 inclusion proof, base64 hashes' },
  { name: 'at', type: 'string', comment: 'RFC 3339 UTC time of the event' },
  { name: 'action', type: 'string', comment: 'What happened, e.g. auth.login' },
  { name: 'actor', type: 'string', comment: "The acting user's opaque id, or anonymous" },
  {
    name: 'target',
    type: 'string',
    comment: 'user:<id>, notarization:<id>, upload:<id>, sha256:<hex>, settings or -',
  },
  { name: 'outcome', type: 'string', comment: 'success or failure' },
  { name: 'reason', type: 'string', comment: 'For failures: a stable code' },
  { name: 'changes', type: 'string', comment: 'From/to of changed fields, as JSON text' },
  { name: 'requestid', type: 'string', comment: 'The API request id' },
] as const;

/** The first day partition projection knows: no audit event is older. */
export const AUDIT_PROJECTION_START = '2026-01-01';

export interface AuditAnalyticsProps {
  readonly stage: string;
  /** The write-once bucket the audit export writes to. */
  readonly exportBucket: IBucket;
  /** Encrypts the query results (the same data key as the export). */
  readonly dataKey: IKey;
  /** Where the results bucket's S3 server access logs go. */
  readonly accessLogs: IBucket;
  /** How long query results are kept. */
  readonly resultsExpiration?: Duration;
}

/**
 * Querying the audit export with Athena: a Glue database `stempel_<stage>_audit`
 * with the table `events` over `s3://<export bucket>/events/` (JSON SerDe,
 * partitioned by `date` with partition projection, so no crawler and no
 * partition maintenance), a workgroup `stempel-<stage>-audit` whose settings
 * every query must use (results encrypted with the data key into a bucket of
 * their own that forgets them), and the saved queries of shared/audit-queries.ts.
 *
 * Who may query is left to the operators' IAM: reading the export needs
 * s3:GetObject on it and kms:Decrypt with the data key, as any reader of the
 * tables does.
 *
 * @example
 * new AuditAnalytics(this, 'AuditAnalytics', { stage: 'dev', exportBucket, dataKey, accessLogs });
 */
export class AuditAnalytics extends Construct {
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly workGroup: CfnWorkGroup;
  readonly results: Bucket;
  readonly queries: readonly CfnNamedQuery[];
  readonly databaseName: string;
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: AuditAnalyticsProps) {
    super(scope, id);
    this.databaseName = `stempel_${props.stage}_audit`;
    this.workGroupName = `stempel-${props.stage}-audit`;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description: `Stempel ${props.stage}: the audit export (docs/audit.md)`,
      },
    });

    const events = `s3://${props.exportBucket.bucketName}/${AUDIT_EXPORT_PREFIXES.events}`;
    this.table = new CfnTable(this, 'Events', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: AUDIT_EVENTS_TABLE,
        description: 'Sealed audit events, one JSON line per object, with their inclusion proofs',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'date', type: 'string', comment: 'YYYY-MM-DD of at (UTC)' }],
        parameters: {
          classification: 'json',
          EXTERNAL: 'TRUE',
          // Partition projection: Athena computes the partitions from the key layout, no crawler needed.
          'projection.enabled': 'true',
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': `${AUDIT_PROJECTION_START},NOW`,
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          // `${date}` is Athena's placeholder, escaped here: not a template substitution.
          'storage.location.template': `${events}date=\${date}/`,
        },
        storageDescriptor: {
          location: events,
          columns: AUDIT_EVENT_COLUMNS.map((c) => ({ ...c })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            // treeSize → treesize and so on; a malformed line is an error, not a silent null row.
            parameters: { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'FALSE' },
          },
        },
      },
    });
    this.table.addResourceDependency(this.database);

    this.results = new Bucket(this, 'Results', {
      encryption: BucketEncryption.KMS,
      encryptionKey: props.dataKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireResults',
          expiration: props.resultsExpiration ?? Duration.days(30),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'audit-query-results/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `Stempel ${props.stage}: queries over the audit export`,
      state: 'ENABLED',
      // The named queries go with it when the stack is deleted; the results bucket stays.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.results.bucketName}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.dataKey.keyArn },
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });

    this.queries = AUDIT_QUERIES.map((query) => {
      const named = new CfnNamedQuery(this, `Query-${query.name}`, {
        name: query.name,
        description: query.description,
        database: this.databaseName,
        workGroup: this.workGroupName,
        queryString: query.sql,
      });
      named.addResourceDependency(this.workGroup);
      named.addResourceDependency(this.database);
      return named;
    });
  }
}
