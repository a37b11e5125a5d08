import type { AuditStore } from '../ports/audit-store';
import { type AuditEvent, type AuditInput, newAuditEvent } from './audit-event';

/** Records audit events: each a new item of the Audit table, queued for the audit log. */
export class AuditTrail {
  constructor(
    private readonly store: Pick<AuditStore, 'record' | 'erasePersonal'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(input: AuditInput): Promise<AuditEvent> {
    const event = newAuditEvent(input, this.now());
    await this.store.record(event);
    return event;
  }

  /**
   * Erases a person's personal fields (IP, user agent, usernames) and their
   * salts from every event that names them as actor or target. The log keeps
   * each event's salted hash, so every proof still holds, and without the salt
   * the hash cannot be tested against a guess.
   */
  async erase(userId: string): Promise<{ readonly userId: string; readonly erased: number }> {
    return { userId, erased: await this.store.erasePersonal(userId) };
  }
}
