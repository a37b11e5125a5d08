import { httpHandler } from '../shared/http/handler';
import { created, ok } from '../shared/http/results';
import { transparency } from '../shared/runtime/log';
import { notary } from '../shared/runtime/notary';
import { maxBodyBytes } from '../shared/runtime/settings';

export const handler = httpHandler(
  'notarizations',
  {
    notarize: async ({ principal, body }) => {
      const { created: isNew, notarization } = await notary().notarize(principal, body);
      return isNew ? created(notarization) : ok(notarization);
    },
    listNotarizations: async ({ principal, query }) =>
      ok(await notary().list(principal, query.limit, query.cursor)),
    getNotarization: async ({ principal, params }) => ok(await notary().get(principal, params.id)),
    getReceipt: async ({ principal, params }) => {
      const receipt = await (await transparency()).receipt(await notary().get(principal, params.id));
      return receipt ? ok(receipt) : { status: 202, body: { status: 'pending' } };
    },
    verify: async ({ body }) => ok(await notary().verify(body.sha256)),
  },
  { maxBodyBytes },
);
