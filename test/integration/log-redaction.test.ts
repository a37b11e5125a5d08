import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as auth } from '../../functions/auth';
import { handler as authorizer } from '../../functions/authorizer';
import { logger } from '../../shared/http/observability';
import { toAuthorizerContext } from '../../shared/http/principal';
import { authorizer as authorizerRoot } from '../../shared/runtime/authorizer';
import { identity } from '../../shared/runtime/users';

const context = {
  awsRequestId: randomUUID(),
  functionName: 'auth',
  getRemainingTimeInMillis: () => 10_000,
} as Context;
const captured: string[] = [];
const originalWrite = process.stdout.write.bind(process.stdout);
const originalErrWrite = process.stderr.write.bind(process.stderr);

/** Calls the auth Lambda handler in process, the way API Gateway would after the authorizer. */
async function invoke(resource: string, body: unknown, token?: string, method = 'POST') {
  let authorizerContext: Record<string, string> | null = null;
  if (token) {
    const principal = await authorizerRoot().authorize(`Bearer ${token}`);
    authorizerContext = principal ? toAuthorizerContext(principal) : null;
    await authorizer(
      { type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: 'arn:x' },
      context,
    ).catch(() => undefined);
  }
  const event = {
    resource,
    path: resource,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    queryStringParameters: null,
    pathParameters: null,
    requestContext: { requestId: randomUUID(), authorizer: authorizerContext },
  } as unknown as APIGatewayProxyEvent;
  const result = (await auth(event, context)) as APIGatewayProxyResult;
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
}

describe('logs never carry passwords, tokens, OTP secrets or usernames', () => {
  beforeAll(() => {
    logger.setLogLevel('DEBUG');
    const capture = (chunk: unknown) => {
      captured.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
  });
  afterAll(() => {
    process.stdout.write = originalWrite;
    process.stderr.write = originalErrWrite;
    logger.setLogLevel('WARN');
  });

  it('through login, failures, password change, 2FA, refresh, GET /v1/me and logout', async () => {
    const username = `redact-${randomUUID().slice(0, 8)}`;
    const temporary = 'Temporary-Pass-9z8y7x';
    const password = 'Final-Secret-Pass-4u5v';
    await identity().addUser(username, ['uploader'], temporary, true);

    const secrets: string[] = [username, temporary, password];
    expect((await invoke('/v1/auth/login', { username, password: 'Wrong-Guess-Pass-1' })).status).toBe(401);
    const first = await invoke('/v1/auth/login', { username, password: temporary });
    secrets.push(first.body.accessToken, first.body.refreshToken);
    const changed = await invoke(
      '/v1/auth/password',
      { currentPassword: temporary, newPassword: password },
      first.body.accessToken,
    );
    expect(changed.status).toBe(204);
    const setup = await invoke('/v1/auth/otp/setup', { currentPassword: password }, first.body.accessToken);
    expect(setup.status).toBe(200);
    secrets.push(setup.body.secret);
    const otp = await generate({ secret: setup.body.secret });
    expect((await invoke('/v1/auth/otp/confirm', { otp }, first.body.accessToken)).status).toBe(204);
    const next = await generate({ secret: setup.body.secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const second = await invoke('/v1/auth/login', { username, password, otp: next });
    expect(second.status).toBe(200);
    secrets.push(second.body.accessToken, second.body.refreshToken);
    const refreshed = await invoke('/v1/auth/refresh', { refreshToken: second.body.refreshToken });
    secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
    expect((await invoke('/v1/auth/refresh', { refreshToken: second.body.refreshToken })).status).toBe(401); // reuse
    // The authorizer context carries the username (GET /v1/me answers from it): passed on, never logged.
    const me = await invoke('/v1/me', undefined, first.body.accessToken, 'GET');
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(username);
    expect((await invoke('/v1/auth/logout', {}, first.body.accessToken)).status).toBe(204);

    const output = captured.join('');
    expect(output).toContain('"message":"request"'); // the capture works: request lines were logged
    expect(output).toContain('"audit"');
    for (const secret of secrets) expect(output, 'a secret leaked into the logs').not.toContain(secret);
    // Not even a fragment: the start of a token, the secret part of a refresh token (its ids are no secret).
    for (const secret of secrets.slice(3)) {
      const fragment = /^[0-9a-f-]{36}\.[0-9a-f-]{36}\./.test(secret)
        ? secret.slice(74, 98)
        : secret.slice(0, 24);
      expect(output).not.toContain(fragment);
    }
  });
});
