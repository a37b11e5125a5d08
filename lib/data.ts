import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { ParameterTier, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { Settings } from '../shared/core/settings';
import { type BucketDefinition, buckets, type TableDefinition, tables } from '../shared/tables';

export interface StempelDataProps {
  readonly stage: string;
  readonly settings: Settings;
  readonly accessLogExpiration: Duration;
}

const STREAM_VIEW: Record<NonNullable<TableDefinition['stream']>, StreamViewType> = {
  NEW_IMAGE: StreamViewType.NEW_IMAGE,
  NEW_AND_OLD_IMAGES: StreamViewType.NEW_AND_OLD_IMAGES,
};

const stringKey = (name: string) => ({ name, type: AttributeType.STRING });

/**
 * The stateful part of Stempel: KMS keys, the DynamoDB tables and the S3
 * documents bucket built from shared/tables.ts, and the settings parameter.
 * Everything here is retained when the stack is deleted.
 *
 * @example
 * const data = new StempelData(this, 'Data', { stage: 'dev', settings, accessLogExpiration: Duration.days(90) });
 * data.table(identityTable).tableArn;
 */
export class StempelData extends Construct {
  /** Symmetric key that encrypts the tables and the documents bucket. */
  readonly dataKey: Key;
  /** Ed25519 key (SIGN_VERIFY) that signs access tokens; the private half never leaves KMS. */
  readonly tokenKey: Key;
  /** Ed25519 key (SIGN_VERIFY) that signs log checkpoints; its public key is the log's verifier key. */
  readonly logKey: Key;
  readonly settingsParameter: StringParameter;
  private readonly tablesById = new Map<string, Table>();
  private readonly bucketsById = new Map<string, Bucket>();

  constructor(scope: Construct, id: string, props: StempelDataProps) {
    super(scope, id);

    this.dataKey = new Key(this, 'DataKey', {
      description: `Stempel ${props.stage}: encrypts DynamoDB tables and S3 documents`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Asymmetric keys cannot rotate automatically; rotating means a new key and a new `kid`.
    this.tokenKey = new Key(this, 'TokenSigningKey', {
      description: `Stempel ${props.stage}: signs access tokens (Ed25519)`,
      keySpec: KeySpec.ECC_NIST_EDWARDS25519,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.logKey = new Key(this, 'LogSigningKey', {
      description: `Stempel ${props.stage}: signs log checkpoints (Ed25519)`,
      keySpec: KeySpec.ECC_NIST_EDWARDS25519,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const def of tables) this.tablesById.set(def.id, this.createTable(def));

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED, // S3 server access logging cannot deliver to SSE-KMS buckets
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          expiration: props.accessLogExpiration,
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const def of buckets) this.bucketsById.set(def.id, this.createBucket(def, accessLogs));

    this.settingsParameter = new StringParameter(this, 'Settings', {
      parameterName: `/stempel/${props.stage}/settings`,
      description: `Stempel ${props.stage} runtime settings (JSON, see shared/core/settings.ts)`,
      stringValue: JSON.stringify(props.settings),
      tier: ParameterTier.STANDARD,
    });
  }

  table(def: Pick<TableDefinition, 'id'>): Table {
    const table = this.tablesById.get(def.id);
    if (!table) throw new Error(`no table ${def.id}`);
    return table;
  }

  bucket(def: Pick<BucketDefinition, 'id'>): Bucket {
    const bucket = this.bucketsById.get(def.id);
    if (!bucket) throw new Error(`no bucket ${def.id}`);
    return bucket;
  }

  /** Every table, in the order of shared/tables.ts. */
  get allTables(): readonly { readonly def: TableDefinition; readonly table: Table }[] {
    return tables.map((def) => ({ def, table: this.table(def) }));
  }

  private createTable(def: TableDefinition): Table {
    const table = new Table(this, def.id, {
      partitionKey: stringKey(def.partitionKey),
      ...(def.sortKey ? { sortKey: stringKey(def.sortKey) } : {}),
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
      ...(def.stream ? { stream: STREAM_VIEW[def.stream] } : {}),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of def.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        ...(index.sortKey ? { sortKey: stringKey(index.sortKey) } : {}),
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }

  private createBucket(def: BucketDefinition, accessLogs: Bucket): Bucket {
    return new Bucket(this, def.id, {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: `${def.id.toLowerCase()}/`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
