import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/results';
import { maxBodyBytes } from '../shared/runtime/settings';
import { identity } from '../shared/runtime/users';

export const handler = httpHandler(
  'users',
  {
    createUser: async ({ body }) => created(await identity().createUser(body)),
    listUsers: async ({ principal, query }) =>
      ok(await identity().listUsers(principal, query.limit, query.cursor)),
    getUser: async ({ params }) => ok(await identity().getUser(params.id)),
    updateUser: async ({ params, body }) => ok(await identity().setRoles(params.id, body.roles)),
    disableUser: async ({ params }) => ok(await identity().setDisabled(params.id, true)),
    enableUser: async ({ params }) => ok(await identity().setDisabled(params.id, false)),
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
  { maxBodyBytes },
);
