import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as auth } from '../../functions/auth';
import { handler as authorizer } from '../../functions/authorizer';
import { handler as notarizations } from '../../functions/notarizations';
import { handler as users } from '../../functions/users';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
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

/** A REST proxy event as API Gateway builds it, with the authorizer's context. */
const eventWith = (
  authorizerContext: Record<string, unknown>,
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
    requestContext: { requestId: randomUUID(), authorizer: authorizerContext },
  }) as unknown as APIGatewayProxyEvent;

const event = (
  principal: Principal,
  method: string,
  resource: string,
  body?: unknown,
  pathParameters?: Record<string, string>,
) => eventWith(toAuthorizerContext(principal), method, resource, body, pathParameters);

const invoke = async (e: APIGatewayProxyEvent, fn: typeof notarizations = notarizations) => {
  const result = (await fn(e, context)) as APIGatewayProxyResult;
  return {
    status: result.statusCode,
    raw: result.body,
    body: result.body ? JSON.parse(result.body) : undefined,
  };
};

const principal = (roles: Principal['roles'], userId = randomUUID()): Principal => ({
  userId,
  username: `someone-${userId.slice(0, 8)}`,
  roles,
  mustChangePassword: false,
  otpEnabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
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
    expect(result.context).toEqual({
      userId,
      username,
      roles: 'verifier',
      mustChangePassword: 'false',
      otpEnabled: 'false',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      tokenId: expect.any(String),
      tokenExpiresAt: expect.stringMatching(/^\d+$/),
      sessionId: expect.any(String),
    });
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

describe('GET /v1/me', () => {
  const password = 'Some-long-pass-456';
  const signedInUser = async (roles: Principal['roles']) => {
    const username = `me-${randomUUID().slice(0, 8)}`;
    const user = await identity().addUser(username, roles, password, false);
    const { accessToken } = await authentication().login(username, password, undefined, '192.0.2.2');
    return { user, token: `Bearer ${accessToken}` };
  };

  /** What API Gateway passes on once the authorizer allowed the token for GET /v1/me; undefined for 401. */
  const authorizerContextFor = async (token: string) => {
    const methodArn = 'arn:aws:execute-api:eu-central-1:1:api/prod/GET/v1/me';
    try {
      const allowed = await authorizer({ type: 'TOKEN', authorizationToken: token, methodArn }, context);
      return { ...allowed.context, principalId: allowed.principalId };
    } catch (err) {
      if (err instanceof Error && err.message === 'Unauthorized') return undefined;
      throw err;
    }
  };

  /** GET /v1/me as API Gateway runs it: the authorizer on every request (no cache), then the handler. */
  const me = async (token: string) => {
    const ctx = await authorizerContextFor(token);
    return ctx ? invoke(eventWith(ctx, 'GET', '/v1/me'), auth) : { status: 401, raw: '', body: undefined };
  };

  const asAdmin = (method: string, resource: string, id: string, body?: unknown) =>
    invoke(event(principal(['admin']), method, resource, body, { id }), users);

  it('answers from the authorizer context alone: no DynamoDB call, the same bytes as the stored user', async () => {
    const { user, token } = await signedInUser(['verifier']);
    const ctx = await authorizerContextFor(token);
    expect(ctx).toBeDefined();

    // The handler's process can no longer reach DynamoDB: any read would fail the request, and is counted.
    const send = vi
      .spyOn(dynamoDocumentClient(), 'send')
      .mockRejectedValue(new Error('DynamoDB unreachable'));
    let answer: Awaited<ReturnType<typeof invoke>>;
    try {
      answer = await invoke(eventWith(ctx ?? {}, 'GET', '/v1/me'), auth);
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
    expect(answer.status).toBe(200);
    // Exactly what the store-backed view of the same user says, field order included.
    const stored = await asAdmin('GET', '/v1/admin/users/{id}', user.id);
    expect(stored.status).toBe(200);
    expect(answer.raw).toBe(stored.raw);
    expect(answer.body).toEqual({
      id: user.id,
      username: user.username,
      roles: ['verifier'],
      mustChangePassword: false,
      disabled: false,
      otpEnabled: false,
      createdAt: user.createdAt,
    });
  });

  it("shows an admin's role change in the very next response, and a disable ends it", async () => {
    const { user, token } = await signedInUser(['verifier']);
    expect((await me(token)).body.roles).toEqual(['verifier']);

    const changed = await asAdmin('PATCH', '/v1/admin/users/{id}', user.id, {
      roles: ['uploader', 'verifier'],
    });
    expect(changed.status).toBe(200);
    const next = await me(token);
    expect(next.status).toBe(200);
    expect(next.body.roles).toEqual(['uploader', 'verifier']);
    expect(next.raw).toBe(changed.raw);

    expect((await asAdmin('POST', '/v1/admin/users/{id}/disable', user.id)).status).toBe(200);
    expect((await me(token)).status).toBe(401);
  });
});
