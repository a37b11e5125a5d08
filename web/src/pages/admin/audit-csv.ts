import { stringify } from 'csv-stringify/browser/esm/sync';
import { type AuditEvent, type AuditFilter, auditEvents } from './api';

// One column per field of an event; personal fields are empty once erased.
const COLUMNS = [
  'id',
  'at',
  'action',
  'actor',
  'target',
  'outcome',
  'reason',
  'requestId',
  'logIndex',
  'sealedAt',
  'erasedAt',
  'changes',
  'sourceIp',
  'userAgent',
  'usernames',
] as const;

type Row = Record<(typeof COLUMNS)[number], string | number | undefined>;

const toRow = (event: AuditEvent): Row => ({
  id: event.id,
  at: event.at,
  action: event.action,
  actor: event.actor,
  target: event.target,
  outcome: event.outcome,
  reason: event.reason,
  requestId: event.requestId,
  logIndex: event.logIndex,
  sealedAt: event.sealedAt,
  erasedAt: event.erasedAt,
  changes: event.changes && JSON.stringify(event.changes),
  sourceIp: event.personal?.sourceIp,
  userAgent: event.personal?.userAgent,
  usernames: event.personal?.usernames?.join(' '),
});

/**
 * RFC 4180 text of one page of events; the header row on the first page only,
 * so pages concatenate. Cells a spreadsheet would run as formulas are
 * prefixed with ' (escape_formulas, OWASP "CSV injection").
 */
export const auditCsvPage = (events: readonly AuditEvent[], first: boolean): string =>
  stringify(events.map(toRow), {
    header: first,
    columns: [...COLUMNS],
    escape_formulas: true,
    record_delimiter: 'windows',
  });

/**
 * Every event matching `filter`, page by page (100 a page), each page turned
 * into CSV as it arrives, so only the text is kept, never all the events.
 */
export async function exportAuditCsv(
  filter: AuditFilter,
  onProgress: (events: number, pages: number) => void,
  signal: AbortSignal,
): Promise<Blob> {
  const parts: string[] = [];
  let cursor: string | undefined;
  let events = 0;
  let pages = 0;
  do {
    const page = await auditEvents(filter, cursor, 100, signal);
    // A filtered page may be empty while more follow; the header still goes first.
    if (pages === 0 || page.items.length > 0) parts.push(auditCsvPage(page.items, pages === 0));
    pages += 1;
    events += page.items.length;
    onProgress(events, pages);
    cursor = page.nextCursor;
  } while (cursor);
  return new Blob(parts, { type: 'text/csv;charset=utf-8' });
}
