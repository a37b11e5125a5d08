import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as authorizer } from '../../functions/authorizer';
import { handler as notarizations } from '../../functions/notarizations';
import type { Principal } from '../../shared/core/roles';
import { toAuthorizerContext } from '../../shared/http/principal';
import { authentication } from '../../shared/runtime/auth';
import { accessTokens } from '../../shared/runtime/tokens';
import { identity } from '../../shared/runtime/users';

const context = {
  awsRequestId: randomUUID(),
  functionName: 'test',
  getRemainingTimeInMillis: () => 10_000,
} as Context;

const event = (
  principal: Principal,
  method: string,
  resource: string,
  body?: unknown,
  pathParameters?: Record<string, string>,
) =>
  ({
    resource,
    path: resource,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    queryStringParameters: null,
    pathParameters: pathParameters ?? null,
    requestContext: { requestId: randomUUID(), authorizer: toAuthorizerContext(principal) },
  }) as unknown as APIGatewayProxyEvent;

const invoke = async (e: APIGatewayProxyEvent) => {
  const result = (await notarizations(e, context)) as APIGatewayProxyResult;
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
};

const principal = (roles: Principal['roles'], userId = randomUUID()): Principal => ({
  userId,
  roles,
  mustChangePassword: false,
  tokenId: randomUUID(),
  tokenExpiresAt: Math.floor(Date.now() / 1000) + 900,
  sessionId: randomUUID(),
});

describe('Lambda handlers against DynamoDB Local', () => {
  it('notarizes idempotently through the Lambda handler', async () => {
    const owner = principal(['uploader']);
    const sha256 = randomBytes(32).toString('hex');
    const first = await invoke(event(owner, 'POST', '/v1/notarizations', { sha256 }));
    const second = await invoke(event(owner, 'POST', '/v1/notarizations', { sha256 }));
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const byId = await invoke(
      event(owner, 'GET', '/v1/notarizations/{id}', undefined, { id: first.body.id }),
    );
    // The local runtime's integrator may have sealed it meanwhile.
    const { status: _status, logIndex: _index, ...stable } = byId.body;
    expect({ ...first.body, status: undefined }).toEqual({ ...stable, status: undefined });
  });

  it('refuses an event without authorizer context on a protected route', async () => {
    const e = event(principal(['uploader']), 'POST', '/v1/notarizations', { sha256: 'a'.repeat(64) });
    (e.requestContext as { authorizer: unknown }).authorizer = null;
    expect((await invoke(e)).status).toBe(401);
  });
});

describe('TOKEN authorizer', () => {
  let userId: string;
  const username = `authz-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    userId = (await identity().addUser(username, ['verifier'], 'Some-long-pass-123', false)).id;
  });

  const authorize = (authorizationToken: string) =>
    authorizer(
      {
        type: 'TOKEN',
        authorizationToken,
        methodArn: 'arn:aws:execute-api:eu-central-1:1:api/prod/GET/v1/me',
      },
      context,
    );

  it('allows exactly the called method and passes the current user', async () => {
    const { accessToken: token } = await authentication().login(
      username,
      'Some-long-pass-123',
      undefined,
      '192.0.2.1',
    );
    const result = await authorize(`Bearer ${token}`);
    expect(result.principalId).toBe(userId);
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:eu-central-1:1:api/prod/GET/v1/me',
      },
    ]);
    expect(result.context).toMatchObject({ userId, roles: 'verifier', mustChangePassword: 'false' });
  });

  it('answers Unauthorized for a validly signed token without a live session or user', async () => {
    const { token: noUser } = await accessTokens().issue(randomUUID(), randomUUID());
    await expect(authorize(`Bearer ${noUser}`)).rejects.toThrow('Unauthorized');
    const { token: noSession } = await accessTokens().issue(userId, randomUUID());
    await expect(authorize(`Bearer ${noSession}`)).rejects.toThrow('Unauthorized');
  });

  it('answers Unauthorized for a malformed header', async () => {
    await expect(authorize('Bearer')).rejects.toThrow('Unauthorized');
    await expect(authorize('token-without-scheme')).rejects.toThrow('Unauthorized');
  });
});
