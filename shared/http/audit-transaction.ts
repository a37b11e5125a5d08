import type { AuditEvent, AuditFor } from '../core/audit-event';
import type { AuditDetails } from './handler';

/**
 * For an operation whose store writes the call's audit event in the same
 * transaction as the change: `audit` builds the event (with `fixed` details
 * the operation knows up front), and `answer` tells the handler that the
 * event is recorded, so it records nothing more. Only the last event built is
 * the one written: a store that tries again builds it again.
 */
export function auditInTransaction(
  auditEvent: (details?: AuditDetails) => AuditEvent | undefined,
  fixed: AuditDetails = {},
) {
  let recorded: AuditEvent | undefined;
  const audit: AuditFor = (details = {}) => {
    recorded = auditEvent({ ...details, ...fixed });
    return recorded;
  };
  return {
    audit,
    answer: (more: AuditDetails = {}): AuditDetails => ({
      ...fixed,
      ...more,
      ...(recorded ? { recorded: recorded.id } : {}),
    }),
  };
}
