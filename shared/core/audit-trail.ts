import type { AuditStore } from '../ports/audit-store';
import { type AuditEvent, type AuditInput, newAuditEvent } from './audit-event';

/** Records audit events: each a new item of the Audit table, queued for the audit log. */
export class AuditTrail {
  constructor(
    private readonly store: Pick<AuditStore, 'record'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(input: AuditInput): Promise<AuditEvent> {
    const event = newAuditEvent(input, this.now());
    await this.store.record(event);
    return event;
  }
}
