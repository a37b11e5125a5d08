import {
  Annotations,
  CfnResource,
  CustomResourceProviderBase,
  Duration,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { InvocationType, Trigger } from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { SIZING, StempelFunction } from './functions';
import { acknowledgeFailureQueue, acknowledgeIntegratorWildcards } from './nag';

export interface IntegratorProps {
  readonly notarizations: ITable;
  /** The Audit table, whose stream brings new audit events for the audit log. */
  readonly audit: ITable;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** How often the safety-net schedule runs the integrator. */
  readonly every: Duration;
}

/**
 * The integrator (functions/integrator.ts) and what runs it: new pending
 * notarizations on the notarizations table's stream, new audit events on the
 * Audit table's stream (it seals both logs on every run), a schedule as a safety
 * net, and the deployment itself. Invocations only mean "there is work" (the
 * integrator drains the pending queue itself, and first publishes the signed
 * empty checkpoint if the log has none), so a failed one loses nothing; its
 * record goes to a failure queue for operators.
 *
 * @example
 * new Integrator(this, 'Integrator', { notarizations, audit, environment, statements, logRetention, logRemovalPolicy, every: Duration.minutes(5) });
 */
export class Integrator extends Construct {
  readonly function: StempelFunction;
  readonly failures: Queue;
  readonly afterDeploy: Trigger;

  constructor(scope: Construct, id: string, props: IntegratorProps) {
    super(scope, id);
    const stream = props.notarizations.tableStreamArn;
    if (!stream) throw new Error('the integrator needs the notarizations table stream');
    const auditStream = props.audit.tableStreamArn;
    if (!auditStream) throw new Error('the integrator needs the Audit table stream');

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFailureQueue(this.failures);

    this.function = new StempelFunction(this, 'Function', {
      name: 'integrator',
      environment: props.environment,
      statements: props.statements,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      deadLetterQueue: this.failures, // failed scheduled (asynchronous) invocations
      // Versions exist only so that the deployment trigger re-runs when the integrator changes; nothing aliases them.
      versionRemovalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeIntegratorWildcards(this.function.role);
    const fn = this.function.fn;

    // Only inserts of pending entries (not the reservations, not the integrator's own seals): new
    // notarizations, and new audit events, which must be sealed promptly too. Same settings for both.
    const pendingInserts = (id: string, eventSourceArn: string) =>
      new EventSourceMapping(this, id, {
        target: fn,
        eventSourceArn,
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(2),
        retryAttempts: 2,
        maxRecordAge: Duration.hours(1),
        parallelizationFactor: 1,
        onFailure: new SqsDlq(this.failures),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { pending: { S: FilterRule.exists() } } },
          }),
        ],
      });
    pendingInserts('Stream', stream);
    pendingInserts('AuditStream', auditStream);

    new Rule(this, 'Schedule', {
      description: 'Stempel: seal pending notarizations and audit events the stream triggers may have missed',
      schedule: Schedule.rate(props.every),
      targets: [
        new LambdaFunction(fn, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.failures,
        }),
      ],
    });

    // Once on the first deployment, and again whenever a deployment changes the integrator (its code
    // or configuration: a new version), run it synchronously: the signed checkpoint of the empty log
    // exists before `cdk deploy` finishes, and a deployed integrator that cannot run fails the
    // deployment, which CloudFormation rolls back. Repeating a run is harmless (it is idempotent).
    this.afterDeploy = new Trigger(this, 'AfterDeploy', {
      handler: fn,
      invocationType: InvocationType.REQUEST_RESPONSE,
      executeOnHandlerChange: true,
      // The whole function (role, policy, log group) first; a little longer than one run may take.
      executeAfter: [this.function],
      timeout: SIZING.integrator.timeout.plus(Duration.seconds(30)),
    });
    confineTriggerProvider(this, props.logRetention, props.logRemovalPolicy);
    Annotations.of(fn).acknowledgeWarning(
      '@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias',
      "The integrator's only resource-policy permission is the schedule's, and EventBridge invokes the unqualified function. The version exists for the deployment trigger, whose provider invokes it with an identity-based permission of its own role (lambda:InvokeFunction on the integrator's versions), in the same account.",
    );
  }
}

/** Where aws-cdk-lib/triggers puts its provider: one per stack (construct id of its TriggerProvider). */
const TRIGGER_PROVIDER_ID = 'AWSCDK.TriggerCustomResourceProviderCustomResourceProvider';

/**
 * The trigger's provider is a small CDK-supplied function that invokes the
 * integrator for CloudFormation, with a role that may only invoke integrator
 * versions (lambda:InvokeFunction on <integrator ARN>:*). CDK builds it from
 * raw CfnResources, which cdk-nag does not inspect, and gives it the AWS
 * managed AWSLambdaBasicExecutionRole (logs in every log group of the account)
 * and an implicit log group that never expires. Bring it to the rules of this
 * stack's own functions: its own log group with the stage's retention, and
 * permission to write there and nowhere else.
 */
function confineTriggerProvider(
  scope: Construct,
  retention: RetentionDays,
  removalPolicy: RemovalPolicy,
): void {
  const provider = Stack.of(scope).node.tryFindChild(TRIGGER_PROVIDER_ID);
  if (!(provider instanceof CustomResourceProviderBase)) {
    throw new Error(
      `the trigger provider is no longer ${TRIGGER_PROVIDER_ID}; review confineTriggerProvider`,
    );
  }
  if (provider.node.tryFindChild('Logs')) return; // already done for an earlier trigger
  const role = provider.node.tryFindChild('Role');
  const handler = provider.node.tryFindChild('Handler');
  if (!(role instanceof CfnResource && role.cfnResourceType === 'AWS::IAM::Role'))
    throw new Error('the trigger provider has no AWS::IAM::Role named Role; review confineTriggerProvider');
  if (!(handler instanceof CfnResource && handler.cfnResourceType === 'AWS::Lambda::Function'))
    throw new Error(
      'the trigger provider has no AWS::Lambda::Function named Handler; review confineTriggerProvider',
    );

  const logs = new LogGroup(provider, 'Logs', { retention, removalPolicy });
  handler.addPropertyOverride('LoggingConfig', { LogGroup: logs.logGroupName });
  role.addPropertyDeletionOverride('ManagedPolicyArns');
  provider.addToRolePolicy({
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: logs.logGroupArn,
  });
}
