import canonicalize from 'canonicalize';

/** What the log records for one notarization; no personal data (owner is an opaque id). */
export interface LogEntry {
  readonly v: 1;
  readonly id: string;
  readonly sha256: string;
  readonly receivedAt: string;
  readonly owner: string;
}

/** The leaf data: RFC 8785 (JCS) canonical JSON, so anyone can re-derive the exact bytes. */
export function entryBytes(entry: Omit<LogEntry, 'v'>): string {
  const text = canonicalize({
    v: 1,
    id: entry.id,
    sha256: entry.sha256,
    receivedAt: entry.receivedAt,
    owner: entry.owner,
  });
  if (text === undefined) throw new Error('entry is not serializable');
  return text;
}
