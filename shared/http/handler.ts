import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod/mini';
import { type AuditEvent, type AuditInput, type AuditOverrides, newAuditEvent } from '../core/audit-event';
import { StempelError } from '../core/errors';
import { hasAnyRole, type Principal } from '../core/roles';
import { clientAddress } from './client-address';
import { CORS_ALLOWED_HEADERS, corsOrigins } from './cors';
import { logger, metrics, traceHandler } from './observability';
import { parseRequest } from './parse-request';
import { fromAuthorizerContext } from './principal';
import { makeProblem, PROBLEM_CONTENT_TYPE, STATUS_BY_KIND } from './problem';
import { type FunctionGroup, type OperationId, type RouteDefinition, type Routes, routeList } from './routes';

/** What an operation returns; the stack turns it into the API Gateway result. */
export interface HttpResult {
  readonly status: number;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the audit event of this call should say beyond what the request shows. */
  readonly audit?: AuditDetails;
}

/** Details only the operation knows: who acted (at login), on what, which fields changed. */
export interface AuditDetails extends AuditOverrides {
  /** The operation wrote this event itself, with its change: the handler records nothing more. */
  readonly recorded?: string;
}

type Parsed<R, K extends string> = R extends { [P in K]: infer S extends z.ZodMiniType }
  ? z.output<S>
  : undefined;

/** The validated, typed input of one route's operation. */
export interface RequestFor<R> {
  readonly body: R extends { rawBody: object } ? Uint8Array : Parsed<R, 'body'>;
  readonly query: Parsed<R, 'query'>;
  readonly params: Parsed<R, 'params'>;
  readonly principal: R extends { access: 'public' } ? Principal | undefined : Principal;
  readonly requestId: string;
  /**
   * The client's address: API Gateway's sourceIp, or for requests through the
   * console's distribution the viewer address CloudFront set, which the WAF
   * guards (shared/http/client-address.ts); never a header the client chose.
   */
  readonly sourceIp: string;
  /** Request headers, names in lower case (repeated headers joined with a comma). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The audit event of this call, had it succeeded with `details`, for an
   * operation that writes it in the same transaction as its own change (and
   * then answers `audit.recorded`). Undefined on routes that are not audited.
   */
  readonly auditEvent: (details?: AuditDetails) => AuditEvent | undefined;
}

type OperationsIn<G> = { [K in OperationId]: Routes[K]['group'] extends G ? K : never }[OperationId];

/** The implementations a function group must provide: exactly its routes, each typed from its schemas. */
export type Operations<G extends FunctionGroup> = {
  readonly [K in OperationsIn<G>]: (request: RequestFor<Routes[K]>) => Promise<HttpResult>;
};

export interface HandlerOptions {
  /** Largest accepted request body in bytes. */
  readonly maxBodyBytes: () => Promise<number>;
  /** Records the audit event of a call to an audited route; a failure fails the call. */
  readonly audit?: (event: AuditInput) => Promise<unknown>;
}

const json = (
  status: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode: status,
  headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store', ...headers },
  ...(body instanceof Uint8Array
    ? { body: Buffer.from(body).toString('base64'), isBase64Encoded: true }
    : { body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body) }),
});

function authorize(route: RouteDefinition, principal: Principal | undefined): void {
  if (route.access === 'public') return;
  if (!principal)
    throw new StempelError('unauthenticated', 'unauthorized', 'A valid access token is required.');
  if (principal.mustChangePassword && !route.duringPasswordChange) {
    throw new StempelError(
      'forbidden',
      'password_change_required',
      'Change your password before doing anything else.',
    );
  }
  if (route.access !== 'signed-in' && !hasAnyRole(principal, route.access)) {
    throw new StempelError('forbidden', 'forbidden', 'Your roles do not allow this.');
  }
}

const toProblemResult = (err: unknown, requestId: string): APIGatewayProxyResult => {
  if (err instanceof StempelError) {
    const status = STATUS_BY_KIND[err.kind];
    const headers: Record<string, string> =
      err.extra.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(err.extra.retryAfterSeconds) };
    return json(
      status,
      makeProblem(status, err.code, err.detail, requestId, err.extra.errors),
      PROBLEM_CONTENT_TYPE,
      headers,
    );
  }
  logger.error('unhandled error', err as Error);
  return json(
    500,
    makeProblem(500, 'internal_error', 'Something went wrong on our side.', requestId),
    PROBLEM_CONTENT_TYPE,
  );
};

/**
 * A failure whose problem answer carries headers too (the refresh route
 * clears a refused cookie). Thrown by an operation around the real error.
 */
export class FailureWithHeaders extends Error {
  constructor(
    override readonly cause: unknown,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    super('failure with headers', { cause });
  }
}

function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {}))
    if (values?.length) out[name.toLowerCase()] = values.join(',');
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined && out[name.toLowerCase()] === undefined) out[name.toLowerCase()] = value;
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The audit event of one call: from the route, the request, the answer and the operation's details. */
function auditInput(
  event: APIGatewayProxyEvent,
  audit: NonNullable<RouteDefinition['audit']>,
  principal: Principal | undefined,
  /** The answer; undefined while the operation runs (the event of its success). */
  result: APIGatewayProxyResult | undefined,
  details: AuditDetails | undefined,
  requestId: string,
): AuditInput {
  const failed = result !== undefined && result.statusCode >= 400;
  // Only a well-formed id names a target: anything else is what the request was refused for (and an index key).
  const id = event.pathParameters?.id;
  const target = details?.target ?? (audit.target && id && UUID.test(id) ? `${audit.target}:${id}` : '-');
  const username = bodyUsername(event);
  const sourceIp = clientAddress(event);
  return {
    action: details?.action ?? audit.action,
    actor: details?.actor ?? principal?.userId ?? 'anonymous',
    target,
    outcome: details?.outcome ?? (failed ? 'failure' : 'success'),
    ...(details?.reason
      ? { reason: details.reason }
      : failed && result
        ? { reason: problemCode(result) }
        : {}),
    ...(details?.changes ? { changes: details.changes } : {}),
    requestId,
    personal: {
      ...(sourceIp ? { sourceIp } : {}),
      ...(event.requestContext?.identity?.userAgent
        ? { userAgent: event.requestContext.identity.userAgent }
        : {}),
      ...(username ? { usernames: [username] } : {}),
    },
  };
}

/** The `username` of a JSON body (login, user creation): personal, so it goes with the personal fields. */
function bodyUsername(event: APIGatewayProxyEvent): string | undefined {
  if (!event.body || event.isBase64Encoded) return undefined;
  try {
    const username = (JSON.parse(event.body) as { username?: unknown }).username;
    return typeof username === 'string' ? username.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}

const problemCode = (result: APIGatewayProxyResult): string => {
  try {
    return (JSON.parse(result.body) as { code?: string }).code ?? `http_${result.statusCode}`;
  } catch {
    return `http_${result.statusCode}`;
  }
};

/**
 * The Lambda handler of one function group: the shared middy stack (Powertools
 * logger, tracer and metrics; security headers; CORS for configured origins)
 * around a dispatcher that finds the route, checks the caller's roles,
 * validates the request with the route's zod schemas, runs the operation, and
 * answers every failure with an RFC 9457 problem.
 */
export function httpHandler<G extends FunctionGroup>(
  group: G,
  operations: Operations<G>,
  options: HandlerOptions,
) {
  const table = routeList().filter(([, r]) => r.group === group);
  const implementations = operations as unknown as Record<string, (req: unknown) => Promise<HttpResult>>;

  const dispatch = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    logger.appendKeys({ apiRequestId: requestId, route: `${event.httpMethod} ${event.resource}` });
    let result: APIGatewayProxyResult;
    const found = table.find(([, r]) => r.method === event.httpMethod && r.path === event.resource);
    const principal = fromAuthorizerContext(event.requestContext?.authorizer);
    let details: AuditDetails | undefined;
    try {
      if (!found) throw new StempelError('not_found', 'not_found', 'No such route.');
      const [operationId, route] = found;
      authorize(route, principal);
      const input = parseRequest(route, event, await options.maxBodyBytes());
      const implementation = implementations[operationId];
      if (!implementation) throw new Error(`no implementation for ${operationId}`);
      const sourceIp = clientAddress(event) ?? 'unknown';
      const auditEvent = (more?: AuditDetails) =>
        route.audit
          ? newAuditEvent(auditInput(event, route.audit, principal, undefined, more, requestId), new Date())
          : undefined;
      const headers = lowerCaseHeaders(event);
      const out = await implementation({ ...input, principal, requestId, sourceIp, headers, auditEvent });
      details = out.audit;
      result = json(out.status, out.body, out.contentType, { ...out.headers });
    } catch (thrown) {
      const err = thrown instanceof FailureWithHeaders ? thrown.cause : thrown;
      result = toProblemResult(err, requestId);
      if (thrown instanceof FailureWithHeaders) result.headers = { ...result.headers, ...thrown.headers };
      const { auditSubject, auditReason, auditChanges } = err instanceof StempelError ? err.extra : {};
      details = {
        ...(auditSubject ? { target: `user:${auditSubject}` } : {}),
        ...(auditReason ? { reason: auditReason } : {}),
        ...(auditSubject && auditChanges ? { changes: auditChanges } : {}),
      };
    }
    const audit = found?.[1].audit;
    if (audit && options.audit && !details?.recorded) {
      try {
        await options.audit(auditInput(event, audit, principal, result, details, requestId));
      } catch (err) {
        // No audited call succeeds without its event (docs/audit.md).
        logger.error('audit event not recorded', err as Error);
        result = toProblemResult(new Error('audit event not recorded'), requestId);
      }
    }
    metrics.addMetric(
      result.statusCode >= 500 ? 'ServerErrors' : result.statusCode >= 400 ? 'ClientErrors' : 'Successes',
      MetricUnit.Count,
      1,
    );
    logger.info('request', { status: result.statusCode });
    return result;
  };

  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(traceHandler())
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(httpSecurityHeaders());
  const origins = corsOrigins();
  if (origins.length > 0)
    handler.use(httpCors({ origins, headers: CORS_ALLOWED_HEADERS, exposeHeaders: 'Retry-After' }));
  return handler.handler(dispatch);
}
