import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { StempelFunction } from './functions';
import { acknowledgeScheduledFunction, acknowledgeSettingsAuditFailureQueue } from './nag';

/** Within this, a change is still recorded (the function records the versions of the last 12 hours). */
const RUN_MAX_AGE = Duration.hours(6);

export interface SettingsAuditProps {
  readonly settings: IStringParameter;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The settings-audit function (functions/settings-audit.ts) and the
 * EventBridge rule that runs it on every change of the settings parameter
 * (SSM's "Parameter Store Change" events): each new version becomes a
 * `settings.change` audit event. A failed run is retried by EventBridge and
 * Lambda, then kept in the failure queue, whose depth is alarmed; the next
 * change's run records any version a lost run missed.
 *
 * @example
 * new SettingsAudit(this, 'SettingsAudit', { settings, environment, statements, logRetention, logRemovalPolicy });
 */
export class SettingsAudit extends Construct {
  readonly function: StempelFunction;
  readonly failures: Queue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: SettingsAuditProps) {
    super(scope, id);

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeSettingsAuditFailureQueue(this.failures);

    this.function = new StempelFunction(this, 'Function', {
      name: 'settings-audit',
      environment: props.environment,
      statements: props.statements,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      deadLetterQueue: this.failures,
    });
    acknowledgeScheduledFunction(this.function.role);

    this.rule = new Rule(this, 'OnChange', {
      description: 'Stempel: record changes of the settings parameter in the audit trail',
      eventPattern: {
        source: ['aws.ssm'],
        detailType: ['Parameter Store Change'],
        detail: { name: [props.settings.parameterName] },
      },
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
