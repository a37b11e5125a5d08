import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../shared/http/parse-request';
import { routes } from '../../shared/http/routes';

const event = (
  body: string | null,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
  base64 = false,
) =>
  ({
    body,
    headers,
    isBase64Encoded: base64,
    queryStringParameters: null,
    pathParameters: null,
  }) as unknown as APIGatewayProxyEvent;

const sha = 'AB'.repeat(32);

describe('request parsing', () => {
  it('validates and normalizes the body', () => {
    const parsed = parseRequest(routes.verify, event(JSON.stringify({ sha256: sha })), 1024);
    expect(parsed.body).toEqual({ sha256: sha.toLowerCase() });
  });

  it('accepts a base64-encoded body and a charset on the content type', () => {
    const body = Buffer.from(JSON.stringify({ sha256: sha })).toString('base64');
    expect(
      parseRequest(
        routes.verify,
        event(body, { 'content-type': 'application/json; charset=utf-8' }, true),
        1024,
      ).body,
    ).toEqual({
      sha256: sha.toLowerCase(),
    });
  });

  it('measures the size in bytes, not characters', () => {
    const body = JSON.stringify({ sha256: sha, name: 'é'.repeat(500) });
    expect(() => parseRequest(routes.notarize, event(body), 1000)).toThrow(
      expect.objectContaining({ code: 'body_too_large' }),
    );
  });

  it('coerces and bounds query parameters', () => {
    const e = { ...event(null), queryStringParameters: { limit: '5' } } as APIGatewayProxyEvent;
    expect(parseRequest(routes.listUsers, e, 1024).query).toEqual({ limit: 5 });
    const tooMany = { ...e, queryStringParameters: { limit: '1000' } } as APIGatewayProxyEvent;
    expect(() => parseRequest(routes.listUsers, tooMany, 1024)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('refuses a path id that is not a UUID', () => {
    const e = { ...event(null), pathParameters: { id: '../etc' } } as APIGatewayProxyEvent;
    expect(() => parseRequest(routes.getNotarization, e, 1024)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('refuses a __proto__ key anywhere in the body, naming where', () => {
    const nested = `{"sha256":"${sha}","metadata":{"a":"b","__proto__":"x"}}`;
    expect(() => parseRequest(routes.notarize, event(nested), 1024)).toThrow(
      expect.objectContaining({
        code: 'invalid_request',
        extra: { errors: [{ path: 'body.metadata.__proto__', message: expect.any(String) }] },
      }),
    );
  });

  it('walks a deeply nested body without overflowing the stack', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(() => parseRequest(routes.verify, event(deep), 1_000_000)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});
