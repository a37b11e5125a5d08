import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/results';
import { auditReader, auditTrail, auditTransparency } from '../shared/runtime/audit';
import { maxBodyBytes } from '../shared/runtime/settings';

export const handler = httpHandler(
  'audit',
  {
    auditEvents: async ({ principal, query }) =>
      ok(await auditReader().list(principal, { ...query, proofs: query.proofs === 'true' })),
    auditErasure: async ({ body }) => ({
      ...ok(await auditTrail().erase(body.userId)),
      audit: { target: `user:${body.userId}` },
    }),
    auditKey: async () => ok(await (await auditTransparency()).key()),
    auditCheckpoint: async () => ({
      status: 200,
      body: await (await auditTransparency()).checkpoint(),
      contentType: 'text/plain; charset=utf-8',
    }),
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
