import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { maxBodyBytes } from '../shared/runtime/settings';
import { identity } from '../shared/runtime/users';

export const handler = httpHandler(
  'users',
  {
    createUser: async ({ body, auditEvent }) => {
      // The user and the audit event of their creation are one transaction.
      const changes = { roles: { from: [], to: [...new Set(body.roles)].sort() } };
      let recorded: string | undefined;
      const answer = await identity().createUser(body, (id) => {
        const event = auditEvent({ target: `user:${id}`, changes });
        recorded = event?.id;
        return event;
      });
      return { ...created(answer), audit: { target: `user:${answer.user.id}`, changes, recorded } };
    },
    listUsers: async ({ principal, query }) =>
      ok(await identity().listUsers(principal, query.limit, query.cursor)),
    getUser: async ({ params }) => ok(await identity().getUser(params.id)),
    updateUser: async ({ params, body }) => {
      const before = await identity().getUser(params.id);
      const after = await identity().setRoles(params.id, body.roles);
      return { ...ok(after), audit: { changes: { roles: { from: before.roles, to: after.roles } } } };
    },
    disableUser: async ({ params }) => ({
      ...ok(await identity().setDisabled(params.id, true)),
      audit: { changes: { disabled: { from: false, to: true } } },
    }),
    enableUser: async ({ params }) => ({
      ...ok(await identity().setDisabled(params.id, false)),
      audit: { changes: { disabled: { from: true, to: false } } },
    }),
    unlockUser: async ({ params }) => {
      await identity().unlock(params.id);
      return noContent();
    },
    resetUserOtp: async ({ params }) => ok(await identity().resetOtp(params.id)),
    deleteUser: async ({ params }) => {
      await identity().deleteUser(params.id);
      return noContent();
    },
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
