import { httpHandler } from '../shared/http/handler';
import { noContent, ok } from '../shared/http/results';
import { identity, maxBodyBytes } from '../shared/runtime/services';

export const handler = httpHandler(
  'auth',
  {
    login: async ({ body }) => ok(await identity().login(body.username, body.password)),
    changePassword: async ({ principal, body }) => {
      await identity().changePassword(principal, body.currentPassword, body.newPassword);
      return noContent();
    },
    me: async ({ principal }) => ok(await identity().me(principal)),
  },
  { maxBodyBytes },
);
