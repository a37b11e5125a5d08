import { accessToken, refresh } from '../auth/session';
import { send } from './http';
import { ApiError } from './problem';

export { ApiError } from './problem';

/**
 * A signed-in call: the access token from memory; on 401 one silent refresh
 * and a retry, after which the session is over (session.ts signs out).
 */
export async function apiFetch(
  method: string,
  path: string,
  options: { body?: unknown; signal?: AbortSignal } = {},
): Promise<Response> {
  const attempt = () => {
    const token = accessToken.value;
    if (!token) throw new ApiError(401, 'signed_out', 'not signed in');
    return send(method, path, { ...options, token });
  };
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    if (!(await refresh())) throw err;
    return attempt();
  }
}

export async function api<T>(
  method: string,
  path: string,
  options?: { body?: unknown; signal?: AbortSignal },
): Promise<T> {
  const res = await apiFetch(method, path, options);
  return (res.status === 204 ? undefined : await res.json()) as T;
}
