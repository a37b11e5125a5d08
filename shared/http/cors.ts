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
