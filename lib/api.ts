import { Duration } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  type JsonSchema,
  LambdaIntegration,
  LogGroupLogDestination,
  type Model,
  RequestValidator,
  ResponseType,
  RestApi,
  TokenAuthorizer,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as z from 'zod/mini';
import { CORS_ALLOWED_HEADERS } from '../shared/http/cors';
import { gatewayProblemBody, gatewayProblems } from '../shared/http/gateway-responses';
import { PROBLEM_CONTENT_TYPE } from '../shared/http/problem';
import { FUNCTION_GROUPS, type FunctionGroup, type RouteDefinition, routeList } from '../shared/http/routes';
import { ApiGatewayAccount } from './api-gateway-account';
import { acknowledgePublicMethod, acknowledgeTokenAuthorizer } from './nag';
import type { StageConfig } from './stage-config';

export interface StempelApiProps {
  readonly config: StageConfig;
  readonly functions: Readonly<Record<FunctionGroup, IFunction>>;
  /**
   * `main`: every route but the binary-only ones. `binary`: the routes whose
   * bodies are bytes (`binary` in shared/http/routes.ts): the log's C2SP
   * tlog-tiles (public GETs), RFC 3161 over HTTP (POST /v1/tsa and a
   * notarization's token, both protected) and a notarization's PDF
   * certificate (protected), with every media type binary so
   * that bodies pass as bytes both ways whatever the Content-Type and Accept
   * headers; kept apart because `*` binary types would turn JSON request
   * bodies and CORS preflight mocks binary too.
   */
  readonly surface: 'main' | 'binary';
  /** The TOKEN authorizer function; needed by any surface with a protected route. */
  readonly authorizer?: IFunction;
  /** The account's API Gateway logging role, when another API of the stack made it already. */
  readonly account?: ApiGatewayAccount;
}

const onSurface = (surface: StempelApiProps['surface'], route: RouteDefinition) =>
  surface === 'main' ? route.binary !== 'only' : route.binary !== undefined;

/** One JSON object per request in the access log; every value is a string so the line is always valid JSON. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  method: '$context.httpMethod',
  path: '$context.path',
  resourcePath: '$context.resourcePath',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integrationLatency',
  principalId: '$context.authorizer.principalId',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  errorType: '$context.error.responseType',
  error: '$context.error.message',
  wafResponseCode: '$context.wafResponseCode',
  xrayTraceId: '$context.xrayTraceId',
} as const;

/** The Authorization header shapes worth invoking the authorizer for (the authorizer re-checks). */
const BEARER_TOKEN = '^[Bb][Ee][Aa][Rr][Ee][Rr] [A-Za-z0-9_.-]+$';

/** `MISSING_AUTHENTICATION_TOKEN` → `MissingAuthenticationToken`. */
const pascalFromSnake = (s: string) =>
  s
    .toLowerCase()
    .split('_')
    .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
    .join('');

/** `changePassword` → `ChangePassword`. */
const capitalize = (s: string) => (s[0] ?? '').toUpperCase() + s.slice(1);

/** Drops keywords that are not JSON Schema draft 4 (zod emits OpenAPI's `example`). */
const draft4 = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(draft4);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== 'example' && k !== 'examples' && k !== '$schema')
      .map(([k, v]) => [k, draft4(v)]),
  );
};

/** The API Gateway model of a route's request body, from the same zod schema the handler validates with. */
export const requestBodySchema = (body: z.ZodMiniType): JsonSchema =>
  draft4(z.toJSONSchema(body, { target: 'draft-04', io: 'input' })) as JsonSchema;

const pathParameters = (route: RouteDefinition): string[] =>
  [...route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1] as string);

const requireAuthorizer = (authorizer: TokenAuthorizer | undefined, route: RouteDefinition) => {
  if (!authorizer) throw new Error(`${route.method} ${route.path} needs the TOKEN authorizer`);
  return authorizer;
};

/**
 * The REST API (v1): every route of shared/http/routes.ts as a Lambda proxy
 * method of its group's function, protected by the TOKEN authorizer unless
 * public; request bodies validated against models generated from the zod
 * schemas; RFC 9457 bodies for the answers API Gateway gives itself; stage
 * throttling, JSON access logs, execution logs (never bodies) and X-Ray.
 *
 * @example
 * const api = new StempelApi(this, 'Api', { config, functions, authorizer });
 * api.api.url;
 */
export class StempelApi extends Construct {
  readonly api: RestApi;
  readonly accessLogs: LogGroup;
  /** API Gateway's CloudWatch Logs role (one per account and region). */
  readonly account: ApiGatewayAccount;
  /** The routes this API serves. */
  readonly routes: ReturnType<typeof routeList>;

  constructor(scope: Construct, id: string, props: StempelApiProps) {
    super(scope, id);
    const { config } = props;
    this.routes = routeList().filter(([, r]) => onSurface(props.surface, r));

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.logRemovalPolicy,
    });
    this.account = props.account ?? new ApiGatewayAccount(this, 'Account');
    const binary = props.surface === 'binary';
    // No preflight mocks on the binary API (`*/*` would make them binary too): its public GETs are
    // simple requests, and its RFC 3161 routes are for tools (openssl, curl, the CLI), not browsers.
    const cors = config.corsOrigins.length > 0 && !binary;
    this.api = new RestApi(this, 'Api', {
      // The binary API was the tiles API first: its name (and the construct id the stack gives it) stay.
      restApiName: binary ? `stempel-${config.stage}-log-tiles` : `stempel-${config.stage}`,
      description: binary
        ? `Stempel ${config.stage}: binary API, the transparency log as C2SP tlog-tiles and RFC 3161 time-stamping`
        : `Stempel ${config.stage}: document notarization API`,
      ...(binary ? { binaryMediaTypes: ['*/*'] } : {}),
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName: config.stage,
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: config.executionLogLevel,
        dataTraceEnabled: false, // never log request or response bodies: they carry passwords and tokens
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      ...(cors
        ? {
            defaultCorsPreflightOptions: {
              allowOrigins: [...config.corsOrigins],
              allowMethods: [...new Set(this.routes.map(([, r]) => r.method))],
              allowHeaders: CORS_ALLOWED_HEADERS.split(','),
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    this.api.deploymentStage.node.addDependency(this.account);

    const authorizer = props.authorizer
      ? new TokenAuthorizer(this, 'Authorizer', {
          authorizerName: 'access-token',
          handler: props.authorizer,
          identitySource: IdentitySource.header('Authorization'),
          validationRegex: BEARER_TOKEN,
          // No caching: a disabled user or changed roles take effect on the next request.
          resultsCacheTtl: Duration.seconds(0),
        })
      : undefined;

    this.addRoutes(props.functions, authorizer);
    this.addGatewayResponses(config.corsOrigins);
  }

  private addRoutes(
    functions: Readonly<Record<FunctionGroup, IFunction>>,
    authorizer: TokenAuthorizer | undefined,
  ) {
    const groups = new Set(this.routes.map(([, r]) => r.group));
    const integrations = Object.fromEntries(
      FUNCTION_GROUPS.filter((g) => groups.has(g)).map((g) => [
        g,
        // One invoke permission per function and API (any method of this API), not one per method:
        // a function answers only its own group's routes, and per-method permissions would take
        // ~90 of CloudFormation's 500 resources per stack.
        new LambdaIntegration(functions[g], { scopePermissionToMethod: false }),
      ]),
    ) as Record<FunctionGroup, LambdaIntegration>;
    const bodyValidator = new RequestValidator(this, 'BodyValidator', {
      restApi: this.api,
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const parameterValidator = new RequestValidator(this, 'ParameterValidator', {
      restApi: this.api,
      requestValidatorName: 'parameters',
      validateRequestBody: false,
      validateRequestParameters: true,
    });

    for (const [operationId, route] of this.routes) {
      const params = pathParameters(route);
      let model: Model | undefined;
      if (route.body) {
        const modelName = `${capitalize(operationId)}Request`;
        model = this.api.addModel(modelName, {
          modelName,
          contentType: 'application/json',
          description: `Request body of ${route.method} ${route.path}`,
          schema: requestBodySchema(route.body),
        });
      }
      const method = this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, integrations[route.group], {
          operationName: operationId,
          ...(route.access === 'public'
            ? { authorizationType: AuthorizationType.NONE }
            : {
                authorizationType: AuthorizationType.CUSTOM,
                authorizer: requireAuthorizer(authorizer, route),
              }),
          ...(params.length > 0
            ? { requestParameters: Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])) }
            : {}),
          ...(model
            ? { requestModels: { 'application/json': model }, requestValidator: bodyValidator }
            : params.length > 0
              ? { requestValidator: parameterValidator }
              : {}),
        });
      acknowledgeTokenAuthorizer(method);
      if (route.access === 'public') acknowledgePublicMethod(method, `${route.method} ${route.path}`);
    }
  }

  /**
   * Problem bodies for what API Gateway answers itself. With exactly one CORS
   * origin they carry it too, so browsers can read a 401 or 429; with several,
   * a gateway response cannot pick the matching one.
   */
  private addGatewayResponses(corsOrigins: readonly string[]) {
    const [onlyOrigin] = corsOrigins.length === 1 ? corsOrigins : [];
    for (const p of gatewayProblems) {
      this.api.addGatewayResponse(`Gateway${pascalFromSnake(p.responseType)}`, {
        type: ResponseType.of(p.responseType),
        statusCode: String(p.status),
        responseHeaders: {
          'Content-Type': `'${PROBLEM_CONTENT_TYPE}'`,
          'Cache-Control': "'no-store'",
          ...(p.retryAfterSeconds === undefined ? {} : { 'Retry-After': `'${p.retryAfterSeconds}'` }),
          ...(onlyOrigin ? { 'Access-Control-Allow-Origin': `'${onlyOrigin}'`, Vary: "'Origin'" } : {}),
        },
        templates: { 'application/json': gatewayProblemBody(p) },
      });
    }
  }
}
