import { Aws } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { ALARM_PERIOD, AT_LEAST, functionMetric, type StempelAlarms } from './alarms';
import type { AlarmThresholds } from './stage-config';

/** Fewer requests than this in a period make no 5xx rate: one failed request of two is not an outage. */
export const MIN_REQUESTS_FOR_RATE = 10;

export interface OperationalAlarmsProps {
  readonly thresholds: AlarmThresholds;
  /** The REST APIs by the alarm id prefix (`Api`, `BinaryApi`). */
  readonly apis: Readonly<Record<string, RestApi>>;
  /** The functions behind API Gateway (authorizer and route groups), by name. */
  readonly apiFunctions: Readonly<Record<string, IFunction>>;
  /** The stream and scheduled functions, by name. */
  readonly backgroundFunctions: Readonly<Record<string, IFunction>>;
  /** Failure queues (DLQs) not alarmed elsewhere, by alarm id. */
  readonly failureQueues: Readonly<Record<string, IQueue>>;
  /** The web ACL's metric name (its `WebACL` dimension). */
  readonly webAclMetricName: string;
}

const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => `${part[0]?.toUpperCase()}${part.slice(1)}`)
    .join('');

/**
 * The service's health signals as alarms (and, through them, the dashboard):
 * API 5xx rate, p99 duration per API function, integration lag of both logs,
 * failure queues, WAF blocks, failed and locked logins, and Lambda throttles.
 * Thresholds come from the stage (lib/stage-config.ts); docs/operations.md
 * says what each alarm means and what to do.
 *
 * Missing data: "not breaching" for signals that exist only when there is
 * traffic or trouble (API metrics, function metrics, WAF blocks, login
 * failures); "breaching" for the integration lag, which the integrator
 * publishes on every run (the schedule runs it every five minutes), so no
 * data means the integrator is not running.
 */
export function addOperationalAlarms(alarms: StempelAlarms, props: OperationalAlarmsProps): void {
  const t = props.thresholds;

  // 5xx share per API, as metric math; periods with too few requests count as 0 %.
  for (const [prefix, api] of Object.entries(props.apis)) {
    alarms.add(
      `${prefix}5xxRate`,
      {
        alarmDescription: `More than ${t.api5xxPercent} % of the ${prefix} REST API's requests were answered 5xx in 2 consecutive five-minute periods (periods with fewer than ${MIN_REQUESTS_FOR_RATE} requests count as 0 %). See docs/operations.md.`,
        metric: new MathExpression({
          expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`,
          usingMetrics: {
            errors: api.metricServerError({ statistic: 'Sum', period: ALARM_PERIOD }),
            requests: api.metricCount({ statistic: 'Sum', period: ALARM_PERIOD }),
          },
          label: `${prefix} 5xx %`,
          period: ALARM_PERIOD,
        }),
        threshold: t.api5xxPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
      'API errors',
    );
  }

  // p99 latency per route group: the Duration of the group's function (no detailed API Gateway metrics needed).
  for (const [name, fn] of Object.entries(props.apiFunctions)) {
    alarms.add(
      `${pascal(name)}P99Duration`,
      {
        alarmDescription: `The p99 duration of the ${name} function was above ${t.p99LatencyMs} ms in 3 consecutive five-minute periods: requests of that route group are slow. See docs/operations.md.`,
        metric: fn.metricDuration({ statistic: 'p99', period: ALARM_PERIOD }),
        threshold: t.p99LatencyMs,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
      'Latency (p99)',
    );
  }

  // Integration lag: published by every integrator run (functions/integrator.ts), so missing data is breaching.
  for (const [id, metricName, log] of [
    ['IntegrationLag', 'OldestPendingSeconds', 'notarization'],
    ['AuditIntegrationLag', 'AuditOldestPendingSeconds', 'audit'],
  ] as const) {
    const metric = functionMetric('integrator', metricName).with({ statistic: 'Maximum' });
    alarms.add(
      id,
      {
        alarmDescription: `The oldest pending entry of the ${log} log was more than ${t.integrationLagSeconds} s old in 2 of 3 five-minute periods, or the integrator published nothing (it is not running). Notarizations get 503 log_backpressure beyond maxIntegrationLagSeconds. See docs/operations.md.`,
        metric,
        threshold: t.integrationLagSeconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: TreatMissingData.BREACHING,
      },
      'Integration',
    );
  }

  for (const [id, queue] of Object.entries(props.failureQueues)) {
    alarms.add(
      id,
      {
        alarmDescription: `Messages in the ${id} dead-letter queue: invocations failed after their retries. See docs/operations.md.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: ALARM_PERIOD,
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
      'Failure queues',
    );
  }

  alarms.add(
    'WafBlockedRequests',
    {
      alarmDescription: `The WAF blocked at least ${t.wafBlockedRequests} requests in five minutes (all rules): an attack, a misbehaving client, or a rule blocking real traffic. See docs/operations.md.`,
      metric: new Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensionsMap: { WebACL: props.webAclMetricName, Region: Aws.REGION, Rule: 'ALL' },
        statistic: 'Sum',
        period: ALARM_PERIOD,
      }),
      threshold: t.wafBlockedRequests,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    },
    'WAF',
  );

  for (const [id, metricName, threshold, what] of [
    ['LoginFailures', 'LoginFailed', t.loginFailures, 'failed logins'],
    ['LoginLockouts', 'LoginLocked', t.loginLockouts, 'logins refused because the name was locked'],
  ] as const) {
    alarms.add(
      id,
      {
        alarmDescription: `At least ${threshold} ${what} in five minutes: password guessing, or a client with a stale password. See docs/operations.md.`,
        metric: functionMetric('auth', metricName),
        threshold,
        comparisonOperator: AT_LEAST,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
      'Sign-in',
    );
  }

  for (const [name, fn] of Object.entries({ ...props.apiFunctions, ...props.backgroundFunctions })) {
    alarms.add(
      `${pascal(name)}Throttles`,
      {
        alarmDescription: `The ${name} function was throttled at least ${t.lambdaThrottles} times in five minutes: the account's (or region's) concurrency is exhausted. See docs/operations.md.`,
        metric: fn.metricThrottles({ statistic: 'Sum', period: ALARM_PERIOD }),
        threshold: t.lambdaThrottles,
        comparisonOperator: AT_LEAST,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      },
      'Throttling',
    );
  }
}
