import { S3AuditExport } from '../adapters/s3-audit-export';
import { AuditExporter } from '../core/audit-export';
import { auditExportBucket, resourceName } from '../tables';
import { auditTransparency } from './audit';
import { once } from './once';

/** Composition root of the audit export: receipts from the audit log, objects in the export bucket. */
export const auditExporter = /* @__PURE__ */ once(
  () =>
    new AuditExporter(
      async (logIndex) => (await auditTransparency()).receipt({ logIndex }),
      new S3AuditExport(undefined, resourceName(auditExportBucket)),
    ),
);
