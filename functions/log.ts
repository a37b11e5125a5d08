import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/results';
import { transparency } from '../shared/runtime/log';
import { maxBodyBytes } from '../shared/runtime/settings';

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
