import { auditInTransaction } from '../shared/http/audit-transaction';
import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { privacy } from '../shared/runtime/privacy';
import { maxBodyBytes } from '../shared/runtime/settings';

/** GDPR requests (docs/privacy.md): what is held about a person, and its erasure. */
export const handler = httpHandler(
  'privacy',
  {
    exportUser: async ({ params }) => ok(await privacy().exportUser(params.id)),
    eraseUser: async ({ params, auditEvent }) => {
      // The erasure's event is written with the user item's deletion, its last step.
      const tx = auditInTransaction(auditEvent);
      return { ...ok(await privacy().eraseUser(params.id, tx.audit)), audit: tx.answer() };
    },
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
