import type { AuditEvent } from '../shared/core/audit-event';
import type { AuditDetails } from '../shared/http/handler';
import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { maxBodyBytes } from '../shared/runtime/settings';
import { identity } from '../shared/runtime/users';

/**
 * The change's audit event, built when the store writes it (in the same
 * transaction as the change), and what the answer tells the handler: that it
 * is recorded.
 */
function inTransaction(auditEvent: (details?: AuditDetails) => AuditEvent | undefined, target?: string) {
  let recorded: AuditEvent | undefined;
  return {
    audit: (details: AuditDetails) => {
      recorded = auditEvent({ ...details, ...(target ? { target } : {}) });
      return recorded;
    },
    answer: (): AuditDetails => (recorded ? { recorded: recorded.id } : {}),
  };
}

export const handler = httpHandler(
  'users',
  {
    createUser: async ({ body, auditEvent }) => {
      const changes = { roles: { from: [], to: [...new Set(body.roles)].sort() } };
      let tx: ReturnType<typeof inTransaction> | undefined;
      const answer = await identity().createUser(body, (id) => {
        tx = inTransaction(auditEvent, `user:${id}`);
        return tx.audit({ changes });
      });
      return { ...created(answer), audit: { target: `user:${answer.user.id}`, ...tx?.answer() } };
    },
    listUsers: async ({ principal, query }) =>
      ok(await identity().listUsers(principal, query.limit, query.cursor)),
    getUser: async ({ params }) => ok(await identity().getUser(params.id)),
    updateUser: async ({ params, body, auditEvent }) => {
      const tx = inTransaction(auditEvent);
      return { ...ok(await identity().setRoles(params.id, body.roles, tx.audit)), audit: tx.answer() };
    },
    disableUser: async ({ params, auditEvent }) => {
      const tx = inTransaction(auditEvent);
      return { ...ok(await identity().setDisabled(params.id, true, tx.audit)), audit: tx.answer() };
    },
    enableUser: async ({ params, auditEvent }) => {
      const tx = inTransaction(auditEvent);
      return { ...ok(await identity().setDisabled(params.id, false, tx.audit)), audit: tx.answer() };
    },
    unlockUser: async ({ params }) => {
      await identity().unlock(params.id);
      return noContent();
    },
    resetUserOtp: async ({ params, auditEvent }) => {
      const tx = inTransaction(auditEvent);
      return { ...ok(await identity().resetOtp(params.id, tx.audit)), audit: tx.answer() };
    },
    deleteUser: async ({ params, auditEvent }) => {
      const tx = inTransaction(auditEvent);
      await identity().deleteUser(params.id, tx.audit);
      return { ...noContent(), audit: tx.answer() };
    },
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
