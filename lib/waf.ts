import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { StageConfig } from './stage-config';

export interface StempelWafProps {
  /** The API stages the web ACL protects. */
  readonly stages: readonly Stage[];
  /** The stage's name as a literal (Stage.stageName is a token, which a WAF search string cannot hold). */
  readonly stageName: string;
  readonly limits: StageConfig['waf'];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The web ACL's CloudWatch metric name: the `WebACL` dimension of its AWS/WAFV2 metrics. */
export const WEB_ACL_METRIC_NAME = 'stempel-api';

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

const managed = (
  priority: number,
  name: string,
  ruleActionOverrides?: CfnWebACL.RuleActionOverrideProperty[],
): CfnWebACL.RuleProperty => ({
  name: `aws-${name}`,
  priority,
  overrideAction: { none: {} },
  statement: {
    managedRuleGroupStatement: {
      vendorName: 'AWS',
      name,
      ...(ruleActionOverrides ? { ruleActionOverrides } : {}),
    },
  },
  visibilityConfig: visibility(name),
});

/** Matches request paths under `prefix`, after URL-decoding, path normalization and lowercasing. */
const pathStartsWith = (prefix: string): CfnWebACL.StatementProperty => ({
  byteMatchStatement: {
    fieldToMatch: { uriPath: {} },
    positionalConstraint: 'STARTS_WITH',
    searchString: prefix.toLowerCase(),
    textTransformations: [
      { priority: 0, type: 'URL_DECODE' },
      { priority: 1, type: 'NORMALIZE_PATH' },
      { priority: 2, type: 'LOWERCASE' },
    ],
  },
});

/**
 * A regional WAFv2 web ACL on the API stages: AWS managed rule groups (common
 * exploits, known bad inputs, IP reputation), a per-IP rate limit on every
 * path, and a tighter one on /v1/auth/ against credential stuffing. Blocked
 * and counted requests are logged, with the Authorization header redacted.
 *
 * @example
 * new StempelWaf(this, 'Waf', { stages: [api.deploymentStage], stageName: 'dev', limits: config.waf, logRetention, logRemovalPolicy });
 */
export class StempelWaf extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: StempelWafProps) {
    super(scope, id);
    const { limits, stages, stageName } = props;

    // On the execute-api host the path carries the stage (/<stage>/v1/auth/…);
    // behind a custom domain with an empty base path it does not.
    const authPaths: CfnWebACL.StatementProperty = {
      orStatement: {
        statements: [pathStartsWith(`/${stageName}/v1/auth/`), pathStartsWith('/v1/auth/')],
      },
    };

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Stempel API: managed rule groups and per-IP rate limits',
      visibilityConfig: visibility(WEB_ACL_METRIC_NAME),
      rules: [
        {
          name: 'rate-limit-auth-per-ip',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: limits.authRequestsPerIp,
              evaluationWindowSec: limits.windowSeconds,
              scopeDownStatement: authPaths,
            },
          },
          visibilityConfig: visibility('rate-limit-auth-per-ip'),
        },
        {
          name: 'rate-limit-per-ip',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: limits.requestsPerIp,
              evaluationWindowSec: limits.windowSeconds,
            },
          },
          visibilityConfig: visibility('rate-limit-per-ip'),
        },
        managed(2, 'AWSManagedRulesAmazonIpReputationList'),
        // SizeRestrictions_BODY blocks bodies over 8 KB; the API accepts up to
        // maxBodyBytes (settings) and answers larger ones itself with a 413 problem.
        managed(3, 'AWSManagedRulesCommonRuleSet', [
          { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
        ]),
        managed(4, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
    });

    stages.forEach((stage, i) => {
      const association = new CfnWebACLAssociation(this, i === 0 ? 'Association' : `Association${i + 1}`, {
        resourceArn: stage.stageArn,
        webAclArn: this.webAcl.attrArn,
      });
      association.node.addDependency(stage);
    });

    // WAF requires the log group name to start with aws-waf-logs-, and its ARN without the trailing :*.
    const stack = Stack.of(this);
    const logs = new LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${stack.stackName}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logs.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [logGroupArn],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      },
    });
  }
}
