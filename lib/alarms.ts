import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  type AlarmProps,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IWidget,
  Metric,
  TextWidget,
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
 * The signal groups, in the order the dashboard shows them: each is one row
 * of graphs, one graph per alarm, so the alarms are the one definition of
 * what the dashboard plots.
 */
export const SIGNAL_GROUPS = [
  'API errors',
  'Latency (p99)',
  'Integration',
  'Failure queues',
  'WAF',
  'Sign-in',
  'Throttling',
  'Pipeline',
] as const;
export type SignalGroup = (typeof SIGNAL_GROUPS)[number];

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
  /** Every alarm with its dashboard group, in the order added. */
  readonly signals: { readonly id: string; readonly group: SignalGroup; readonly alarm: Alarm }[] = [];

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
  add(id: string, props: StempelAlarmProps, group: SignalGroup = 'Pipeline'): Alarm {
    const alarm = new Alarm(this, id, {
      treatMissingData: TreatMissingData.NOT_BREACHING,
      ...props,
      alarmName: `stempel-${this.stage}-${id}`,
      actionsEnabled: true,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.signals.push({ id, group, alarm });
    return alarm;
  }

  /**
   * The stage's dashboard, `stempel-<stage>`: the state of every alarm, then
   * per signal group one graph per alarm, of the alarm's own metric (or
   * metric math) with its threshold drawn in. Call it after the last `add`.
   */
  dashboard(): Dashboard {
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `stempel-${this.stage}`,
      defaultInterval: Duration.hours(6),
    });
    const alarms = this.signals.map((s) => s.alarm);
    dashboard.addWidgets(
      new AlarmStatusWidget({
        title: 'Alarms',
        alarms,
        width: 24,
        height: Math.max(2, Math.ceil(alarms.length / 4) + 1),
      }),
    );
    for (const group of SIGNAL_GROUPS) {
      const members = this.signals.filter((s) => s.group === group);
      if (members.length === 0) continue;
      const widgets: IWidget[] = [new TextWidget({ markdown: `## ${group}`, width: 24, height: 1 })];
      for (const { id, alarm } of members)
        widgets.push(
          new GraphWidget({
            title: id,
            left: [alarm.metric],
            leftAnnotations: [alarm.toAnnotation()],
            width: 6,
            height: 6,
          }),
        );
      dashboard.addWidgets(...widgets);
    }
    return dashboard;
  }
}

/** The comparison every "something happened" alarm uses: at least the threshold. */
export const AT_LEAST = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
