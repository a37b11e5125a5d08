import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { StempelFunction } from './functions';
import { acknowledgeFailureQueue, acknowledgeIntegratorWildcards } from './nag';

export interface IntegratorProps {
  readonly notarizations: ITable;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** How often the safety-net schedule runs the integrator. */
  readonly every: Duration;
}

/**
 * The integrator (functions/integrator.ts) and what runs it: new pending
 * notarizations on the notarizations table's stream, and a schedule as a
 * safety net. Invocations only mean "there is work" (the integrator drains the
 * pending queue itself), so a failed one loses nothing; its record goes to a
 * failure queue for operators.
 *
 * @example
 * new Integrator(this, 'Integrator', { notarizations, environment, statements, logRetention, logRemovalPolicy, every: Duration.minutes(5) });
 */
export class Integrator extends Construct {
  readonly function: StempelFunction;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: IntegratorProps) {
    super(scope, id);
    const stream = props.notarizations.tableStreamArn;
    if (!stream) throw new Error('the integrator needs the notarizations table stream');

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
    });
    acknowledgeIntegratorWildcards(this.function.role);
    const fn = this.function.fn;

    // Only inserts of pending notarizations (not the reservations, not the integrator's own seals).
    new EventSourceMapping(this, 'Stream', {
      target: fn,
      eventSourceArn: stream,
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

    new Rule(this, 'Schedule', {
      description: 'Stempel: seal pending notarizations the stream trigger may have missed',
      schedule: Schedule.rate(props.every),
      targets: [
        new LambdaFunction(fn, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.failures,
        }),
      ],
    });
  }
}
