import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionGroup } from '../shared/http/routes';
import { BUNDLING, NODE_OPTIONS } from './bundling';
import { allow } from './permissions';

/**
 * The Lambda functions of the running service: one per route group, the REST
 * API authorizer, the integrator that seals pending notarizations into the
 * log, the verifier that hashes uploads handed over for notarizing, the
 * anchor function that time-stamps checkpoints with external TSAs, and the
 * audit export that copies sealed audit events to the write-once bucket. Each
 * has an entry file functions/<name>.ts.
 */
export type FunctionName =
  | FunctionGroup
  | 'authorizer'
  | StreamFunctionName
  | ScheduledFunctionName
  | QueueFunctionName
  | LiveFunctionName;

/** The live log channel (docs/live.md): its WebSocket routes, and the push the integrator invokes. */
export type LiveFunctionName = 'live' | 'live-push';

/** The functions triggered by a table's stream rather than by API Gateway. */
export type StreamFunctionName = 'integrator' | 'verifier' | 'audit-export' | 'webhook-dispatch';

/** The functions run by an SQS queue. */
export type QueueFunctionName = 'webhook-delivery';

/** The functions run only by EventBridge (a schedule, or a settings change), asynchronously. */
export type ScheduledFunctionName = 'anchor' | 'settings-audit';

/**
 * Functions that run only during deployments, as CloudFormation custom
 * resources: `tsa-certificate` issues the TSA's certificate chain from the
 * stack's CA key. They are no part of the running service (no table or
 * settings access).
 */
export type DeploymentFunctionName = 'tsa-certificate';

/**
 * The newest Node.js runtime this aws-cdk-lib knows, which is what cdk-nag
 * (AwsSolutions-L1, Serverless-LambdaLatestVersion) requires.
 */
export const RUNTIME = Runtime.NODEJS_24_X;

/**
 * Memory and timeout per function. auth and users hash passwords with scrypt
 * (N=2^17, r=8: 128 MiB per hash), and Lambda's CPU share grows with memory,
 * so auth, which hashes on every login, gets the most.
 */
export const SIZING: Record<
  FunctionName | DeploymentFunctionName,
  { readonly memorySize: number; readonly timeout: Duration }
> = {
  authorizer: { memorySize: 512, timeout: Duration.seconds(5) },
  auth: { memorySize: 1024, timeout: Duration.seconds(10) },
  users: { memorySize: 512, timeout: Duration.seconds(10) },
  notarizations: { memorySize: 256, timeout: Duration.seconds(10) },
  log: { memorySize: 256, timeout: Duration.seconds(10) },
  public: { memorySize: 256, timeout: Duration.seconds(10) },
  // An export reads up to 10,000 notarizations and every audit event of one person; an erasure
  // updates each of their notarizations.
  privacy: { memorySize: 512, timeout: Duration.seconds(29) },
  // Counter queries (a few per report) and CSV pages of up to 10,000 notarizations.
  reports: { memorySize: 512, timeout: Duration.seconds(29) },
  // Index queries, and inclusion proofs from a few tiles when asked for.
  audit: { memorySize: 256, timeout: Duration.seconds(10) },
  // Drains the pending queue until 10 s before its timeout, then leaves the rest to the next run.
  integrator: { memorySize: 512, timeout: Duration.seconds(60) },
  // Streams a multipart upload through SHA-256 with parallel ranged GETs. 1769 MB is one full vCPU
  // (and the network share that comes with it): about 100 MB/s, so 5 GiB, the largest upload, takes
  // about a minute; 10 minutes leaves room for a slow S3 and for the other records of a batch.
  verifier: { memorySize: 1769, timeout: Duration.minutes(10) },
  // RFC 3161: one KMS Sign and one transactional write per token.
  tsa: { memorySize: 256, timeout: Duration.seconds(10) },
  // Asks each external TSA (with retries) over HTTPS; most of the minute is waiting on them.
  anchor: { memorySize: 256, timeout: Duration.seconds(60) },
  // One GetParameterHistory (or two) and a conditional PutItem per recent version of the settings.
  'settings-audit': { memorySize: 256, timeout: Duration.seconds(30) },
  // A batch of up to 100 sealed events: their proofs from the tiles, one S3 object each, and the checkpoints.
  'audit-export': { memorySize: 512, timeout: Duration.seconds(60) },
  // Webhook endpoints: one KMS Encrypt per registration.
  webhooks: { memorySize: 256, timeout: Duration.seconds(10) },
  // Reads the endpoints and sends up to 10 SQS batches per stream batch.
  'webhook-dispatch': { memorySize: 256, timeout: Duration.seconds(30) },
  // Up to 10 deliveries in parallel, each at most 5 s (connect and response).
  'webhook-delivery': { memorySize: 256, timeout: Duration.seconds(30) },
  // A subscribe: the authorizer's two reads, a Put, the head and up to two entry bundles, four frames.
  live: { memorySize: 256, timeout: Duration.seconds(10) },
  // A scan of the subscriptions and a few frames to each, 16 connections at a time.
  'live-push': { memorySize: 256, timeout: Duration.seconds(60) },
  // Two GetPublicKey and two Sign calls in KMS, once per deployment that changes the chain.
  'tsa-certificate': { memorySize: 256, timeout: Duration.seconds(30) },
};

export interface StempelFunctionProps {
  readonly name: FunctionName | DeploymentFunctionName;
  readonly environment: Readonly<Record<string, string>>;
  /** Everything the function may do besides writing its logs and traces. */
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Where failed asynchronous invocations go; only for functions that are invoked asynchronously. */
  readonly deadLetterQueue?: IQueue;
  /**
   * What happens to a superseded `currentVersion` (only created when something
   * asks for it, such as a deployment trigger). CDK's default keeps them all.
   */
  readonly versionRemovalPolicy?: RemovalPolicy;
}

const entry = (name: FunctionName | DeploymentFunctionName) =>
  fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));

/**
 * One esbuild-bundled Node.js function (functions/<name>.ts) with its own
 * role, holding only explicit statements, and its own log group. The caller
 * records the cdk-nag acknowledgements that fit how the function is invoked.
 *
 * @example
 * new StempelFunction(this, 'Public', { name: 'public', environment, statements, logRetention, logRemovalPolicy });
 */
export class StempelFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: StempelFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    // An own role with no AWS managed policy (not even AWSLambdaBasicExecutionRole,
    // whose logs statement covers every log group in the account).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Stempel ${props.name} function`,
    });
    this.role.addToPrincipalPolicy(
      allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [this.logGroup.logGroupArn]),
    );
    for (const statement of props.statements) this.role.addToPrincipalPolicy(statement);

    const { memorySize, timeout } = SIZING[props.name];
    this.fn = new NodejsFunction(this, 'Function', {
      entry: entry(props.name),
      handler: 'handler',
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout,
      tracing: Tracing.ACTIVE,
      role: this.role,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      ...(props.versionRemovalPolicy
        ? { currentVersionOptions: { removalPolicy: props.versionRemovalPolicy } }
        : {}),
      logGroup: this.logGroup,
      description: `Stempel ${props.name}`,
      environment: {
        POWERTOOLS_SERVICE_NAME: `stempel-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Stempel',
        NODE_OPTIONS,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        banner: BUNDLING.banner,
        mainFields: [...BUNDLING.mainFields],
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourcesContent: BUNDLING.sourcesContent,
        // Bundle everything, the AWS SDK included, so the deployed code runs the locked versions.
        externalModules: [],
      },
    });
  }
}
