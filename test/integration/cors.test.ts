import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';

const ALLOWED = 'https://console.stempel.example';
const context = {
  awsRequestId: randomUUID(),
  functionName: 'public',
  getRemainingTimeInMillis: () => 10_000,
} as Context;

const health = (origin: string) =>
  ({
    resource: '/v1/health',
    path: '/v1/health',
    httpMethod: 'GET',
    headers: { Origin: origin },
    body: null,
    isBase64Encoded: false,
    queryStringParameters: null,
    pathParameters: null,
    requestContext: { requestId: randomUUID() },
  }) as unknown as APIGatewayProxyEvent;

describe('CORS and security headers on every response', () => {
  it('allows only the configured origins', async () => {
    process.env.STEMPEL_CORS_ORIGINS = ALLOWED;
    const { handler } = await import('../../functions/public');
    const allowed = (await handler(health(ALLOWED), context)) as APIGatewayProxyResult;
    expect(allowed.headers?.['Access-Control-Allow-Origin']).toBe(ALLOWED);
    const foreign = (await handler(health('https://evil.example'), context)) as APIGatewayProxyResult;
    expect(foreign.headers?.['Access-Control-Allow-Origin']).not.toBe('https://evil.example');
    expect(foreign.headers?.['Access-Control-Allow-Origin']).not.toBe('*');
    expect(allowed.headers).toMatchObject({
      'Strict-Transport-Security': expect.stringContaining('max-age='),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
  });
});
