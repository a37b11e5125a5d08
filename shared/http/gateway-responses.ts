import { makeProblem } from './problem';

/**
 * Problems that API Gateway itself answers (before any function runs), so that
 * they are RFC 9457 too. The CDK stack installs them as gateway responses and
 * the local runtime answers with the same bodies.
 */
export interface GatewayProblem {
  /** API Gateway ResponseType name. */
  readonly responseType: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /** A fixed Retry-After for rate limits (API Gateway cannot compute one). */
  readonly retryAfterSeconds?: number;
}

export const gatewayProblems: readonly GatewayProblem[] = [
  {
    responseType: 'UNAUTHORIZED',
    status: 401,
    code: 'unauthorized',
    detail: 'A valid access token is required.',
  },
  {
    responseType: 'ACCESS_DENIED',
    status: 401,
    code: 'unauthorized',
    detail: 'A valid access token is required.',
  },
  { responseType: 'MISSING_AUTHENTICATION_TOKEN', status: 404, code: 'not_found', detail: 'No such route.' },
  {
    responseType: 'BAD_REQUEST_BODY',
    status: 400,
    code: 'invalid_request',
    detail: 'The request body does not match the schema.',
  },
  {
    responseType: 'REQUEST_TOO_LARGE',
    status: 413,
    code: 'body_too_large',
    detail: 'The request body is too large.',
  },
  {
    responseType: 'BAD_REQUEST_PARAMETERS',
    status: 400,
    code: 'invalid_request',
    detail: 'The request parameters are invalid.',
  },
  {
    responseType: 'UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    code: 'unsupported_media_type',
    detail: 'Send application/json.',
  },
  { responseType: 'RESOURCE_NOT_FOUND', status: 404, code: 'not_found', detail: 'No such route.' },
  {
    responseType: 'QUOTA_EXCEEDED',
    status: 429,
    code: 'rate_limited',
    detail: 'Too many requests; slow down.',
  },
  {
    responseType: 'INTEGRATION_TIMEOUT',
    status: 504,
    code: 'timeout',
    detail: 'The request took too long; it is safe to retry.',
  },
  {
    responseType: 'THROTTLED',
    status: 429,
    code: 'rate_limited',
    detail: 'Too many requests; slow down.',
    retryAfterSeconds: 1,
  },
  {
    responseType: 'AUTHORIZER_FAILURE',
    status: 500,
    code: 'internal_error',
    detail: 'Something went wrong on our side.',
  },
  {
    responseType: 'INTEGRATION_FAILURE',
    status: 502,
    code: 'bad_gateway',
    detail: 'Something went wrong on our side.',
  },
  { responseType: 'WAF_FILTERED', status: 403, code: 'blocked', detail: 'The request was blocked.' },
  {
    responseType: 'DEFAULT_4XX',
    status: 400,
    code: 'bad_request',
    detail: 'The request could not be processed.',
  },
  {
    responseType: 'DEFAULT_5XX',
    status: 500,
    code: 'internal_error',
    detail: 'Something went wrong on our side.',
  },
];

/** The placeholder API Gateway fills with its request id. */
export const GATEWAY_REQUEST_ID = '$context.requestId';

/** The response body template for one gateway problem. */
export const gatewayProblemBody = (p: GatewayProblem, requestId = GATEWAY_REQUEST_ID): string =>
  JSON.stringify(makeProblem(p.status, p.code, p.detail, requestId));

export const gatewayProblem = (responseType: string): GatewayProblem => {
  const found = gatewayProblems.find((p) => p.responseType === responseType);
  if (!found) throw new Error(`no gateway problem ${responseType}`);
  return found;
};
