import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  type AlarmProps,
  ComparisonOperator,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { DeploymentFunctionName, FunctionName } from './functions';
import { acknowledgeAlarmEmailRedrive } from './nag';

/** The namespace every function's Powertools metrics go to (POWERTOOLS_METRICS_NAMESPACE in lib/functions.ts). */
export const METRICS_NAMESPACE = 'Stempel';

/** How often the alarms look: the scheduled functions run every five minutes. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * One Powertools metric of one function, summed per period: Powertools adds
 * the default dimension `service` = POWERTOOLS_SERVICE_NAME, which the stack
 * sets to `stempel-<name>`.
 *
 * @example
 * functionMetric('anchor', 'AnchorFailures');
 */
export const functionMetric = (name: FunctionName | DeploymentFunctionName, metricName: string): Metric =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: `stempel-${name}` },
    statistic: 'Sum',
    period: ALARM_PERIOD,
  });

export interface StempelAlarmsProps {
  readonly stage: string;
  /** Email addresses subscribed to the alarm topic (each confirms its subscription); may be empty. */
  readonly emails: readonly string[];
}

/** What one alarm says: AlarmProps without what every alarm here shares. */
export type StempelAlarmProps = Omit<AlarmProps, 'alarmName' | 'actionsEnabled'>;

/**
 * Where operators hear about trouble: an SNS topic (encrypted with a key of
 * its own that CloudWatch may use, TLS only) with the stage's email
 * subscribers, and CloudWatch alarms that notify it when they go into ALARM
 * and when they are OK again. Missing data is not breaching unless an alarm
 * says otherwise: a metric that is only emitted when something happens has
 * no data most of the time.
 *
 * @example
 * const alarms = new StempelAlarms(this, 'Alarms', { stage: 'dev', emails: [] });
 * alarms.add('AnchorFailures', { metric: functionMetric('anchor', 'AnchorFailures'), threshold: 1, evaluationPeriods: 3, datapointsToAlarm: 2, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD });
 */
export class StempelAlarms extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  private readonly stage: string;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: StempelAlarmsProps) {
    super(scope, id);
    this.stage = props.stage;

    // The AWS managed SNS key cannot be used: its policy does not let CloudWatch encrypt for the topic.
    this.key = new Key(this, 'TopicKey', {
      description: `Stempel ${props.stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
      // It protects notifications in transit through SNS, no data at rest: nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheTopic',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: `Stempel ${props.stage} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // CloudWatch publishes for this account's alarms only (the topic policy replaces SNS's default one).
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    for (const email of props.emails)
      acknowledgeAlarmEmailRedrive(this.topic.addSubscription(new EmailSubscription(email)));
    this.action = new SnsAction(this.topic);
  }

  /**
   * One alarm, named `stempel-<stage>-<id>`, that notifies the topic on ALARM
   * and on OK; treatMissingData defaults to notBreaching.
   */
  add(id: string, props: StempelAlarmProps): Alarm {
    const alarm = new Alarm(this, id, {
      treatMissingData: TreatMissingData.NOT_BREACHING,
      ...props,
      alarmName: `stempel-${this.stage}-${id}`,
      actionsEnabled: true,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}

/** The comparison every "something happened" alarm uses: at least the threshold. */
export const AT_LEAST = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
