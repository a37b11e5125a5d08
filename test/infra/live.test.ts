import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIVE_ACCESS_LOG_FIELDS, LIVE_ROUTES } from '../../lib/live';
import type { StempelStack } from '../../lib/stempel-stack';
import { ENV } from '../../shared/runtime/environment';
import { liveConnectionsTable } from '../../shared/tables';
import { functionId, only, type Resource, resourcesOf, roleId, synthStempel } from './synth';

/** Every statement of the roles' policies, with the role's function name. */
function statementsByFunction(template: Template, name: string) {
  const id = roleId(template, name);
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === id))
    .flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
}

const actions = (s: { Action: string | string[] }) => [s.Action].flat();
const json = (v: unknown) => JSON.stringify(v);

describe('the live log channel (WebSocket API) in the stack', () => {
  let template: Template;
  let stack: StempelStack;
  let apiId: string;
  let tableId: string;

  beforeAll(() => {
    const synthesized = synthStempel({ stage: 'dev' });
    template = synthesized.template;
    stack = synthesized.stack as StempelStack;
    apiId = Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Api'))[0] as string;
    tableId = Object.entries(resourcesOf(template, 'AWS::DynamoDB::Table')).find(([id]) =>
      id.startsWith(`Data${liveConnectionsTable.id}`),
    )?.[0] as string;
  }, 180_000);

  it('is one WebSocket API that routes on the frame action', () => {
    expect(only(template, 'AWS::ApiGatewayV2::Api').Properties).toMatchObject({
      Name: 'stempel-dev-live',
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('sends $connect, $disconnect, subscribe and $default to the live function, without an authorizer (first-frame auth)', () => {
    const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...LIVE_ROUTES].sort());
    const integration = only(template, 'AWS::ApiGatewayV2::Integration');
    expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
    expect(json(integration.Properties.IntegrationUri)).toContain(functionId(template, 'live'));
    for (const route of routes) {
      expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
      expect(json(route.Properties.Target)).toContain(
        Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Integration'))[0] as string,
      );
    }
    // API Gateway may invoke the live function for this API only.
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter((p) =>
      json(p.Properties.FunctionName).includes(functionId(template, 'live')),
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const p of permissions) {
      expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
      expect(json(p.Properties.SourceArn)).toContain(apiId);
    }
  });

  it('has a throttled, auto-deployed stage with JSON access logs that never hold a frame', () => {
    const stage = only(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toMatchObject({
      StageName: 'dev',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 },
    });
    const logs = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(JSON.parse(logs.Format)).toEqual(LIVE_ACCESS_LOG_FIELDS);
    expect(logs.Format).not.toMatch(/body|authorization|token/i);
    const [groupId] = (logs.DestinationArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
    expect(resourcesOf(template, 'AWS::Logs::LogGroup')[groupId]?.Properties.RetentionInDays).toBe(30);
    // The account's CloudWatch Logs role exists before the stage tries to log.
    expect(json(stage.DependsOn)).toMatch(/ApiAccount/);
  });

  it('lets only the two live functions manage connections, POST and DELETE on this API and stage', () => {
    for (const name of ['live', 'live-push']) {
      const manage = statementsByFunction(template, name).filter((s) =>
        actions(s).includes('execute-api:ManageConnections'),
      );
      expect(manage).toHaveLength(1);
      expect(actions(manage[0] as { Action: string[] })).toEqual(['execute-api:ManageConnections']);
      const resources = [(manage[0] as { Resource: unknown }).Resource].flat().map(json);
      expect(resources).toHaveLength(2);
      expect(resources[0]).toContain(apiId);
      expect(resources[0]).toContain('/dev/POST/@connections/*');
      expect(resources[1]).toContain(apiId);
      expect(resources[1]).toContain('/dev/DELETE/@connections/*');
    }
    const everyPolicy = Object.values(resourcesOf(template, 'AWS::IAM::Policy'));
    const managers = everyPolicy.filter((p) => json(p).includes('execute-api:ManageConnections'));
    expect(managers).toHaveLength(2);
  });

  it('keeps subscriptions in their own table, with TTL on expiresAt, encrypted and recoverable', () => {
    const table = resourcesOf(template, 'AWS::DynamoDB::Table')[tableId] as Resource;
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.Properties.StreamSpecification).toBeUndefined();
    // Who touches it: live records and forgets, live-push scans and forgets; nobody else but health's DescribeTable.
    const onTable = (name: string) =>
      statementsByFunction(template, name)
        .filter((s) => json(s.Resource).includes(tableId))
        .flatMap(actions)
        .sort();
    expect(onTable('live')).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem']);
    expect(onTable('live-push')).toEqual(['dynamodb:DeleteItem', 'dynamodb:Scan']);
    for (const name of ['integrator', 'notarizations', 'log', 'auth', 'authorizer'])
      expect(onTable(name), name).toEqual([]);
    expect(onTable('public')).toEqual(['dynamodb:DescribeTable']);
  });

  it('lets the integrator invoke live-push, and nothing else, asynchronously and briefly retried', () => {
    const invokes = statementsByFunction(template, 'integrator').filter((s) =>
      actions(s).some((a) => a.startsWith('lambda:')),
    );
    expect(invokes).toHaveLength(1);
    expect(actions(invokes[0] as { Action: string })).toEqual(['lambda:InvokeFunction']);
    expect((invokes[0] as { Resource: unknown }).Resource).toEqual({
      'Fn::GetAtt': [functionId(template, 'live-push'), 'Arn'],
    });
    const integrator = resourcesOf(template, 'AWS::Lambda::Function')[
      functionId(template, 'integrator')
    ] as Resource;
    expect(
      (integrator.Properties.Environment as { Variables: Record<string, unknown> }).Variables[
        ENV.livePushFunction
      ],
    ).toEqual({ Ref: functionId(template, 'live-push') });
    const invokeConfig = Object.values(resourcesOf(template, 'AWS::Lambda::EventInvokeConfig')).find((c) =>
      json(c.Properties.FunctionName).includes(functionId(template, 'live-push')),
    );
    expect(invokeConfig?.Properties).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 60 });
  });

  it('points both live functions at this API stage for @connections', () => {
    for (const name of ['live', 'live-push']) {
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId(template, name)] as Resource;
      const endpoint = json(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables[
          ENV.liveConnectionsEndpoint
        ],
      );
      expect(endpoint).toContain(apiId);
      expect(endpoint).toContain('/dev');
      expect(endpoint).toContain('https://');
    }
  });

  it('outputs the wss:// URL and exposes it as StempelStack.liveUrl', () => {
    const output = template.findOutputs('LiveUrl').LiveUrl as { Value: unknown };
    expect(json(output.Value)).toContain('wss://');
    expect(json(output.Value)).toContain(apiId);
    expect(stack.resolve(stack.liveUrl)).toEqual(output.Value);
  });
});
