import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import { CORS_ALLOWED_HEADERS } from '../http/cors';
import {
  type GatewayProblem,
  gatewayProblem,
  gatewayProblemBody,
  gatewayProblems,
} from '../http/gateway-responses';
import { makeProblem, PROBLEM_CONTENT_TYPE } from '../http/problem';
import { type FunctionGroup, type RouteDefinition, routeList } from '../http/routes';
import { type ConsoleSite, serveConsole } from './console-site';
import type { LambdaHandler } from './lambda-context';
import { lambdaContext } from './lambda-context';
import { createRateLimiter } from './rate-limit';

export interface GatewayFunctions {
  readonly authorizer: LambdaHandler<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>;
  readonly groups: Record<FunctionGroup, LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>>;
}

export interface GatewayOptions {
  readonly corsOrigins: readonly string[];
  readonly authRatePerMinute: number;
  /** The web console, served outside /v1/ as CloudFront serves it in AWS. */
  readonly console?: ConsoleSite;
}

/** API Gateway's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * After answering 413, the rest of the upload is still read (and dropped), up
 * to this much more and for this long: closing a connection with unread input
 * resets it, and the client would then lose the answer.
 */
const DRAIN_MAX_BYTES = 32 * 1024 * 1024;
const DRAIN_MAX_MS = 5_000;

/** How long a connection that broke HTTP stays open after its answer, for the client to read it. */
const LINGER_MS = 2_000;

/**
 * What the stand-in answers where API Gateway's front end would refuse a
 * request on its own. Not gateway response types, so not in `gatewayProblems`
 * (the CDK stack installs those).
 */
const LOCAL_PROBLEMS = {
  requestTimeout: {
    responseType: 'LOCAL_REQUEST_TIMEOUT',
    status: 408,
    code: 'request_timeout',
    detail: 'The request did not arrive in time.',
  },
  expectationFailed: {
    responseType: 'LOCAL_EXPECTATION_FAILED',
    status: 417,
    code: 'expectation_failed',
    detail: 'The only expectation supported is 100-continue.',
  },
  headersTooLarge: {
    responseType: 'LOCAL_HEADERS_TOO_LARGE',
    status: 431,
    code: 'headers_too_large',
    detail: 'The request headers are too large.',
  },
} as const satisfies Record<string, GatewayProblem>;

/**
 * The RFC 9457 body: a deployed gateway response's very body, or for the
 * local-only problems the same shape titled with HTTP's reason phrase.
 */
const problemBody = (p: GatewayProblem, requestId: string): string =>
  gatewayProblems.includes(p)
    ? gatewayProblemBody(p, requestId)
    : JSON.stringify({
        ...makeProblem(p.status, p.code, p.detail, requestId),
        title: STATUS_CODES[p.status] ?? 'Error',
      });

const problemResult = (p: GatewayProblem, requestId: string): APIGatewayProxyResult => ({
  statusCode: p.status,
  headers: {
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Cache-Control': 'no-store',
    ...(p.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(p.retryAfterSeconds) }),
  },
  body: problemBody(p, requestId),
});

/** A whole HTTP/1.1 response, for a connection the HTTP parser gave up on. */
const rawProblemResponse = (p: GatewayProblem): string => {
  const body = problemBody(p, randomUUID());
  return [
    `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    `Date: ${new Date().toUTCString()}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
};

/** The problem for an error of node's HTTP parser or server (`clientError`). */
const clientErrorProblem = (code: string | undefined): GatewayProblem => {
  if (code === 'HPE_HEADER_OVERFLOW') return LOCAL_PROBLEMS.headersTooLarge;
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return gatewayProblem('REQUEST_TOO_LARGE');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return LOCAL_PROBLEMS.requestTimeout;
  return gatewayProblem('DEFAULT_4XX');
};

/** The response's connection is closed or closing (a pipelined response has no socket yet). */
const gone = (res: ServerResponse) => res.socket !== null && (res.socket.destroyed || !res.socket.writable);

const declaresTooLarge = (req: IncomingMessage) => Number(req.headers['content-length']) > MAX_PAYLOAD_BYTES;

const matchRoute = (method: string, path: string) => {
  for (const [, route] of routeList()) {
    if (route.method !== method) continue;
    const names: string[] = [];
    // `{name}` is one path segment; a greedy `{name+}` is the rest of the path, as in API Gateway.
    const pattern = route.path.replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy: string) => {
      names.push(name);
      return greedy ? '(.+)' : '([^/]+)';
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

const TOO_LARGE = Symbol('too large');

/**
 * The request body, or TOO_LARGE as soon as it is known to exceed the limit;
 * then nothing more is buffered and the request is left paused, unread.
 */
const readBody = (req: IncomingMessage): Promise<Buffer | typeof TOO_LARGE> =>
  new Promise((resolve, reject) => {
    if (declaresTooLarge(req)) return resolve(TOO_LARGE);
    let chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        stop();
        chunks = [];
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });

/**
 * Answers 413 and closes the connection without resetting it: the whole
 * answer is written at once, but the message is only ended (which closes the
 * connection) once the upload has been read to its end, or after
 * DRAIN_MAX_BYTES or DRAIN_MAX_MS, whichever comes first.
 */
const rejectUpload = (req: IncomingMessage, res: ServerResponse, result: APIGatewayProxyResult) => {
  const body = Buffer.from(result.body);
  res.writeHead(result.statusCode, {
    ...result.headers,
    'Content-Length': String(body.length),
    Connection: 'close',
  });
  res.write(body);
  let drained = 0;
  const done = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', done);
    req.off('close', done);
    if (!res.writableEnded) res.end();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_MAX_BYTES) done();
  };
  const timer = setTimeout(done, DRAIN_MAX_MS);
  if (req.complete || req.destroyed) return done();
  req.on('data', onData);
  req.once('end', done);
  req.once('close', done);
  req.resume();
};

/**
 * Stands in for API Gateway in the local runtime: routes a request with the
 * shared route table, runs the same TOKEN authorizer for protected routes,
 * turns the request into a REST proxy event with the authorizer's context, and
 * calls the very handler module that runs in Lambda. Gateway-level failures
 * get the same problem bodies as the deployed gateway responses.
 */
export function createGateway(functions: GatewayFunctions, options: GatewayOptions) {
  const authLimiter = createRateLimiter(options.authRatePerMinute);
  const send = (res: ServerResponse, result: APIGatewayProxyResult) => {
    // Already answered, or the connection is gone (e.g. the HTTP parser gave up on it meanwhile).
    if (res.headersSent || res.writableEnded || res.destroyed || gone(res)) return;
    // Lambda results may carry undefined header values (API Gateway drops them); node refuses them.
    const headers = Object.entries(result.headers ?? {}).filter(([, v]) => v !== undefined && v !== null);
    res.writeHead(result.statusCode, Object.fromEntries(headers.map(([k, v]) => [k, String(v)])));
    res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  };
  const gatewayError = (responseType: string, requestId: string): APIGatewayProxyResult =>
    problemResult(gatewayProblem(responseType), requestId);

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

  const tooLarge = new WeakSet<IncomingMessage>();
  const handle = async (req: IncomingMessage): Promise<APIGatewayProxyResult> => {
    const requestId = randomUUID();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      // A request target no URL parser accepts (e.g. `//[`): the client's fault, not ours.
      return gatewayError('DEFAULT_4XX', requestId);
    }
    const method = req.method ?? 'GET';
    const origin = req.headers.origin;
    if (method === 'OPTIONS' && origin && options.corsOrigins.includes(origin)) {
      return {
        statusCode: 204,
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
          'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS,
          'Access-Control-Max-Age': '600',
          Vary: 'Origin',
        },
        body: '',
      };
    }
    if (options.console && (method === 'GET' || method === 'HEAD') && !url.pathname.startsWith('/v1/'))
      return serveConsole(options.console, url.pathname);
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
    if (body === TOO_LARGE) {
      tooLarge.add(req);
      return gatewayError('REQUEST_TOO_LARGE', requestId);
    }
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
      // The binary API (every media type binary) hands Lambda every body base64-encoded.
      ...(match.route.binary === 'only'
        ? { body: body.length > 0 ? body.toString('base64') : null, isBase64Encoded: true }
        : { body: body.length > 0 ? body.toString('utf8') : null, isBase64Encoded: false }),
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
    // Writes to a connection that is gone fail here rather than as an uncaught error.
    res.on('error', () => undefined);
    try {
      const result = await handle(req);
      if (tooLarge.has(req) && !res.headersSent && !res.destroyed) rejectUpload(req, res, result);
      else send(res, result);
    } catch (err) {
      if (res.destroyed || gone(res)) return; // the client went away, or its request broke HTTP
      console.error('local gateway failed', err);
      send(res, gatewayError('DEFAULT_5XX', randomUUID()));
    }
  };
}

/**
 * The local API's HTTP server: the gateway for every request, and RFC 9457
 * problems (not node's bare status lines) for what never becomes a request:
 * unparsable requests, headers over the limit, timeouts, unsupported `Expect`.
 */
export function createGatewayServer(functions: GatewayFunctions, options: GatewayOptions): Server {
  const gateway = createGateway(functions, options);
  const server = createServer((req, res) => void gateway(req, res));

  server.on('checkContinue', (req, res) => {
    // Refused before the client sends the body it announced.
    if (declaresTooLarge(req))
      return rejectUpload(req, res, problemResult(gatewayProblem('REQUEST_TOO_LARGE'), randomUUID()));
    res.writeContinue();
    void gateway(req, res);
  });

  server.on('checkExpectation', (_req, res) => {
    const result = problemResult(LOCAL_PROBLEMS.expectationFailed, randomUUID());
    res.writeHead(result.statusCode, result.headers as Record<string, string>);
    res.end(result.body);
  });

  // The parser reports its error again for every later piece of input: answer once.
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    // node's own guard: no second response into one that has begun (`_httpMessage` is the response in flight).
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawProblemResponse(clientErrorProblem(err.code)));
    // Closing with unread input would reset the connection and lose the answer:
    // the client gets a moment to read it and close its end.
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  });

  return server;
}
