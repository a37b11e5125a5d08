import type { AuditStore, StoredAuditEvent } from '../ports/audit-store';
import type { Cursors } from './cursors';
import { StempelError } from './errors';
import type { Receipt } from './receipt';
import type { Principal } from './roles';

/** The longest time range one query may span. */
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

export interface AuditQuery {
  readonly from?: string;
  readonly to?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly limit: number;
  readonly cursor?: string;
  /** Add each sealed event's inclusion proof (its audit log receipt). */
  readonly proofs?: boolean;
}

/** An event as auditors see it: everything stored, its log position, and on request its proof. */
export type AuditEventView = Omit<StoredAuditEvent, 'salt' | 'personalHash'> & {
  readonly personalHash: string;
  readonly receipt?: Receipt;
};

/**
 * The auditors' view of the trail: events by time range and exact actor,
 * action or target, newest first, from indexes only, with sealed cursors
 * bound to the caller and the filters (an edited or borrowed cursor is 400).
 */
export class AuditReader {
  constructor(
    private readonly store: Pick<AuditStore, 'query'>,
    private readonly cursors: Cursors,
    private readonly receipt: (logIndex: number) => Promise<Receipt | undefined>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(principal: Principal, query: AuditQuery) {
    const to = query.to ?? this.now().toISOString();
    const from = query.from ?? new Date(Date.parse(to) - 7 * DAY_MS).toISOString();
    if (from > to) throw new StempelError('invalid', 'invalid_range', '`from` is after `to`.');
    if (Date.parse(to) - Date.parse(from) > MAX_RANGE_DAYS * DAY_MS)
      throw new StempelError('invalid', 'invalid_range', `A query spans at most ${MAX_RANGE_DAYS} days.`);
    const filter = {
      from,
      to,
      ...(query.actor ? { actor: query.actor } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.target ? { target: query.target } : {}),
    };
    // Bound to the query as asked: a default `to` (now) moves from page to page, the position does not.
    const binding = {
      listing: 'audit:events',
      caller: principal.userId,
      ...Object.fromEntries(
        (['from', 'to', 'actor', 'action', 'target'] as const).flatMap((k) =>
          query[k] ? [[k, query[k]]] : [],
        ),
      ),
    };
    const page = await this.store.query(filter, query.limit, await this.cursors.open(query.cursor, binding));
    const items = await Promise.all(
      page.items.map(async ({ salt: _salt, ...event }) => {
        const receipt =
          query.proofs && event.logIndex !== undefined ? await this.receipt(event.logIndex) : undefined;
        return receipt ? { ...event, receipt } : event;
      }),
    );
    return this.cursors.sealPage(
      { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      binding,
    );
  }
}
