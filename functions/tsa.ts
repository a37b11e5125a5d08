import { type HttpResult, httpHandler } from '../shared/http/handler';
import { TIMESTAMP_REPLY } from '../shared/http/routes';
import { auditTrail } from '../shared/runtime/audit';
import { maxBodyBytes } from '../shared/runtime/settings';
import { timeStampAuthority, tsaSigner } from '../shared/runtime/tsa';

const reply = ({ response, entryId }: { response: Uint8Array; entryId?: string }): HttpResult => ({
  status: 200,
  body: response,
  contentType: TIMESTAMP_REPLY,
  ...(entryId
    ? { headers: { 'Stempel-Log-Entry': entryId }, audit: { target: `notarization:${entryId}` } }
    : {}),
});

const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;

export const handler = httpHandler(
  'tsa',
  {
    timestamp: async ({ principal, body }) => reply(await timeStampAuthority().stamp(principal, body)),
    getTimestamp: async ({ principal, params }) => ({
      ...reply(await timeStampAuthority().forNotarization(principal, params.id)),
      audit: { target: `notarization:${params.id}` },
    }),
    tsaCertificates: async () => ({
      status: 200,
      body: (await tsaSigner().certificateChain()).map(pem).join(''),
      contentType: 'application/pem-certificate-chain',
    }),
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
