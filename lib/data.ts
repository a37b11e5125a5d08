import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  AnyPrincipal,
  Effect,
  type IRole,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { Key, type KeyProps, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import {
  BlockedEncryptionType,
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CorsRule,
  HttpMethods,
  type LifecycleRule,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { ParameterTier, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { Settings } from '../shared/core/settings';
import {
  type BucketDefinition,
  buckets,
  DOCUMENT_CORS_HEADERS,
  DOCUMENT_CORS_MAX_AGE_SECONDS,
  type TableDefinition,
  tables,
} from '../shared/tables';

export interface StempelDataProps {
  readonly stage: string;
  readonly settings: Settings;
  readonly accessLogExpiration: Duration;
  /** Browser origins that may upload and download documents straight to and from S3; none means no CORS. */
  readonly corsOrigins: readonly string[];
  /**
   * Whether the stack is its TSA's certificate authority: a CA key in KMS
   * that certifies the TSA key at deploy time (lib/tsa.ts). False when the
   * operator imports a chain from a CA of their own.
   */
  readonly tsaCertificateAuthority: boolean;
  /** Days each object of the audit export bucket is locked (S3 Object Lock, COMPLIANCE mode). */
  readonly auditRetentionDays: number;
}

/**
 * The audit export bucket (docs/audit.md "The export"): the definition in
 * shared/tables.ts once it is there, and the same id and variable until then.
 * It is built apart from the documents bucket(s): write-once, no SSE-C.
 */
export const AUDIT_EXPORT_BUCKET: BucketDefinition = buckets.find((b) => b.id === 'AuditExport') ?? {
  id: 'AuditExport',
  envVar: 'AUDIT_EXPORT_BUCKET',
};

/** The prefixes of the audit export: one object per sealed event, and the checkpoints they are proven against. */
export const AUDIT_EXPORT_PREFIXES = { events: 'events/', checkpoints: 'checkpoints/' } as const;

/** Every bucket of the stack that functions learn by name: shared/tables.ts, and the audit export. */
export const allBucketDefinitions: readonly BucketDefinition[] = [
  ...buckets.filter((b) => b.id !== AUDIT_EXPORT_BUCKET.id),
  AUDIT_EXPORT_BUCKET,
];

/** Who may use a restricted key for what: exactly these roles, these actions. */
export interface KeyUse {
  readonly actions: readonly string[];
  readonly roles: readonly IRole[];
}

const STREAM_VIEW: Record<NonNullable<TableDefinition['stream']>, StreamViewType> = {
  NEW_IMAGE: StreamViewType.NEW_IMAGE,
  NEW_AND_OLD_IMAGES: StreamViewType.NEW_AND_OLD_IMAGES,
};

const stringKey = (name: string) => ({ name, type: AttributeType.STRING });

/**
 * The object tag the app sets on every upload (`uploaded`) and changes once
 * the document is notarized (`notarized`); see shared/adapters/s3-file-store.ts.
 */
const UPLOAD_STATE_TAG = { key: 'stempel-state', uploaded: 'uploaded' } as const;

const DAY_SECONDS = 86_400;

/**
 * How long an upload that was never notarized (and an unfinished multipart
 * upload) is kept: a day, and longer if uploads are allowed to stay open
 * longer (settings.uploadExpirySeconds), so the lifecycle never removes the
 * bytes of an upload that may still be notarized.
 */
export const unnotarizedUploadLifetime = (settings: Pick<Settings, 'uploadExpirySeconds'>): Duration =>
  Duration.days(Math.floor(settings.uploadExpirySeconds / DAY_SECONDS) + 1);

/**
 * What the account may do with a restricted key (the signing keys and the
 * cursor MAC key) through IAM policies: CloudFormation updates, operators
 * changing the key policy, disabling the key or scheduling its deletion, and
 * reading its metadata. This is CDK's key-administrator set (the AWS console's
 * "key administrators" statement) with kms:Create* narrowed to
 * kms:CreateAlias, so no IAM policy can mint a grant either. No pattern here
 * matches a cryptographic operation (Sign, Verify, GenerateMac, VerifyMac,
 * Encrypt, Decrypt, GenerateDataKey*, ReEncrypt*) or kms:CreateGrant; kms:Get*
 * and kms:Describe* are what lets IAM policies grant kms:GetPublicKey and
 * kms:DescribeKey, as before.
 */
export const KEY_ADMIN_ACTIONS: readonly string[] = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
];

/**
 * The stateful part of Stempel: KMS keys, the DynamoDB tables and the S3
 * documents bucket built from shared/tables.ts, and the settings parameter.
 * Everything here is retained when the stack is deleted.
 *
 * @example
 * const data = new StempelData(this, 'Data', { stage: 'dev', settings, accessLogExpiration: Duration.days(90), corsOrigins: [] });
 * data.table(identityTable).tableArn;
 */
export class StempelData extends Construct {
  /** Symmetric key that encrypts the tables and the documents bucket. */
  readonly dataKey: Key;
  /** Ed25519 key (SIGN_VERIFY) that signs access tokens; the private half never leaves KMS. */
  readonly tokenKey: Key;
  /** Ed25519 key (SIGN_VERIFY) that signs log checkpoints; its public key is the log's verifier key. */
  readonly logKey: Key;
  /** Ed25519 key (SIGN_VERIFY) that signs audit log checkpoints; its public key is the audit log's verifier key. */
  readonly auditKey: Key;
  /** HMAC-SHA-256 key (GENERATE_VERIFY_MAC) that signs pagination cursors. */
  readonly cursorKey: Key;
  /** ECDSA P-256 key (SIGN_VERIFY) of the RFC 3161 time-stamp authority: signs every token. */
  readonly tsaKey: Key;
  /**
   * ECDSA P-384 key (SIGN_VERIFY) of the stack's own TSA CA, which certifies
   * the TSA key at deploy time; absent when the operator imports a chain.
   */
  readonly tsaCaKey?: Key;
  readonly settingsParameter: StringParameter;
  /** Where S3 server access logs go (SSE-S3: log delivery cannot write to SSE-KMS buckets). */
  readonly accessLogs: Bucket;
  private readonly tablesById = new Map<string, Table>();
  private readonly bucketsById = new Map<string, Bucket>();
  /** Restricted keys, and whether their users have been named (see restrictKeyUse). */
  private readonly restricted = new Map<Key, boolean>();

  constructor(scope: Construct, id: string, props: StempelDataProps) {
    super(scope, id);

    this.dataKey = new Key(this, 'DataKey', {
      description: `Stempel ${props.stage}: encrypts DynamoDB tables and S3 documents`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Asymmetric and HMAC keys cannot rotate automatically; rotating means a new key (and a new `kid`).
    this.tokenKey = this.restrictedKey('TokenSigningKey', {
      description: `Stempel ${props.stage}: signs access tokens (Ed25519)`,
      keySpec: KeySpec.ECC_NIST_EDWARDS25519,
      keyUsage: KeyUsage.SIGN_VERIFY,
    });

    this.logKey = this.restrictedKey('LogSigningKey', {
      description: `Stempel ${props.stage}: signs log checkpoints (Ed25519)`,
      keySpec: KeySpec.ECC_NIST_EDWARDS25519,
      keyUsage: KeyUsage.SIGN_VERIFY,
    });

    // The audit log's own key: an audit checkpoint can never pass for a notarization log one.
    this.auditKey = this.restrictedKey('AuditLogSigningKey', {
      description: `Stempel ${props.stage}: signs audit log checkpoints (Ed25519)`,
      keySpec: KeySpec.ECC_NIST_EDWARDS25519,
      keyUsage: KeyUsage.SIGN_VERIFY,
    });

    this.cursorKey = this.restrictedKey('CursorKey', {
      description: `Stempel ${props.stage}: signs pagination cursors (HMAC-SHA-256)`,
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
    });

    // The TSA key's algorithm is ES256 (ENV.tsaKeyAlgorithm): what RFC 3161 clients verify everywhere.
    this.tsaKey = this.restrictedKey('TsaSigningKey', {
      description: `Stempel ${props.stage}: signs RFC 3161 time-stamp tokens (ECDSA P-256)`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
    });

    if (props.tsaCertificateAuthority) {
      this.tsaCaKey = this.restrictedKey('TsaCaKey', {
        description: `Stempel ${props.stage}: the TSA's certificate authority, certifies the TSA key (ECDSA P-384)`,
        keySpec: KeySpec.ECC_NIST_P384,
        keyUsage: KeyUsage.SIGN_VERIFY,
      });
    }

    this.node.addValidation({
      validate: () =>
        [...this.restricted]
          .filter(([, done]) => !done)
          .map(([key]) => `${key.node.path}: no role may use this key; call restrictKeyUse with its users`),
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
    this.accessLogs = accessLogs;

    for (const def of buckets.filter((b) => b.id !== AUDIT_EXPORT_BUCKET.id))
      this.bucketsById.set(
        def.id,
        this.createBucket(def, accessLogs, {
          corsOrigins: props.corsOrigins,
          uploadLifetime: unnotarizedUploadLifetime(props.settings),
        }),
      );
    this.bucketsById.set(
      AUDIT_EXPORT_BUCKET.id,
      this.createAuditExportBucket(accessLogs, Duration.days(props.auditRetentionDays)),
    );

    this.settingsParameter = new StringParameter(this, 'Settings', {
      parameterName: `/stempel/${props.stage}/settings`,
      description: `Stempel ${props.stage} runtime settings (JSON, see shared/core/settings.ts)`,
      stringValue: JSON.stringify(props.settings),
      tier: ParameterTier.STANDARD,
    });
  }

  /**
   * Names the only roles that may perform each use of a restricted key: for
   * each use, an Allow of its actions for exactly its roles, and a Deny of
   * the same actions for every other principal (aws:PrincipalArn is the role
   * ARN for a Lambda's assumed-role session), so no IAM policy, grant or
   * account-root trust can hand them to anyone else. Only a change of the key
   * policy can, and that is a PutKeyPolicy event in CloudTrail. Once per key,
   * with all its uses; no action may be in two uses.
   *
   * The key policy names the roles, so each key depends on its users' roles;
   * the roles' own policies name the key, which is fine as long as the roles
   * themselves never depend on it.
   *
   * @example
   * data.restrictKeyUse(data.tokenKey, [{ actions: ['kms:Sign'], roles: [authRole] }]);
   */
  restrictKeyUse(key: Key, uses: readonly KeyUse[]): void {
    if (!this.restricted.has(key)) throw new Error(`${key.node.path} is not a restricted key`);
    if (this.restricted.get(key)) throw new Error(`${key.node.path}: its users are already named`);
    if (uses.length === 0 || uses.some((u) => u.actions.length === 0 || u.roles.length === 0))
      throw new Error(`${key.node.path}: no actions or no roles`);
    const actions = uses.flatMap((u) => u.actions);
    if (new Set(actions).size !== actions.length)
      throw new Error(`${key.node.path}: an action is in more than one use`);
    for (const use of uses) {
      // One use keeps the statement ids the keys have always had; several are told apart by their actions.
      const suffix = uses.length === 1 ? '' : use.actions.map((a) => a.replace(/^kms:/, '')).join('');
      const roleArns = use.roles.map((r) => r.roleArn);
      key.addToResourcePolicy(
        new PolicyStatement({
          sid: `UseByItsRolesOnly${suffix}`,
          principals: [...use.roles],
          actions: [...use.actions],
          resources: ['*'],
        }),
      );
      key.addToResourcePolicy(
        new PolicyStatement({
          sid: `DenyUseByAnyoneElse${suffix}`,
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: [...use.actions],
          resources: ['*'],
          conditions: {
            ArnNotEquals: { 'aws:PrincipalArn': roleArns.length === 1 ? roleArns[0] : roleArns },
          },
        }),
      );
    }
    this.restricted.set(key, true);
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

  /** Every bucket: those of shared/tables.ts, and the audit export. */
  get allBuckets(): readonly { readonly def: BucketDefinition; readonly bucket: Bucket }[] {
    return allBucketDefinitions.map((def) => ({ def, bucket: this.bucket(def) }));
  }

  /** Every table, in the order of shared/tables.ts. */
  get allTables(): readonly { readonly def: TableDefinition; readonly table: Table }[] {
    return tables.map((def) => ({ def, table: this.table(def) }));
  }

  /**
   * A retained key with an explicit key policy: administration (and
   * metadata, public key included) for the account through IAM, and no use
   * for anyone until restrictKeyUse names its roles. Passing `policy` is what
   * keeps CDK from adding its default account-root `kms:*` statement.
   */
  private restrictedKey(id: string, props: Pick<KeyProps, 'description' | 'keySpec' | 'keyUsage'>): Key {
    const key = new Key(this, id, {
      ...props,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'AdministrationByTheAccount',
            principals: [new AccountRootPrincipal()],
            actions: [...KEY_ADMIN_ACTIONS],
            resources: ['*'],
          }),
        ],
      }),
    });
    this.restricted.set(key, false);
    return key;
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
        ...(index.include
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }
          : { projectionType: ProjectionType.ALL }),
      });
    }
    return table;
  }

  /**
   * A documents bucket (docs/files.md): private, versioned, TLS only, and
   * writable only under SSE-C. Default encryption (SSE-KMS with the data key)
   * stays for anything that could arrive without SSE-C, which the policy
   * refuses anyway; SSE-C itself is explicitly unblocked.
   */
  private createBucket(
    def: BucketDefinition,
    accessLogs: Bucket,
    options: { readonly corsOrigins: readonly string[]; readonly uploadLifetime: Duration },
  ): Bucket {
    const lifecycleRules: LifecycleRule[] = [
      {
        // Uploads never notarized: the app re-tags a document `notarized` before it enters the log.
        id: 'ExpireUnnotarizedUploads',
        tagFilters: { [UPLOAD_STATE_TAG.key]: UPLOAD_STATE_TAG.uploaded },
        expiration: options.uploadLifetime,
      },
      {
        id: 'AbortIncompleteMultipartUploads',
        abortIncompleteMultipartUploadAfter: options.uploadLifetime,
      },
      {
        // A deleted upload (rejected, expired or a duplicate) must not live on as a noncurrent version.
        id: 'ExpireNoncurrentVersions',
        noncurrentVersionExpiration: Duration.days(1),
        expiredObjectDeleteMarker: true,
      },
    ];
    const cors: CorsRule[] | undefined =
      options.corsOrigins.length > 0
        ? [
            {
              allowedOrigins: [...options.corsOrigins],
              allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD],
              allowedHeaders: [...DOCUMENT_CORS_HEADERS],
              exposedHeaders: ['ETag'],
              maxAge: DOCUMENT_CORS_MAX_AGE_SECONDS,
            },
          ]
        : undefined;
    const bucket = new Bucket(this, def.id, {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      // New buckets refuse SSE-C writes by default (since April 2026); the documents need it allowed.
      blockedEncryptionTypes: [BlockedEncryptionType.NONE],
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules,
      ...(cors ? { cors } : {}),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: `${def.id.toLowerCase()}/`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Every write of object data (PutObject, CreateMultipartUpload, UploadPart and
    // CompleteMultipartUpload are all s3:PutObject) must carry the SSE-C headers.
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyWritesWithoutSseC',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
        conditions: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'true' } },
      }),
    );
    return bucket;
  }

  /**
   * The audit export bucket (docs/audit.md "The export"): write once, read
   * many. Every object version is locked in COMPLIANCE mode for `retention`
   * (S3 Object Lock, which also keeps versioning on), so no principal, the
   * account root included, can delete or overwrite an exported event or
   * checkpoint before then; the bucket policy also refuses deletes outright,
   * so not even a delete marker can hide one. A retried export writing the
   * same key again only adds an identical version, which expires once its
   * own lock has run out. Encrypted with the data key (SSE-KMS, bucket key),
   * private, TLS only, access-logged and retained.
   */
  private createAuditExportBucket(accessLogs: Bucket, retention: Duration): Bucket {
    const bucket = new Bucket(this, AUDIT_EXPORT_BUCKET.id, {
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(retention),
      versioned: true,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          // Identical versions of a re-exported key; S3 removes none before its lock has run out.
          id: 'ExpireNoncurrentVersions',
          noncurrentVersionExpiration: retention.plus(Duration.days(1)),
        },
      ],
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit-export/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyDeletes',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    return bucket;
  }
}
