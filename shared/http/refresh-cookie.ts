import { parseCookie, stringifySetCookie } from 'cookie';
import { StempelError } from '../core/errors';

/**
 * The browser console's refresh token travels in a cookie instead of the body
 * (docs/api.md, "Refresh token in a cookie"): HttpOnly so page scripts never
 * see it, Secure, SameSite=Strict and scoped to the refresh route, so it is
 * sent nowhere else. A session cookie: the server enforces the session's own
 * idle and absolute expiry, and closing the browser ends it sooner.
 */
export const REFRESH_COOKIE = 'stempel_refresh';
export const REFRESH_COOKIE_PATH = '/v1/auth/refresh';

/**
 * Refreshing from the cookie needs this header. A cross-origin page cannot
 * send a custom header without a CORS preflight, which only the configured
 * origins pass, so a forged form post or image never spends the cookie.
 */
export const REFRESH_CSRF_HEADER = 'X-Stempel-Refresh';
export const REFRESH_CSRF_VALUE = 'cookie';

const attributes = { path: REFRESH_COOKIE_PATH, httpOnly: true, secure: true, sameSite: 'strict' } as const;

export const setRefreshCookie = (token: string): string =>
  stringifySetCookie({ name: REFRESH_COOKIE, value: token, ...attributes });

export const clearRefreshCookie = (): string =>
  stringifySetCookie({ name: REFRESH_COOKIE, value: '', ...attributes, maxAge: 0, expires: new Date(0) });

/**
 * The refresh token a call presents: from the body (bearer clients), or from
 * the cookie when the CSRF header says so. `fromCookie` tells the handler to
 * answer with a cookie again.
 */
export function presentedRefreshToken(
  bodyToken: string | undefined,
  headers: Readonly<Record<string, string>>,
): { readonly token: string; readonly fromCookie: boolean } {
  if (bodyToken !== undefined) return { token: bodyToken, fromCookie: false };
  if (headers[REFRESH_CSRF_HEADER.toLowerCase()] !== REFRESH_CSRF_VALUE)
    throw new StempelError(
      'invalid',
      'refresh_token_required',
      `Send refreshToken in the body, or the refresh cookie with the header ${REFRESH_CSRF_HEADER}: ${REFRESH_CSRF_VALUE}.`,
    );
  const token = parseCookie(headers.cookie ?? '')[REFRESH_COOKIE];
  if (!token)
    throw new StempelError('unauthenticated', 'invalid_refresh_token', 'No refresh cookie was sent.');
  return { token, fromCookie: true };
}
