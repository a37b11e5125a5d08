import { mapLimit } from './map-limit';
import type { Receipt } from './receipt';

/**
 * The audit export (docs/audit.md, "The export"): every sealed audit event as
 * one object `events/date=<YYYY-MM-DD of at>/<log index, 12 digits>.json`
 * holding one line of JSON, and every signed audit checkpoint those lines are
 * proven against as `checkpoints/<tree size, 12 digits>.txt`. Object keys are
 * functions of the event, so exporting an event again (a retried batch, an
 * erasure touching the item) writes the same key and never a second copy.
 */

/** One exported event: the log leaf with its inclusion proof, and the leaf's fields to query by. */
export interface ExportedEvent {
  readonly index: number;
  /** The audit log leaf, exactly (RFC 8785 JSON). */
  readonly entry: string;
  readonly treeSize: number;
  /** Base64 RFC 9162 inclusion proof of `entry` at `index` in the tree of `treeSize`. */
  readonly inclusionProof: readonly string[];
  readonly at: string;
  readonly action: string;
  readonly actor: string;
  readonly target: string;
  readonly outcome: string;
  readonly reason?: string;
  readonly changes?: Readonly<Record<string, { readonly from: unknown; readonly to: unknown }>>;
  readonly requestId: string;
}

/** The leaf fields an export line repeats for queries. */
export const DISPLAY_FIELDS = [
  'at',
  'action',
  'actor',
  'target',
  'outcome',
  'reason',
  'changes',
  'requestId',
] as const;

/** The fields of an export line, in order; nothing else (above all no `personal` or `salt`) may appear. */
export const EXPORT_FIELDS = ['index', 'entry', 'treeSize', 'inclusionProof', ...DISPLAY_FIELDS] as const;

export const EVENTS_PREFIX = 'events/';
export const CHECKPOINTS_PREFIX = 'checkpoints/';

const DIGITS = 12;
const pad = (n: number) => {
  if (!(Number.isSafeInteger(n) && n >= 0 && n < 10 ** DIGITS))
    throw new RangeError(`${n} is not exportable`);
  return String(n).padStart(DIGITS, '0');
};

const DAY = /^\d{4}-\d{2}-\d{2}/;

/** `events/date=<YYYY-MM-DD of at>/<index, 12 digits>.json`. */
export function eventKey(at: string, index: number): string {
  const day = DAY.exec(at)?.[0];
  if (!day) throw new RangeError(`${JSON.stringify(at)} is not an RFC 3339 time`);
  return `${EVENTS_PREFIX}date=${day}/${pad(index)}.json`;
}

/** `checkpoints/<tree size, 12 digits>.txt`. */
export const checkpointKey = (treeSize: number): string => `${CHECKPOINTS_PREFIX}${pad(treeSize)}.txt`;

export const EVENT_KEY = /^events\/date=(\d{4}-\d{2}-\d{2})\/(\d{12})\.json$/;
export const CHECKPOINT_KEY = /^checkpoints\/(\d{12})\.txt$/;

/** The audit log leaf as parsed (docs/audit.md, "The log leaf"). */
export interface AuditLeaf {
  readonly v: 1;
  readonly type: 'audit';
  readonly id: string;
  readonly at: string;
  readonly action: string;
  readonly actor: string;
  readonly target: string;
  readonly outcome: string;
  readonly reason?: string;
  readonly changes?: ExportedEvent['changes'];
  readonly requestId: string;
  readonly personal: string;
}

/** Parses an audit leaf, or says why it is not one. */
export function parseAuditLeaf(entry: string): AuditLeaf | string {
  let leaf: unknown;
  try {
    leaf = JSON.parse(entry);
  } catch {
    return 'the entry is not JSON';
  }
  if (typeof leaf !== 'object' || leaf === null || Array.isArray(leaf)) return 'the entry is not an object';
  const l = leaf as Record<string, unknown>;
  if (l.v !== 1 || l.type !== 'audit') return 'the entry is not a v1 audit event';
  for (const f of ['id', 'at', 'action', 'actor', 'target', 'outcome', 'requestId', 'personal'] as const) {
    if (typeof l[f] !== 'string') return `the entry has no ${f}`;
  }
  if (l.reason !== undefined && typeof l.reason !== 'string') return 'the entry reason is not a string';
  if (l.changes !== undefined && (typeof l.changes !== 'object' || l.changes === null))
    return 'the entry changes are not an object';
  return l as unknown as AuditLeaf;
}

/**
 * The export line of a sealed event: index, entry, tree size and proof from
 * its audit log receipt (so `entry` is exactly the log leaf), then the leaf's
 * own display fields. Built from the leaf, never from the stored item, so the
 * personal fields and the salt cannot reach it.
 */
export function exportedEvent(receipt: Pick<Receipt, 'entry' | 'index' | 'treeSize' | 'inclusionProof'>) {
  const leaf = parseAuditLeaf(receipt.entry);
  if (typeof leaf === 'string') throw new Error(`audit log entry ${receipt.index}: ${leaf}`);
  const event: ExportedEvent = {
    index: receipt.index,
    entry: receipt.entry,
    treeSize: receipt.treeSize,
    inclusionProof: [...receipt.inclusionProof],
    at: leaf.at,
    action: leaf.action,
    actor: leaf.actor,
    target: leaf.target,
    outcome: leaf.outcome,
    ...(leaf.reason === undefined ? {} : { reason: leaf.reason }),
    ...(leaf.changes === undefined ? {} : { changes: leaf.changes }),
    requestId: leaf.requestId,
  };
  return { id: leaf.id, key: eventKey(event.at, event.index), line: `${JSON.stringify(event)}\n`, event };
}

/** A sealed event as the stream shows it: its id, its log index and (to cross-check) its entry. */
export interface SealedAuditEvent {
  readonly id: string;
  readonly logIndex: number;
  readonly entry?: string;
}

/** What the export reads of a DynamoDB stream record (a structural subset of Lambda's). */
export interface AuditStreamRecord {
  readonly dynamodb?: {
    readonly NewImage?: Readonly<Record<string, { readonly S?: string; readonly N?: string }>>;
  };
}

const EVENT_PK = /^EVENT#(.+)$/;

/**
 * The sealed events of stream records (new images of the Audit table): those
 * with a `logIndex`. An event as recorded, before the integrator seals it, has
 * none and is skipped: the seal's update brings it back with its index.
 */
export function sealedAuditEvents(records: readonly AuditStreamRecord[]): SealedAuditEvent[] {
  const sealed: SealedAuditEvent[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    const id = EVENT_PK.exec(image?.pk?.S ?? '')?.[1];
    const logIndex = Number(image?.logIndex?.N ?? Number.NaN);
    if (!id || !Number.isSafeInteger(logIndex) || logIndex < 0) continue;
    const entry = image?.entry?.S;
    sealed.push({ id, logIndex, ...(entry === undefined ? {} : { entry }) });
  }
  return sealed;
}

/** Where the export writes (S3 in AWS and locally). */
export interface AuditExportSink {
  /** Writes (or rewrites) one object: the same key always gets the same kind of content. */
  put(key: string, body: string, contentType: string): Promise<void>;
}

export type ReceiptOf = (logIndex: number) => Promise<Receipt | undefined>;

export interface ExportResult {
  readonly events: number;
  readonly checkpoints: number;
}

/** Receipts fetched at once: each is a few reads of the log. */
const CONCURRENCY = 10;

/**
 * Writes sealed audit events to the export. For a batch: every receipt first,
 * then every checkpoint they are proven against, then the events, so that no
 * event object exists before its checkpoint does. Throws on any failure,
 * leaving the batch to be delivered again: what was written is rewritten
 * under the same keys, so a retry never duplicates an event.
 */
export class AuditExporter {
  constructor(
    private readonly receiptOf: ReceiptOf,
    private readonly sink: AuditExportSink,
  ) {}

  async export(events: readonly SealedAuditEvent[]): Promise<ExportResult> {
    // One object per index, whatever the number of stream records for it in the batch.
    const byIndex = new Map(events.map((e) => [e.logIndex, e]));
    const lines = await mapLimit([...byIndex.values()], CONCURRENCY, async (event) => {
      const receipt = await this.receiptOf(event.logIndex);
      if (!receipt) throw new Error(`audit event ${event.id} has no receipt at ${event.logIndex}`);
      const built = exportedEvent(receipt);
      // The log is the authority; an item whose index leads to another leaf is not exported quietly.
      if (built.id !== event.id || (event.entry !== undefined && event.entry !== receipt.entry)) {
        throw new Error(`audit log entry ${event.logIndex} is not the entry of event ${event.id}`);
      }
      return { ...built, checkpoint: receipt.checkpoint, treeSize: receipt.treeSize };
    });
    const checkpoints = new Map(lines.map((l) => [l.treeSize, l.checkpoint]));
    await Promise.all(
      [...checkpoints].map(([size, note]) =>
        this.sink.put(checkpointKey(size), note, 'text/plain; charset=utf-8'),
      ),
    );
    await mapLimit(lines, CONCURRENCY, (l) => this.sink.put(l.key, l.line, 'application/json'));
    return { events: lines.length, checkpoints: checkpoints.size };
  }
}
