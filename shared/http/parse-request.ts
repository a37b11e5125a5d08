import type { APIGatewayProxyEvent } from 'aws-lambda';
import type * as z from 'zod/mini';
import { type FieldError, StempelError } from '../core/errors';
import type { RouteDefinition } from './routes';

const toFieldErrors = (error: z.core.$ZodError, prefix: string): FieldError[] =>
  error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));

function validate(schema: z.ZodMiniType | undefined, value: unknown, where: string): unknown {
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
  const contentType =
    Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (route.rawBody) {
    const expected = route.rawBody.contentType;
    if (contentType.split(';')[0]?.trim().toLowerCase() !== expected) {
      throw new StempelError(
        'unsupported_media_type',
        'unsupported_media_type',
        `Send the body as ${expected}.`,
      );
    }
    return new Uint8Array(bytes);
  }
  if (!route.body) return undefined;
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new StempelError(
      'unsupported_media_type',
      'unsupported_media_type',
      'Send the body as application/json.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new StempelError('invalid', 'malformed_json', 'The request body is not valid JSON.');
  }
  const protoPath = pathOfProtoKey(parsed, ['body']);
  if (protoPath) {
    // Validators drop such a key silently; refusing it says what happened and keeps it out of every object.
    throw new StempelError('invalid', 'invalid_request', 'The request body is invalid.', {
      errors: [{ path: protoPath.join('.'), message: '"__proto__" is not allowed as a key' }],
    });
  }
  return parsed;
}

/**
 * Where a parsed JSON value holds an own `__proto__` key, if anywhere.
 * Iterative, with parent links: a deeply nested body must not overflow the stack or copy paths.
 */
function pathOfProtoKey(root: unknown, prefix: string[]): string[] | undefined {
  const nodes: { value: unknown; parent: number; key: string }[] = [{ value: root, parent: -1, key: '' }];
  for (let i = 0; i < nodes.length; i++) {
    const { value } = nodes[i] as (typeof nodes)[number];
    if (typeof value !== 'object' || value === null) continue;
    const hit = !Array.isArray(value) && Object.hasOwn(value, '__proto__');
    if (hit) {
      const path = ['__proto__'];
      for (let at = i; at > 0; at = (nodes[at] as (typeof nodes)[number]).parent)
        path.unshift((nodes[at] as (typeof nodes)[number]).key);
      return [...prefix, ...path];
    }
    for (const [key, child] of Object.entries(value)) nodes.push({ value: child, parent: i, key });
  }
  return undefined;
}
/** Validates body, query and path parameters of a request against its route's schemas. */
export function parseRequest(route: RouteDefinition, event: APIGatewayProxyEvent, maxBodyBytes: number) {
  const body = readBody(route, event, maxBodyBytes);
  return {
    body: route.rawBody ? body : validate(route.body, body, 'body'),
    query: validate(route.query, event.queryStringParameters ?? {}, 'query'),
    params: validate(route.params, event.pathParameters ?? {}, 'path'),
  };
}
