import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/results';
import { maxBodyBytes, transparency } from '../shared/runtime/services';

export const handler = httpHandler(
  'log',
  {
    checkpoint: async () => ({
      status: 200,
      body: await (await transparency()).checkpoint(),
      contentType: 'text/plain; charset=utf-8',
    }),
    logKey: async () => ok(await (await transparency()).key()),
    consistency: async ({ query }) => ok(await (await transparency()).consistency(query.from, query.to)),
  },
  { maxBodyBytes },
);
