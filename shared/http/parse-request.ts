import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { type FieldError, StempelError } from '../core/errors';
import type { RouteDefinition } from './routes';

const toFieldErrors = (error: z.ZodError, prefix: string): FieldError[] =>
  error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));

function validate(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new StempelError('invalid', 'invalid_request', `The request ${where} is invalid.`, {
    errors: toFieldErrors(parsed.error, where),
  });
}

function readBody(route: RouteDefinition, event: APIGatewayProxyEvent, maxBodyBytes: number): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBodyBytes) {
    throw new StempelError(
      'too_large',
      'body_too_large',
      `The request body is larger than ${maxBodyBytes} bytes.`,
    );
  }
  if (!route.body) return undefined;
  const contentType =
    Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new StempelError(
      'unsupported_media_type',
      'unsupported_media_type',
      'Send the body as application/json.',
    );
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new StempelError('invalid', 'malformed_json', 'The request body is not valid JSON.');
  }
}

/** Validates body, query and path parameters of a request against its route's schemas. */
export function parseRequest(route: RouteDefinition, event: APIGatewayProxyEvent, maxBodyBytes: number) {
  const body = readBody(route, event, maxBodyBytes);
  return {
    body: validate(route.body, body, 'body'),
    query: validate(route.query, event.queryStringParameters ?? {}, 'query'),
    params: validate(route.params, event.pathParameters ?? {}, 'path'),
  };
}
