import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { StempelBackup } from '../../lib/backup';
import { type StageName, stageConfig } from '../../lib/stage-config';
import { WEB_ACL_METRIC_NAME } from '../../lib/waf';
import { FUNCTION_GROUPS } from '../../shared/http/routes';
import { tables } from '../../shared/tables';
import {
  BACKGROUND_FUNCTIONS,
  functionId,
  LIVE_FUNCTIONS,
  type Resource,
  resourcesOf,
  synthStempel,
} from './synth';

const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => `${part[0]?.toUpperCase()}${part.slice(1)}`)
    .join('');
const API_FUNCTIONS = ['authorizer', ...FUNCTION_GROUPS] as const;

/** Every alarm by the id in its name (`stempel-<stage>-<id>`). */
function alarmsOf(template: Template, stage: string): Map<string, Resource> {
  return new Map(
    Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((a) => [
      String(a.Properties.AlarmName).replace(`stempel-${stage}-`, ''),
      a,
    ]),
  );
}

/** The alarms' own metric: `[namespace, name, dimensions]` of a single-metric alarm. */
const single = (a: Resource) => ({
  namespace: a.Properties.Namespace,
  metricName: a.Properties.MetricName,
  dimensions: a.Properties.Dimensions,
  statistic: a.Properties.Statistic ?? a.Properties.ExtendedStatistic,
  period: a.Properties.Period,
});

describe.each(['dev', 'prod'] as const satisfies readonly StageName[])('operations (%s)', (stage) => {
  let template: Template;
  let alarms: Map<string, Resource>;
  const config = stageConfig(stage);
  const t = config.alarmThresholds;
  beforeAll(() => {
    template = synthStempel({ stage }).template;
    alarms = alarmsOf(template, stage);
  });
  const alarm = (id: string) => {
    const found = alarms.get(id);
    if (!found) throw new Error(`no alarm ${id}; have ${[...alarms.keys()].join(', ')}`);
    return found;
  };
  const topicId = () => Object.keys(resourcesOf(template, 'AWS::SNS::Topic'))[0] as string;

  it('notifies the topic on ALARM and OK from every alarm', () => {
    for (const [, a] of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId() }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId() }]);
      expect(a.Properties.TreatMissingData).toMatch(/^(notBreaching|breaching)$/);
    }
  });

  it.each(['Api', 'BinaryApi'])('alarms on the 5xx share of %s with metric math', (prefix) => {
    const a = alarm(`${prefix}5xxRate`);
    expect(a.Properties).toMatchObject({
      Threshold: t.api5xxPercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    const queries = a.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string }; Period: number; Stat: string };
    }[];
    expect(queries.find((q) => q.Expression)?.Expression).toBe(
      'IF(requests >= 10, 100 * errors / requests, 0)',
    );
    const stat = (id: string) => queries.find((q) => q.Id === id)?.MetricStat;
    expect(stat('errors')).toMatchObject({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError' },
      Period: 300,
      Stat: 'Sum',
    });
    expect(stat('requests')).toMatchObject({ Metric: { MetricName: 'Count' }, Stat: 'Sum' });
  });

  it('alarms on the 5xx share of both APIs, each on its own API', () => {
    const apiNames = ['Api', 'BinaryApi'].map((p) =>
      JSON.stringify(
        (alarm(`${p}5xxRate`).Properties.Metrics as { MetricStat?: { Metric: unknown } }[]).find(
          (q) => q.MetricStat,
        )?.MetricStat?.Metric,
      ),
    );
    expect(new Set(apiNames).size).toBe(2);
  });

  it.each(API_FUNCTIONS)('alarms on the p99 duration of the %s function', (name) => {
    const a = alarm(`${pascal(name)}P99Duration`);
    expect(single(a)).toMatchObject({
      namespace: 'AWS/Lambda',
      metricName: 'Duration',
      statistic: 'p99',
      period: 300,
    });
    expect(a.Properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: functionId(template, name) } },
    ]);
    expect(a.Properties).toMatchObject({ Threshold: t.p99LatencyMs, EvaluationPeriods: 3 });
  });

  it.each([
    ['IntegrationLag', 'OldestPendingSeconds'],
    ['AuditIntegrationLag', 'AuditOldestPendingSeconds'],
  ])('alarms on %s (%s of the integrator), missing data breaching', (id, metricName) => {
    const a = alarm(id);
    expect(single(a)).toEqual({
      namespace: 'Stempel',
      metricName,
      dimensions: [{ Name: 'service', Value: 'stempel-integrator' }],
      statistic: 'Maximum',
      period: 300,
    });
    expect(a.Properties).toMatchObject({
      Threshold: t.integrationLagSeconds,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on every dead-letter queue of the stack', () => {
    // Every queue but a work queue (one with a redrive policy of its own, as the webhook deliveries'):
    // its failures end in its dead-letter queue, which is watched.
    const queues = Object.entries(resourcesOf(template, 'AWS::SQS::Queue'))
      .filter(([, q]) => q.Properties.RedrivePolicy === undefined)
      .map(([id]) => id);
    expect(queues.length).toBeGreaterThanOrEqual(4);
    const watched = [...alarms.values()]
      .filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')
      .map((a) => {
        expect(a.Properties).toMatchObject({
          Namespace: 'AWS/SQS',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          Statistic: 'Maximum',
        });
        return (a.Properties.Dimensions as { Value: { 'Fn::GetAtt': string[] } }[])[0]?.Value[
          'Fn::GetAtt'
        ][0];
      });
    expect(new Set(watched)).toEqual(new Set(queues));
  });

  it('alarms on the requests the WAF blocks', () => {
    const a = alarm('WafBlockedRequests');
    expect(single(a)).toMatchObject({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      statistic: 'Sum',
      period: 300,
    });
    expect(a.Properties.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'WebACL', Value: WEB_ACL_METRIC_NAME },
        { Name: 'Rule', Value: 'ALL' },
      ]),
    );
    expect(a.Properties.Threshold).toBe(t.wafBlockedRequests);
    // The dimension is the web ACL's own metric name.
    const acl = Object.values(resourcesOf(template, 'AWS::WAFv2::WebACL'))[0];
    expect(((acl?.Properties.VisibilityConfig ?? {}) as { MetricName?: string }).MetricName).toBe(
      WEB_ACL_METRIC_NAME,
    );
  });

  it.each([
    ['LoginFailures', 'LoginFailed', t.loginFailures],
    ['LoginLockouts', 'LoginLocked', t.loginLockouts],
  ])('alarms on %s (%s of the auth function)', (id, metricName, threshold) => {
    const a = alarm(id);
    expect(single(a)).toEqual({
      namespace: 'Stempel',
      metricName,
      dimensions: [{ Name: 'service', Value: 'stempel-auth' }],
      statistic: 'Sum',
      period: 300,
    });
    expect(a.Properties).toMatchObject({
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it.each([...API_FUNCTIONS, ...BACKGROUND_FUNCTIONS, ...LIVE_FUNCTIONS])(
    'alarms on throttles of the %s function',
    (name) => {
      const a = alarm(`${pascal(name)}Throttles`);
      expect(single(a)).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'Throttles', statistic: 'Sum' });
      expect(a.Properties.Dimensions).toEqual([
        { Name: 'FunctionName', Value: { Ref: functionId(template, name) } },
      ]);
      expect(a.Properties.Threshold).toBe(t.lambdaThrottles);
    },
  );

  it('has one dashboard with every alarm and every alarmed metric', () => {
    const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toBe(`stempel-${stage}`);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    expect(body).toContain('"type\\":\\"alarm\\"');
    for (const [id, a] of alarms) {
      // The alarm status widget lists each alarm's ARN, and each graph plots its metric.
      const alarmId = Object.entries(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find(
        ([, r]) => r === a,
      )?.[0];
      expect(body, id).toContain(`"${alarmId}","Arn"`);
      const names = a.Properties.MetricName
        ? [a.Properties.MetricName]
        : (a.Properties.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[]).flatMap((q) =>
            q.MetricStat ? [q.MetricStat.Metric.MetricName] : [],
          );
      for (const name of names) expect(body, id).toContain(`\\"${name}\\"`);
      expect(body, id).toContain(`\\"title\\":\\"${id}\\"`);
    }
  });

  it('backs up every table daily (and monthly where kept) with the stage retention', () => {
    const plans = Object.values(resourcesOf(template, 'AWS::Backup::BackupPlan'));
    expect(plans).toHaveLength(1);
    const rules = ((plans[0]?.Properties.BackupPlan ?? {}) as { BackupPlanRule: unknown }).BackupPlanRule as {
      RuleName: string;
      Lifecycle: { DeleteAfterDays: number };
      ScheduleExpression: string;
    }[];
    const byName = Object.fromEntries(rules.map((r) => [r.RuleName, r]));
    expect(byName.Daily?.Lifecycle.DeleteAfterDays).toBe(config.backup.dailyRetentionDays);
    expect(byName.Daily?.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    if (stage === 'prod') {
      expect(rules).toHaveLength(2);
      expect(byName.Monthly?.Lifecycle.DeleteAfterDays).toBe(365);
      expect(byName.Monthly?.ScheduleExpression).toBe('cron(0 4 1 * ? *)');
    } else expect(rules).toHaveLength(1);
    expect(byName.Daily?.Lifecycle.DeleteAfterDays).toBe(stage === 'prod' ? 35 : 7);

    const selection = Object.values(resourcesOf(template, 'AWS::Backup::BackupSelection'))[0];
    const resources = JSON.stringify(
      ((selection?.Properties.BackupSelection ?? {}) as { Resources: unknown }).Resources,
    );
    for (const def of tables) {
      const tableId = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table')).find((id) =>
        id.startsWith(`Data${def.id}`),
      );
      expect(resources, def.id).toContain(`"${tableId}","Arn"`);
    }
  });

  it('keeps point-in-time recovery on for every table', () => {
    for (const table of Object.values(resourcesOf(template, 'AWS::DynamoDB::Table')))
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it(`encrypts the vault with a KMS key of its own, ${stage === 'prod' ? 'locked' : 'unlocked'}`, () => {
    const vault = Object.values(resourcesOf(template, 'AWS::Backup::BackupVault'))[0];
    const keyRef = (
      (vault?.Properties.EncryptionKeyArn ?? { 'Fn::GetAtt': [] }) as { 'Fn::GetAtt': string[] }
    )['Fn::GetAtt'][0] as string;
    const key = resourcesOf(template, 'AWS::KMS::Key')[keyRef];
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    expect(vault?.DeletionPolicy).toBe('Retain');
    if (stage === 'prod')
      expect(vault?.Properties.LockConfiguration).toEqual({ MinRetentionDays: 35, ChangeableForDays: 3 });
    else expect(vault?.Properties.LockConfiguration).toBeUndefined();
  });
});

describe('backup role', () => {
  it('may use the vault key and decrypt with the data key, with named actions only', () => {
    const { template } = synthStempel({ stage: 'dev' });
    const [roleId] = Object.entries(resourcesOf(template, 'AWS::IAM::Role')).find(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('backup.amazonaws.com'),
    ) ?? [''];
    const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`),
    );
    const statements = policies.flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
    const keyOf = (idPrefix: string) =>
      Object.keys(resourcesOf(template, 'AWS::KMS::Key')).find((id) => id.startsWith(idPrefix));
    const actionsOn = (keyId: string | undefined) =>
      statements
        .filter((st) => JSON.stringify(st.Resource).includes(`"${keyId}"`))
        .flatMap((st) => [st.Action].flat());
    expect(actionsOn(keyOf('DataDataKey')).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(actionsOn(keyOf('BackupVaultKey')).sort()).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
  });
});

describe('backup configuration', () => {
  it('refuses a vault lock longer than the daily retention', () => {
    const stack = new Stack(new App());
    expect(
      () =>
        new StempelBackup(stack, 'Backup', {
          stage: 'prod',
          tables: [],
          tableKey: new Key(stack, 'K'),
          config: {
            dailyRetentionDays: 7,
            monthlyRetentionDays: 0,
            vaultLock: { minRetentionDays: 8, changeableForDays: 3 },
          },
        }),
    ).toThrow(/minRetentionDays \(8\) exceeds the daily rule's retention \(7 days\)/);
  });

  it('keeps the prod vault lock within the daily retention', () => {
    const { backup } = stageConfig('prod');
    expect(backup.vaultLock?.minRetentionDays).toBeLessThanOrEqual(backup.dailyRetentionDays);
  });
});
