import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { StempelFunction } from './functions';
import { acknowledgeAnchorFailureQueue, acknowledgeScheduledFunction } from './nag';

/** An invocation EventBridge could not deliver for this long goes to the failure queue: later runs anchor a newer checkpoint. */
const RUN_MAX_AGE = Duration.minutes(15);

export interface AnchorProps {
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** How often the anchor function runs (it anchors only when the log grew and the interval of the settings passed). */
  readonly every: Duration;
}

/**
 * The anchor function (functions/anchor.ts) and its schedule: it time-stamps
 * the log's latest checkpoint with the external RFC 3161 TSAs of the settings
 * (over HTTPS on the internet, so no VPC) and stores their tokens in the
 * Anchors table. A TSA that does not answer is counted in `AnchorFailures`
 * (alarmed, lib/alarms.ts) without failing the run; a run that fails anyway
 * is retried twice by Lambda (its default for asynchronous invocations, as
 * for the integrator; EventBridge also retries twice an invocation it could
 * not deliver), and then recorded in the failure queue, whose depth is alarmed.
 * A lost run loses nothing: the next one anchors the then latest checkpoint.
 *
 * @example
 * new Anchor(this, 'Anchor', { environment, statements, logRetention, logRemovalPolicy, every: Duration.minutes(5) });
 */
export class Anchor extends Construct {
  readonly function: StempelFunction;
  readonly failures: Queue;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: AnchorProps) {
    super(scope, id);

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeAnchorFailureQueue(this.failures);

    this.function = new StempelFunction(this, 'Function', {
      name: 'anchor',
      environment: props.environment,
      statements: props.statements,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // Failed runs (EventBridge invokes asynchronously), after Lambda's two retries of an asynchronous invocation.
      deadLetterQueue: this.failures,
    });
    acknowledgeScheduledFunction(this.function.role);

    this.schedule = new Rule(this, 'Schedule', {
      description: "Stempel: time-stamp the log's latest checkpoint with the external TSAs",
      schedule: Schedule.rate(props.every),
      targets: [
        new LambdaFunction(this.function.fn, {
          retryAttempts: 2,
          maxEventAge: RUN_MAX_AGE,
          deadLetterQueue: this.failures,
        }),
      ],
    });
  }
}
