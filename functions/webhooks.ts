import { auditInTransaction } from '../shared/http/audit-transaction';
import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { maxBodyBytes } from '../shared/runtime/settings';
import { webhooks } from '../shared/runtime/webhooks';

/** The admin routes of webhook endpoints (docs/webhooks.md); each change with its audit event in one transaction. */
export const handler = httpHandler(
  'webhooks',
  {
    createWebhook: async ({ body, principal, auditEvent }) => {
      let tx: ReturnType<typeof auditInTransaction> | undefined;
      const answer = await webhooks().register(body, principal?.userId ?? 'anonymous', (details) => {
        tx = auditInTransaction(auditEvent, details ?? {});
        return tx.audit();
      });
      return { ...created(answer), audit: tx?.answer() ?? { target: `webhook:${answer.webhook.id}` } };
    },
    listWebhooks: async () => ok({ items: await webhooks().list() }),
    getWebhook: async ({ params }) => ok(await webhooks().get(params.id)),
    updateWebhook: async ({ params, body, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      return { ...ok(await webhooks().setEnabled(params.id, body.enabled, tx.audit)), audit: tx.answer() };
    },
    deleteWebhook: async ({ params, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      await webhooks().delete(params.id, tx.audit);
      return { ...noContent(), audit: tx.answer() };
    },
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
