import { AUDIT_QUEUE, DynamoAuditStore } from '../adapters/dynamo-audit-store';
import { dynamoDocumentClient } from '../adapters/dynamo-client';
import { DynamoLogStore } from '../adapters/dynamo-log-store';
import { AuditReader } from '../core/audit-reader';
import { AuditTrail } from '../core/audit-trail';
import { Integrator } from '../core/integrator';
import { Transparency } from '../core/transparency';
import { auditTable, logTable, resourceName } from '../tables';
import { auditSigner, cursors } from './keys';
import { once } from './once';
import { auditLogOrigin, settings } from './settings';

/** Where every function group records its audit events (the Audit table; docs/audit.md). */
export const auditTrail = /* @__PURE__ */ once(() => new AuditTrail(new DynamoAuditStore()));

/** The audit log: tiles in the Log table under `audit/`, its queue in the Audit table. */
export const auditLogStore = /* @__PURE__ */ once(
  () =>
    new DynamoLogStore(
      'audit',
      dynamoDocumentClient(),
      resourceName(logTable),
      resourceName(auditTable),
      AUDIT_QUEUE,
    ),
);

export const auditIntegrator = /* @__PURE__ */ once(
  async () =>
    new Integrator(auditLogStore(), auditSigner(), {
      origin: await auditLogOrigin(),
      sealWindow: async () => {
        const { maxSealDelaySeconds, maxClockSkewSeconds } = await settings();
        return { maxDelaySeconds: maxSealDelaySeconds, maxSkewSeconds: maxClockSkewSeconds };
      },
    }),
);

export const auditTransparency = /* @__PURE__ */ once(
  async () => new Transparency(auditLogStore(), auditSigner(), await auditLogOrigin()),
);

/** Composition root of the audit function. */
export const auditReader = /* @__PURE__ */ once(
  () =>
    new AuditReader(new DynamoAuditStore(), cursors(), async (logIndex) =>
      (await auditTransparency()).receipt({ logIndex }),
    ),
);
