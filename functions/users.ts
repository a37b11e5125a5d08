import { httpHandler } from '../shared/http/handler';
import { created, ok } from '../shared/http/results';
import { identity, maxBodyBytes } from '../shared/runtime/services';

export const handler = httpHandler(
  'users',
  {
    createUser: async ({ body }) => created(await identity().createUser(body)),
    listUsers: async ({ query }) => ok(await identity().listUsers(query.limit, query.cursor)),
    getUser: async ({ params }) => ok(await identity().getUser(params.id)),
  },
  { maxBodyBytes },
);
