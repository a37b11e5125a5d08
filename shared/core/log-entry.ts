import canonicalize from 'canonicalize';

/** What the log records for one notarization; no personal data (owner is an opaque id). */
export interface NotarizationEntry {
  readonly v: 1;
  readonly id: string;
  readonly sha256: string;
  readonly receivedAt: string;
  readonly owner: string;
}

/**
 * What the log records for one RFC 3161 token the TSA issued: `sha256` is the
 * token's (the DER TimeStampToken), `receivedAt` its genTime, `serial` its
 * serial number in lower-case hex. Anyone holding a token can find it in the
 * log, and anyone reading the log can list every token and when it was made.
 */
export interface TimestampEntry extends NotarizationEntry {
  readonly type: 'timestamp';
  readonly serial: string;
}

export type LogEntry = NotarizationEntry | TimestampEntry;

/** What an entry is made from (the version is implied). */
export type EntryFields =
  | Omit<NotarizationEntry, 'v'>
  | (Omit<NotarizationEntry, 'v'> & { readonly timestamp?: { readonly serial: string } });

/** The leaf data: RFC 8785 (JCS) canonical JSON, so anyone can re-derive the exact bytes. */
export function entryBytes(entry: EntryFields): string {
  const timestamp = 'timestamp' in entry ? entry.timestamp : undefined;
  const text = canonicalize({
    v: 1,
    id: entry.id,
    sha256: entry.sha256,
    receivedAt: entry.receivedAt,
    owner: entry.owner,
    ...(timestamp ? { type: 'timestamp', serial: timestamp.serial } : {}),
  });
  if (text === undefined) throw new Error('entry is not serializable');
  return text;
}
