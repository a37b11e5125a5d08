import { notarizationView } from '../shared/core/notary';
import { auditInTransaction } from '../shared/http/audit-transaction';
import { httpHandler } from '../shared/http/handler';
import { created, ok } from '../shared/http/results';
import { CERTIFICATE_PDF } from '../shared/http/routes';
import { auditTrail } from '../shared/runtime/audit';
import { certificatePdf } from '../shared/runtime/certificate';
import { uploads } from '../shared/runtime/files';
import { transparency } from '../shared/runtime/log';
import { notary } from '../shared/runtime/notary';
import { maxBodyBytes } from '../shared/runtime/settings';

export const handler = httpHandler(
  'notarizations',
  {
    notarize: async ({ principal, body, auditEvent }) => {
      const { uploadId, sha256, name, metadata } = body;
      // The notarization and its audit event are one transaction (an upload's rejection and its event too).
      const tx = auditInTransaction(auditEvent);
      const outcome = uploadId
        ? await uploads().notarize(principal, { uploadId, sha256, metadata }, tx.audit)
        : await notary().notarize(principal, { sha256: sha256 as string, name, metadata }, (id) =>
            tx.audit({ target: `notarization:${id}` }),
          );
      if ('verifying' in outcome)
        return {
          status: 202,
          body: { uploadId, status: 'verifying' },
          audit: { target: `upload:${uploadId}` },
        };
      const target = `notarization:${outcome.notarization.id}`;
      return {
        ...(outcome.created ? created : ok)(notarizationView(outcome.notarization)),
        // A repeat of a hash-only notarization writes nothing: the handler records its event.
        audit: uploadId || outcome.created ? tx.answer({ target }) : { target },
      };
    },
    createUpload: async ({ principal, body, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      const upload = await uploads().create(principal, body, tx.audit);
      return { ...created(upload), audit: tx.answer({ target: `upload:${upload.uploadId}` }) };
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
    getCertificate: async ({ principal, params }) => ({
      status: 200,
      body: await certificatePdf(principal, params.id),
      contentType: CERTIFICATE_PDF,
      headers: { 'Content-Disposition': `inline; filename="stempel-${params.id}.pdf"` },
    }),
    verify: async ({ body }) => ({
      ...ok(await notary().verify(body.sha256)),
      audit: { target: `sha256:${body.sha256.toLowerCase()}` },
    }),
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
