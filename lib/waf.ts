import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER } from '../shared/http/client-address';
import type { StageConfig } from './stage-config';

export interface StempelWafProps {
  /** The API stages the web ACL protects. */
  readonly stages: readonly Stage[];
  /** The stage's name as a literal (Stage.stageName is a token, which a WAF search string cannot hold). */
  readonly stageName: string;
  readonly limits: StageConfig['waf'];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * The console's CloudFront distribution sends API requests with the
   * origin secret in ORIGIN_VERIFY_HEADER and the viewer's address in
   * VIEWER_ADDRESS_HEADER (lib/console.ts). `secret` is a CloudFormation
   * dynamic reference to it, resolved at deploy time, never a literal.
   */
  readonly viaCloudFront?: { readonly secret: string };
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

/** Matches requests whose header `name` is exactly `value`. */
const headerEquals = (name: string, value: string): CfnWebACL.StatementProperty => ({
  byteMatchStatement: {
    fieldToMatch: { singleHeader: { Name: name } },
    positionalConstraint: 'EXACTLY',
    searchString: value,
    textTransformations: [{ priority: 0, type: 'NONE' }],
  },
});

/** Matches requests that carry header `name` at all (a missing header matches no size constraint). */
const headerPresent = (name: string): CfnWebACL.StatementProperty => ({
  sizeConstraintStatement: {
    fieldToMatch: { singleHeader: { Name: name } },
    comparisonOperator: 'GE',
    size: 0,
    textTransformations: [{ priority: 0, type: 'NONE' }],
  },
});

/** Both statements, or the one given. */
const allOf = (
  first: CfnWebACL.StatementProperty | undefined,
  second: CfnWebACL.StatementProperty,
): CfnWebACL.StatementProperty => (first ? { andStatement: { statements: [first, second] } } : second);

/**
 * A regional WAFv2 web ACL on the API stages: AWS managed rule groups (common
 * exploits, known bad inputs, IP reputation), a per-IP rate limit on every
 * path, and a tighter one on /v1/auth/ against credential stuffing. With
 * `viaCloudFront`, requests through the console's distribution (proven by the
 * origin secret) are limited per viewer address instead of per edge address,
 * and a viewer address without the secret is blocked. Blocked and counted
 * requests are logged, with the Authorization and Cookie headers and the
 * origin secret redacted.
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

    // Through the console's distribution every request comes from a CloudFront edge: those
    // (proven by the origin secret) are rate-limited per viewer address instead.
    const viaCloudFront = props.viaCloudFront
      ? headerEquals(ORIGIN_VERIFY_HEADER, props.viaCloudFront.secret)
      : undefined;
    const rateLimits = (
      name: string,
      limit: number,
      scope: CfnWebACL.StatementProperty | undefined,
    ): CfnWebACL.RuleProperty[] => {
      const rule = (
        ruleName: string,
        statement: Omit<CfnWebACL.RateBasedStatementProperty, 'limit' | 'evaluationWindowSec'>,
      ): CfnWebACL.RuleProperty => ({
        name: ruleName,
        priority: 0, // numbered below, in order
        action: { block: {} },
        statement: {
          rateBasedStatement: { limit, evaluationWindowSec: limits.windowSeconds, ...statement },
        },
        visibilityConfig: visibility(ruleName),
      });
      if (!viaCloudFront)
        return [
          rule(`${name}-per-ip`, { aggregateKeyType: 'IP', ...(scope ? { scopeDownStatement: scope } : {}) }),
        ];
      return [
        rule(`${name}-per-ip`, {
          aggregateKeyType: 'IP',
          scopeDownStatement: allOf(scope, { notStatement: { statement: viaCloudFront } }),
        }),
        rule(`${name}-per-viewer`, {
          aggregateKeyType: 'FORWARDED_IP',
          // CloudFront always sets the header from the connection; without a valid address, block.
          forwardedIpConfig: { headerName: VIEWER_ADDRESS_HEADER, fallbackBehavior: 'MATCH' },
          scopeDownStatement: allOf(scope, viaCloudFront),
        }),
      ];
    };
    // A viewer address without the origin secret is a direct client picking its own address.
    const proofRequired: CfnWebACL.RuleProperty[] = viaCloudFront
      ? [
          {
            name: 'viewer-address-requires-origin-secret',
            priority: 0,
            action: { block: {} },
            statement: {
              andStatement: {
                statements: [
                  headerPresent(VIEWER_ADDRESS_HEADER),
                  { notStatement: { statement: viaCloudFront } },
                ],
              },
            },
            visibilityConfig: visibility('viewer-address-requires-origin-secret'),
          },
        ]
      : [];
    const ownRules = [
      ...proofRequired,
      ...rateLimits('rate-limit-auth', limits.authRequestsPerIp, authPaths),
      ...rateLimits('rate-limit', limits.requestsPerIp, undefined),
    ].map((rule, priority) => ({ ...rule, priority }));
    const next = ownRules.length;

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Stempel API: managed rule groups and per-IP rate limits',
      visibilityConfig: visibility(WEB_ACL_METRIC_NAME),
      rules: [
        ...ownRules,
        managed(next, 'AWSManagedRulesAmazonIpReputationList'),
        // SizeRestrictions_BODY blocks bodies over 8 KB; the API accepts up to
        // maxBodyBytes (settings) and answers larger ones itself with a 413 problem.
        managed(next + 1, 'AWSManagedRulesCommonRuleSet', [
          { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
        ]),
        managed(next + 2, 'AWSManagedRulesKnownBadInputsRuleSet'),
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
      // Tokens, the refresh cookie and the origin secret never reach the logs.
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'cookie' } },
        { singleHeader: { Name: ORIGIN_VERIFY_HEADER } },
      ],
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
