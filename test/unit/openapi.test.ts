import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../shared/http/openapi';
import { routeList } from '../../shared/http/routes';

describe('OpenAPI document', () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { operationId: string; security?: unknown[]; responses: Record<string, unknown> }>
    >;
  };

  it('describes every route of the route table, with its access', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const [operationId, route] of routeList()) {
      // OpenAPI has no greedy parameters: `{path+}` is documented as `{path}`.
      const op = doc.paths[route.path.replace('+}', '}')]?.[route.method.toLowerCase()];
      expect(op?.operationId, operationId).toBe(operationId);
      if (route.access === 'public') expect(op?.security).toEqual([]);
      else expect(op?.responses['401']).toBeDefined();
    }
  });

  it('documents the binary tiles route', () => {
    const tile = doc.paths['/v1/log/tile/{path}']?.get as unknown as {
      responses: Record<string, { content: Record<string, unknown> }>;
    };
    expect(Object.keys(tile.responses['200']?.content ?? {})).toEqual(['application/octet-stream']);
  });

  it('documents path parameters and strict request bodies', () => {
    const get = doc.paths['/v1/notarizations/{id}']?.get as unknown as {
      parameters: { name: string; in: string }[];
    };
    expect(get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    const login = doc.paths['/v1/auth/login']?.post as unknown as {
      requestBody: { content: { 'application/json': { schema: { additionalProperties: boolean } } } };
    };
    expect(login.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
  });
});
