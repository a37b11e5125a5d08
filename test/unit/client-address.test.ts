import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditInput } from '../../shared/core/audit-event';
import { VIEWER_ADDRESS_HEADER } from '../../shared/http/client-address';
import { httpHandler, type Operations } from '../../shared/http/handler';
import { lambdaContext } from '../../shared/local/lambda-context';
import { ENV } from '../../shared/runtime/environment';

/** A login request as API Gateway hands it over when it came through the console's distribution. */
const loginEvent = (headers: Record<string, string>): APIGatewayProxyEvent =>
  ({
    httpMethod: 'POST',
    resource: '/v1/auth/login',
    path: '/v1/auth/login',
    headers: { 'content-type': 'application/json', ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body: JSON.stringify({ username: 'ulla', password: 'uploads-deeds-daily-7' }),
    requestContext: {
      requestId: 'req-1',
      identity: { sourceIp: '130.176.1.1', userAgent: 'test' },
    },
  }) as unknown as APIGatewayProxyEvent;

/** The auth group's handler whose login answers with the address it was given. */
function echoHandler(audited: AuditInput[]) {
  const operations = {
    login: async ({ sourceIp }: { sourceIp: string }) => ({ status: 200, body: { sourceIp } }),
  } as unknown as Operations<'auth'>;
  return httpHandler('auth', operations, {
    maxBodyBytes: async () => 65_536,
    audit: async (event) => {
      audited.push(event);
    },
  });
}

describe('the client address a handler works with', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is the viewer address CloudFront set, where the stack says the WAF guards it', async () => {
    vi.stubEnv(ENV.viewerAddressTrusted, 'true');
    const audited: AuditInput[] = [];
    const result = await echoHandler(audited)(
      loginEvent({ [VIEWER_ADDRESS_HEADER]: '2001:db8::7' }),
      lambdaContext('stempel-auth'),
    );
    expect(JSON.parse(result.body)).toEqual({ sourceIp: '2001:db8::7' });
    expect(audited.map((a) => a.personal?.sourceIp)).toEqual(['2001:db8::7']);
  });

  it("is API Gateway's sourceIp anywhere else, whatever header the client sends", async () => {
    vi.stubEnv(ENV.viewerAddressTrusted, '');
    const audited: AuditInput[] = [];
    const result = await echoHandler(audited)(
      loginEvent({ [VIEWER_ADDRESS_HEADER]: '2001:db8::7' }),
      lambdaContext('stempel-auth'),
    );
    expect(JSON.parse(result.body)).toEqual({ sourceIp: '130.176.1.1' });
    expect(audited.map((a) => a.personal?.sourceIp)).toEqual(['130.176.1.1']);
  });
});
