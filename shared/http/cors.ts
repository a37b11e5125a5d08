/**
 * Browser origins allowed to call the API, fixed at deploy time
 * (STEMPEL_CORS_ORIGINS, comma separated) because API Gateway answers the
 * preflight itself. Empty: no cross-origin access.
 */
export const corsOrigins = (env: NodeJS.ProcessEnv = process.env): string[] =>
  (env.STEMPEL_CORS_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Request headers a browser may send cross-origin: the token, JSON, and the refresh cookie's CSRF header. */
export const CORS_ALLOWED_HEADERS = 'Authorization,Content-Type,X-Stempel-Refresh';
