import { notarizationView } from '../shared/core/notary';
import { httpHandler } from '../shared/http/handler';
import { created, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { uploads } from '../shared/runtime/files';
import { transparency } from '../shared/runtime/log';
import { notary } from '../shared/runtime/notary';
import { maxBodyBytes } from '../shared/runtime/settings';

export const handler = httpHandler(
  'notarizations',
  {
    notarize: async ({ principal, body, auditEvent }) => {
      const { uploadId, sha256, name, metadata } = body;
      // A hash-only notarization and its audit event are one transaction.
      let recorded: string | undefined;
      const audit = (id: string) => {
        const event = auditEvent({ target: `notarization:${id}` });
        recorded = event?.id;
        return event;
      };
      const outcome = uploadId
        ? await uploads().notarize(principal, { uploadId, sha256, metadata })
        : await notary().notarize(principal, { sha256: sha256 as string, name, metadata }, audit);
      if ('verifying' in outcome)
        return {
          status: 202,
          body: { uploadId, status: 'verifying' },
          audit: { target: `upload:${uploadId}` },
        };
      return {
        ...(outcome.created ? created : ok)(notarizationView(outcome.notarization)),
        audit: {
          target: `notarization:${outcome.notarization.id}`,
          // Written with the notarization; a repeat (nothing created) is recorded by the handler.
          ...(outcome.created && recorded ? { recorded } : {}),
        },
      };
    },
    createUpload: async ({ principal, body }) => {
      const upload = await uploads().create(principal, body);
      return { ...created(upload), audit: { target: `upload:${upload.uploadId}` } };
    },
    listNotarizations: async ({ principal, query }) => {
      const page = await notary().list(principal, query.limit, query.cursor);
      return ok({ ...page, items: page.items.map(notarizationView) });
    },
    getNotarization: async ({ principal, params }) =>
      ok(notarizationView(await notary().get(principal, params.id))),
    getFile: async ({ principal, params }) => ok(await uploads().download(principal, params.id)),
    getReceipt: async ({ principal, params }) => {
      const receipt = await (await transparency()).receipt(await notary().get(principal, params.id));
      return receipt ? ok(receipt) : { status: 202, body: { status: 'pending' } };
    },
    verify: async ({ body }) => ({
      ...ok(await notary().verify(body.sha256)),
      audit: { target: `sha256:${body.sha256.toLowerCase()}` },
    }),
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
