import { checkHealth } from '../shared/core/health';
import { httpHandler } from '../shared/http/handler';
import { openApiDocument } from '../shared/http/openapi';
import { healthChecks } from '../shared/runtime/health';
import { maxBodyBytes } from '../shared/runtime/settings';

export const handler = httpHandler(
  'public',
  {
    health: async () => {
      const report = await checkHealth(healthChecks());
      return { status: report.status === 'ok' ? 200 : 503, body: report };
    },
    openapi: async () => ({
      status: 200,
      body: openApiDocument(),
      headers: { 'Cache-Control': 'public, max-age=300' },
    }),
  },
  { maxBodyBytes },
);
