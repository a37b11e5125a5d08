import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  LogGroupLogDestination,
  WebSocketApi,
  type WebSocketRoute,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../shared/runtime/environment';
import { type LiveFunctionName, StempelFunction } from './functions';
import { acknowledgeLiveFunctions, acknowledgeLiveRoute } from './nag';
import type { StageConfig } from './stage-config';

/** One JSON object per connection event and frame; never a body (a subscribe frame carries a token). */
export const LIVE_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  eventType: '$context.eventType',
  connectionId: '$context.connectionId',
  connectedAt: '$context.connectedAt',
  messageId: '$context.messageId',
  status: '$context.status',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  errorType: '$context.error.responseType',
  error: '$context.error.message',
} as const;

/** The WebSocket routes (route selection on `$request.body.action`): one function serves all four. */
export const LIVE_ROUTES = ['$connect', '$disconnect', '$default', 'subscribe'] as const;

export interface LiveProps {
  readonly config: StageConfig;
  /** Each function's environment (tables, settings; the token key for `live`). */
  readonly environment: (name: LiveFunctionName) => Readonly<Record<string, string>>;
  /** What each function may do, given the ARNs of POST and DELETE on this API's @connections. */
  readonly statements: (connections: readonly string[]) => {
    readonly live: readonly PolicyStatement[];
    readonly 'live-push': readonly PolicyStatement[];
  };
}

/**
 * The live log channel in AWS (docs/live.md): an API Gateway WebSocket API
 * whose routes all go to the `live` function (clients authenticate in the
 * subscribe frame, not on $connect), a stage with throttling and JSON access
 * logs, and `live-push`, which the integrator invokes asynchronously after
 * each seal to post the new checkpoint and entries to every subscriber
 * through this API's @connections.
 *
 * @example
 * const live = new Live(this, 'Live', { config, environment, statements });
 * live.stage.node.addDependency(apiGatewayAccount); // its access logs need the account's logging role
 * live.url; // wss://<api>.execute-api.<region>.amazonaws.com/<stage>
 */
export class Live extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly routes: StempelFunction;
  readonly push: StempelFunction;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LiveProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `stempel-${config.stage}-live`,
      description: `Stempel ${config.stage}: live log channel (WebSocket), docs/live.md`,
      routeSelectionExpression: '$request.body.action',
    });
    // Posting frames and closing connections on this API's stage, nothing else (not GET @connections).
    const connections = ['POST', 'DELETE'].map((method) =>
      stack.formatArn({
        service: 'execute-api',
        resource: this.api.apiId,
        resourceName: `${config.stage}/${method}/@connections/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    const statements = props.statements(connections);
    const endpoint = `https://${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${config.stage}`;
    const environment = (name: LiveFunctionName) => ({
      ...props.environment(name),
      [ENV.liveConnectionsEndpoint]: endpoint,
    });
    const logging = { logRetention: config.logRetention, logRemovalPolicy: config.logRemovalPolicy };
    this.routes = new StempelFunction(this, 'Routes', {
      name: 'live',
      environment: environment('live'),
      statements: statements.live,
      ...logging,
    });
    this.push = new StempelFunction(this, 'Push', {
      name: 'live-push',
      environment: environment('live-push'),
      statements: statements['live-push'],
      ...logging,
    });
    // A push older than a minute is stale: clients catch up with `since`; one retry for a throttled scan.
    this.push.fn.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.minutes(1) });
    acknowledgeLiveFunctions(this.routes, this.push, { api: this.api, stage: config.stage });

    const integration = new WebSocketLambdaIntegration('Live', this.routes.fn);
    for (const routeKey of LIVE_ROUTES) {
      const route: WebSocketRoute = this.api.addRoute(routeKey, { integration });
      acknowledgeLiveRoute(route, routeKey);
    }

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.logRemovalPolicy,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: config.stage,
      autoDeploy: true,
      throttle: { rateLimit: config.throttle.rateLimit, burstLimit: config.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(LIVE_ACCESS_LOG_FIELDS)),
      },
    });
  }

  /** The stage's wss:// URL. */
  get url(): string {
    return this.stage.url;
  }
}
