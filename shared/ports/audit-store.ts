import type { AuditEvent } from '../core/audit-event';
import type { Page } from './page';

/** An event with its place in the audit log, once sealed. */
export type StoredAuditEvent = AuditEvent & { readonly logIndex?: number; readonly sealedAt?: string };

/** Which events: a time range (inclusive, RFC 3339) and optional exact matches. */
export interface AuditFilter {
  readonly from: string;
  readonly to: string;
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
}

export interface AuditStore {
  /**
   * Stores a new event, queued for the audit log; false (writing nothing) when
   * an event with its id is stored already, as when a retry records it again.
   */
  record(event: AuditEvent): Promise<boolean>;
  get(id: string): Promise<StoredAuditEvent | undefined>;
  /** Newest first, from an index (never a scan); a page may hold fewer than `limit` when filters apply. */
  query(filter: AuditFilter, limit: number, position?: string): Promise<Page<StoredAuditEvent>>;
  /**
   * Removes the personal fields and the salt of every event whose actor or
   * target is this user; the events, their hashes and the log stay. The number erased.
   */
  erasePersonal(userId: string): Promise<number>;
}
