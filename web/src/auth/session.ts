import { computed, signal } from '@preact/signals';
import { send, sendJson } from '../api/http';
import { ApiError } from '../api/problem';
import type { LoginResponse, Me, Role } from '../api/types';

export type Session =
  | { readonly status: 'starting' }
  | { readonly status: 'signed-out'; readonly reason?: 'expired' }
  | { readonly status: 'signed-in'; readonly user: Me };

export const session = signal<Session>({ status: 'starting' });

/**
 * The short-lived access token: only ever in this page's memory. The refresh
 * token is an HttpOnly cookie scoped to /v1/auth/refresh that script never sees.
 * The live channel re-subscribes whenever this changes.
 */
export const accessToken = signal<string | null>(null);

export const currentUser = computed(() => {
  const s = session.value;
  return s.status === 'signed-in' ? s.user : undefined;
});

export const hasRole = (...roles: readonly Role[]) =>
  roles.some((role) => currentUser.value?.roles.includes(role) ?? false);

/** Refresh this long before the token expires, so no request meets an expired token. */
const REFRESH_MARGIN_SECONDS = 30;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshInFlight: Promise<boolean> | undefined;

function adopt(tokens: LoginResponse) {
  accessToken.value = tokens.accessToken;
  clearTimeout(refreshTimer);
  const delaySeconds = Math.max(tokens.expiresIn - REFRESH_MARGIN_SECONDS, tokens.expiresIn / 2);
  refreshTimer = setTimeout(() => void refresh(), delaySeconds * 1000);
}

function signOutLocally(reason?: 'expired') {
  clearTimeout(refreshTimer);
  accessToken.value = null;
  session.value = reason ? { status: 'signed-out', reason } : { status: 'signed-out' };
}

async function loadMe() {
  const token = accessToken.value;
  if (!token) return;
  const user = await sendJson<Me>('GET', '/v1/me', { token });
  session.value = { status: 'signed-in', user };
}

/** Sign in; throws ApiError (`otp_required` asks for the second step). */
export async function login(username: string, password: string, otp?: string) {
  const tokens = await sendJson<LoginResponse>('POST', '/v1/auth/login', {
    body: { username, password, ...(otp ? { otp } : {}), refreshTokenDelivery: 'cookie' },
  });
  adopt(tokens);
  await loadMe();
}

async function refreshOnce(): Promise<boolean> {
  try {
    const tokens = await sendJson<LoginResponse>('POST', '/v1/auth/refresh', {
      body: {},
      // The CSRF guard: a cross-site form cannot set this header.
      headers: { 'x-stempel-refresh': 'cookie' },
    });
    adopt(tokens);
    await loadMe();
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 400)) {
      const wasSignedIn = session.value.status === 'signed-in';
      signOutLocally(wasSignedIn ? 'expired' : undefined);
      return false;
    }
    throw err;
  }
}

async function lockedRefresh(): Promise<boolean> {
  if (!navigator.locks) return refreshOnce();
  return await navigator.locks.request('stempel-refresh', refreshOnce);
}

/**
 * Exchanges the refresh cookie for a new access token. One at a time, across
 * tabs too: a refresh token is single-use, and two tabs presenting the same
 * one would look like theft and end the session.
 */
export function refresh(): Promise<boolean> {
  if (!refreshInFlight) {
    refreshInFlight = lockedRefresh().finally(() => {
      refreshInFlight = undefined;
    });
  }
  return refreshInFlight;
}

/** At start: a refresh cookie from an earlier visit signs the user in silently. */
export async function restoreSession() {
  try {
    await refresh();
  } catch {
    signOutLocally();
  }
}

export async function logout() {
  const token = accessToken.value;
  try {
    if (token) await send('POST', '/v1/auth/logout', { token });
  } finally {
    signOutLocally();
  }
}
