import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { EventFunction } from './event-function';
import { acknowledgeSettingsAuditFailureQueue } from './nag';

export interface SettingsAuditProps {
  readonly settings: IStringParameter;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The settings-audit function (functions/settings-audit.ts), run on every
 * change of the settings parameter (SSM's "Parameter Store Change" events):
 * each new version becomes a `settings.change` audit event. The next change's
 * run records any version of the last 12 hours that a lost run missed, so a
 * change EventBridge could not deliver within 6 hours is dropped.
 *
 * @example
 * new SettingsAudit(this, 'SettingsAudit', { settings, environment, statements, logRetention, logRemovalPolicy });
 */
export class SettingsAudit extends EventFunction {
  constructor(scope: Construct, id: string, props: SettingsAuditProps) {
    super(scope, id, {
      ...props,
      name: 'settings-audit',
      trigger: {
        eventPattern: {
          source: ['aws.ssm'],
          detailType: ['Parameter Store Change'],
          detail: { name: [props.settings.parameterName] },
        },
      },
      ruleId: 'OnChange',
      description: 'Stempel: record changes of the settings parameter in the audit trail',
      maxEventAge: Duration.hours(6),
      acknowledgeFailureQueue: acknowledgeSettingsAuditFailureQueue,
    });
  }
}
