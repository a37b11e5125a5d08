import { randomBytes, randomUUID } from 'node:crypto';
import { inject } from 'vitest';

export const apiUrl = () => inject('apiUrl');

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  readonly body: any;
}

/** One HTTP call to the local runtime; JSON in, JSON (or text) out. */
export async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${apiUrl()}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export async function login(username: string, password: string): Promise<string> {
  const res = await call('POST', '/v1/auth/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken as string;
}

export const adminToken = () => login('admin', inject('adminPassword'));

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
export const randomSha256 = () => randomBytes(32).toString('hex');

/**
 * Creates a user through the admin API and completes the forced password
 * change; returns a usable access token.
 */
export async function createUser(roles: string[], admin?: string) {
  const token = admin ?? (await adminToken());
  const username = uniqueName('user');
  const created = await call('POST', '/v1/admin/users', { token, body: { username, roles } });
  if (created.status !== 201)
    throw new Error(`create user failed: ${created.status} ${JSON.stringify(created.body)}`);
  const temporary = created.body.temporaryPassword as string;
  const first = await login(username, temporary);
  const password = `${randomBytes(12).toString('base64url')}-Pw1`;
  const changed = await call('POST', '/v1/auth/password', {
    token: first,
    body: { currentPassword: temporary, newPassword: password },
  });
  if (changed.status !== 204) throw new Error(`password change failed: ${changed.status}`);
  return { id: created.body.user.id as string, username, password, token: first };
}
