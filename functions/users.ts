import { auditInTransaction } from '../shared/http/audit-transaction';
import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { maxBodyBytes } from '../shared/runtime/settings';
import { identity } from '../shared/runtime/users';

export const handler = httpHandler(
  'users',
  {
    createUser: async ({ body, auditEvent }) => {
      const changes = { roles: { from: [], to: [...new Set(body.roles)].sort() } };
      let tx: ReturnType<typeof auditInTransaction> | undefined;
      const answer = await identity().createUser(body, (id) => {
        tx = auditInTransaction(auditEvent, { target: `user:${id}` });
        return tx.audit({ changes });
      });
      return { ...created(answer), audit: tx?.answer() ?? { target: `user:${answer.user.id}` } };
    },
    listUsers: async ({ principal, query }) =>
      ok(await identity().listUsers(principal, query.limit, query.cursor)),
    getUser: async ({ params }) => ok(await identity().getUser(params.id)),
    updateUser: async ({ params, body, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      return { ...ok(await identity().setRoles(params.id, body.roles, tx.audit)), audit: tx.answer() };
    },
    disableUser: async ({ params, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      return { ...ok(await identity().setDisabled(params.id, true, tx.audit)), audit: tx.answer() };
    },
    enableUser: async ({ params, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      return { ...ok(await identity().setDisabled(params.id, false, tx.audit)), audit: tx.answer() };
    },
    unlockUser: async ({ params, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      await identity().unlock(params.id, tx.audit);
      return { ...noContent(), audit: tx.answer() };
    },
    resetUserOtp: async ({ params, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      return { ...ok(await identity().resetOtp(params.id, tx.audit)), audit: tx.answer() };
    },
    deleteUser: async ({ params, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      await identity().deleteUser(params.id, tx.audit);
      return { ...noContent(), audit: tx.answer() };
    },
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
