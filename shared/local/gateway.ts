import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import { gatewayProblem, gatewayProblemBody } from '../http/gateway-responses';
import { PROBLEM_CONTENT_TYPE } from '../http/problem';
import { type FunctionGroup, type RouteDefinition, routeList } from '../http/routes';
import type { LambdaHandler } from './lambda-context';
import { lambdaContext } from './lambda-context';
import { createRateLimiter } from './rate-limit';

export interface GatewayFunctions {
  readonly authorizer: LambdaHandler<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>;
  readonly groups: Record<FunctionGroup, LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>>;
}

/** API Gateway's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

const matchRoute = (method: string, path: string) => {
  for (const [, route] of routeList()) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (m) {
      try {
        const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
        return { route, params };
      } catch {
        return undefined; // not valid percent-encoding: no route can match it
      }
    }
  }
  return undefined;
};

const readBody = (req: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/**
 * Stands in for API Gateway in the local runtime: routes a request with the
 * shared route table, runs the same TOKEN authorizer for protected routes,
 * turns the request into a REST proxy event with the authorizer's context, and
 * calls the very handler module that runs in Lambda. Gateway-level failures
 * get the same problem bodies as the deployed gateway responses.
 */
export function createGateway(
  functions: GatewayFunctions,
  options: { corsOrigins: readonly string[]; authRatePerMinute: number },
) {
  const authLimiter = createRateLimiter(options.authRatePerMinute);
  const send = (res: ServerResponse, result: APIGatewayProxyResult) => {
    // Lambda results may carry undefined header values (API Gateway drops them); node refuses them.
    const headers = Object.entries(result.headers ?? {}).filter(([, v]) => v !== undefined && v !== null);
    res.writeHead(result.statusCode, Object.fromEntries(headers.map(([k, v]) => [k, String(v)])));
    res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  };
  const gatewayError = (responseType: string, requestId: string): APIGatewayProxyResult => {
    const p = gatewayProblem(responseType);
    return {
      statusCode: p.status,
      headers: {
        'Content-Type': PROBLEM_CONTENT_TYPE,
        'Cache-Control': 'no-store',
        ...(p.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(p.retryAfterSeconds) }),
      },
      body: gatewayProblemBody(p, requestId),
    };
  };

  const authorize = async (route: RouteDefinition, req: IncomingMessage, requestId: string) => {
    const token = req.headers.authorization;
    if (!token) return { denied: gatewayError('UNAUTHORIZED', requestId) };
    try {
      const result = await functions.authorizer(
        {
          type: 'TOKEN',
          authorizationToken: token,
          methodArn: `arn:aws:execute-api:local:000000000000:local/local/${route.method}${route.path}`,
        },
        lambdaContext('stempel-authorizer'),
      );
      const allowed = result.policyDocument.Statement.some((s) => s.Effect === 'Allow');
      if (!allowed) return { denied: gatewayError('ACCESS_DENIED', requestId) };
      return { context: { ...result.context, principalId: result.principalId } };
    } catch (err) {
      if (err instanceof Error && err.message === 'Unauthorized')
        return { denied: gatewayError('UNAUTHORIZED', requestId) };
      console.error('authorizer failed', err);
      return { denied: gatewayError('DEFAULT_5XX', requestId) };
    }
  };

  const handle = async (req: IncomingMessage): Promise<APIGatewayProxyResult> => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const origin = req.headers.origin;
    if (method === 'OPTIONS' && origin && options.corsOrigins.includes(origin)) {
      return {
        statusCode: 204,
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization,Content-Type',
          'Access-Control-Max-Age': '600',
          Vary: 'Origin',
        },
        body: '',
      };
    }
    const match = matchRoute(method, url.pathname);
    if (!match) return gatewayError('MISSING_AUTHENTICATION_TOKEN', requestId);
    if (match.route.path.startsWith('/v1/auth/')) {
      const wait = authLimiter(req.socket.remoteAddress ?? 'unknown');
      if (wait !== undefined) {
        const limited = gatewayError('THROTTLED', requestId);
        return { ...limited, headers: { ...limited.headers, 'Retry-After': String(wait) } };
      }
    }
    const body = await readBody(req);
    if (body === undefined) return gatewayError('REQUEST_TOO_LARGE', requestId);
    let authorizer: Record<string, unknown> | undefined;
    if (match.route.access !== 'public') {
      const outcome = await authorize(match.route, req, requestId);
      if (outcome.denied) return outcome.denied;
      authorizer = outcome.context;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const query = Object.fromEntries(url.searchParams);
    const event: APIGatewayProxyEvent = {
      resource: match.route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(match.params).length > 0 ? match.params : null,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: authorizer ?? null,
        protocol: `HTTP/${req.httpVersion}`,
        httpMethod: method,
        identity: {
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: req.headers['user-agent'] ?? null,
        },
        path: url.pathname,
        stage: 'local',
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: match.route.path,
      } as APIGatewayProxyEvent['requestContext'],
    };
    return functions.groups[match.route.group](event, lambdaContext(`stempel-${match.route.group}`));
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      send(res, await handle(req));
    } catch (err) {
      console.error('local gateway failed', err);
      send(res, gatewayError('DEFAULT_5XX', randomUUID()));
    }
  };
}
