import type { StampOutcome } from '../shared/core/timestamp-authority';
import { type HttpResult, httpHandler } from '../shared/http/handler';
import { TIMESTAMP_REPLY } from '../shared/http/routes';
import { auditTrail } from '../shared/runtime/audit';
import { maxBodyBytes } from '../shared/runtime/settings';
import { timeStampAuthority, tsaSigner } from '../shared/runtime/tsa';

/** The reply; when this call issued the token, its audit event was written with the token's entry. */
const reply = (
  outcome: StampOutcome,
  target: string | undefined,
  recorded: string | undefined,
): HttpResult => ({
  status: 200,
  body: outcome.response,
  contentType: TIMESTAMP_REPLY,
  ...(outcome.entryId ? { headers: { 'Stempel-Log-Entry': outcome.entryId } } : {}),
  ...(target ? { audit: { target, ...(outcome.issued && recorded ? { recorded } : {}) } } : {}),
});

const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;

export const handler = httpHandler(
  'tsa',
  {
    timestamp: async ({ principal, body, auditEvent }) => {
      let recorded: string | undefined;
      const outcome = await timeStampAuthority().stamp(principal, body, (entryId) => {
        const event = auditEvent({ target: `notarization:${entryId}` });
        recorded = event?.id;
        return event;
      });
      return reply(outcome, outcome.entryId && `notarization:${outcome.entryId}`, recorded);
    },
    getTimestamp: async ({ principal, params, auditEvent }) => {
      const target = `notarization:${params.id}`;
      let recorded: string | undefined;
      const outcome = await timeStampAuthority().forNotarization(principal, params.id, () => {
        const event = auditEvent({ target });
        recorded = event?.id;
        return event;
      });
      return reply(outcome, target, recorded);
    },
    tsaCertificates: async () => ({
      status: 200,
      body: (await tsaSigner().certificateChain()).map(pem).join(''),
      contentType: 'application/pem-certificate-chain',
    }),
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
