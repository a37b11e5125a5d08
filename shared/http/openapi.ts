import * as z from 'zod/mini';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { routeList } from './routes';
import { problem } from './schemas';

type JsonObject = Record<string, unknown>;

const schemaOf = (schema: z.ZodMiniType, io: 'input' | 'output'): JsonObject => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return rest;
};

const parametersOf = (schema: z.ZodMiniType | undefined, location: 'path' | 'query'): JsonObject[] => {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
};

const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

let cached: JsonObject | undefined;

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function openApiDocument(): JsonObject {
  if (cached) return cached;
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const [operationId, route] of routeList()) {
    const responses: Record<string, JsonObject> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema
          ? { content: { [r.contentType ?? 'application/json']: { schema: schemaOf(r.schema, 'output') } } }
          : r.contentType
            ? { content: { [r.contentType]: { schema: { type: 'string', contentEncoding: 'binary' } } } }
            : {}),
      };
    }
    if (route.body || route.query || route.params) responses['400'] = problemResponse('Invalid request');
    if (route.body || route.rawBody) responses['413'] = problemResponse('Request body too large');
    if (route.access !== 'public') {
      responses['401'] = problemResponse('Missing, invalid or expired access token');
      responses['403'] = problemResponse('Not allowed for your roles, or password change required');
    }
    if (route.params) responses['404'] = problemResponse('Not found');
    // OpenAPI has no greedy parameters: API Gateway's `{path+}` is written `{path}`.
    const path = route.path.replace('+}', '}');
    const item = paths[path] ?? {};
    paths[path] = item;
    item[route.method.toLowerCase()] = {
      operationId,
      summary: route.summary,
      ...(route.access === 'public' ? { security: [] } : {}),
      ...(Array.isArray(route.access) ? { 'x-stempel-roles': route.access } : {}),
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : route.rawBody
          ? {
              requestBody: {
                required: true,
                content: {
                  [route.rawBody.contentType]: { schema: { type: 'string', contentEncoding: 'binary' } },
                },
              },
            }
          : {}),
      responses,
    };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Stempel API',
      version: '1',
      description: 'Document notarization on an append-only Merkle log. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: schemaOf(problem, 'output') },
    },
  };
  return cached;
}
