import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { type EventPattern, Rule, type Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { type ScheduledFunctionName, StempelFunction } from './functions';
import { acknowledgeScheduledFunction } from './nag';

export interface EventFunctionProps {
  readonly name: ScheduledFunctionName;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** What runs it: a schedule, or events of this pattern. */
  readonly trigger: { readonly schedule: Schedule } | { readonly eventPattern: EventPattern };
  /** The rule's construct id and description. */
  readonly ruleId: string;
  readonly description: string;
  /** An invocation EventBridge could not deliver for this long goes to the failure queue. */
  readonly maxEventAge: Duration;
  /** Acknowledges the failure queue's cdk-nag findings, with this function's reason. */
  readonly acknowledgeFailureQueue: (queue: IConstruct) => void;
}

/**
 * A function run asynchronously by EventBridge (functions/<name>.ts) with
 * its rule: a failed run is retried twice by EventBridge (delivery) and by
 * Lambda (the asynchronous invocation), then recorded in the failure queue,
 * whose depth the stack alarms on.
 *
 * @example
 * new EventFunction(this, 'Anchor', { name: 'anchor', trigger: { schedule: Schedule.rate(Duration.minutes(5)) }, … });
 */
export class EventFunction extends Construct {
  readonly function: StempelFunction;
  readonly failures: Queue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: EventFunctionProps) {
    super(scope, id);

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    props.acknowledgeFailureQueue(this.failures);

    this.function = new StempelFunction(this, 'Function', {
      name: props.name,
      environment: props.environment,
      statements: props.statements,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      deadLetterQueue: this.failures,
    });
    acknowledgeScheduledFunction(this.function.role);

    this.rule = new Rule(this, props.ruleId, {
      description: props.description,
      ...props.trigger,
      targets: [
        new LambdaFunction(this.function.fn, {
          retryAttempts: 2,
          maxEventAge: props.maxEventAge,
          deadLetterQueue: this.failures,
        }),
      ],
    });
  }
}
