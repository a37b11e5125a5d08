import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { PolicyDocument, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeApiGatewayLogsRole } from './nag';
import { allow } from './permissions';

/**
 * API Gateway's account-level CloudWatch Logs role, which stage execution and
 * access logging require. Replaces the role `RestApi` would create with the
 * AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy (Resource "*") by
 * an inline policy limited to this account's and region's log groups.
 *
 * The setting is one per account and region: it is retained on stack deletion
 * so other REST APIs in the account keep logging.
 *
 * @example
 * const account = new ApiGatewayAccount(this, 'ApiGatewayAccount');
 * api.deploymentStage.node.addDependency(account);
 */
export class ApiGatewayAccount extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const logGroups = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`;
    // Inline in the role (not a separate AWS::IAM::Policy) so that retaining the role retains its permissions.
    this.role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway: write execution and access logs to CloudWatch Logs (account setting)',
      inlinePolicies: {
        CloudWatchLogs: new PolicyDocument({
          statements: [
            allow(
              [
                'logs:CreateLogGroup',
                'logs:CreateLogStream',
                'logs:DescribeLogGroups',
                'logs:DescribeLogStreams',
                'logs:PutLogEvents',
                'logs:GetLogEvents',
                'logs:FilterLogEvents',
              ],
              [logGroups],
            ),
          ],
        }),
      },
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledgeApiGatewayLogsRole(
      this.role,
      'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*',
    );

    const account = new CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
