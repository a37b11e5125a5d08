import canonicalize from 'canonicalize';
import {
  type AuditLeaf,
  CHECKPOINT_KEY,
  CHECKPOINTS_PREFIX,
  DISPLAY_FIELDS,
  EVENT_KEY,
  EVENTS_PREFIX,
  EXPORT_FIELDS,
  eventKey,
  parseAuditLeaf,
} from './audit-export';
import { decodeCanonicalBase64 } from './base64';
import { type Checkpoint, openCheckpoint } from './checkpoint';
import { HASH_SIZE, type Hash, hashChildren, hashLeaf, splitPoint, verifyInclusion } from './merkle';
import { NoteError, parseVerifierKey } from './signed-note';

/**
 * Offline verification of an audit export (docs/audit.md, "The export"),
 * given its files and the audit log's verifier key:
 *
 * - every checkpoint is signed by the key (so all are of one log: the key's
 *   name is the origin) and its file name is its size;
 * - every event line parses, holds only the export's fields, its file name is
 *   its index and the day of its time, its entry is included at its index in
 *   the tree of its archived checkpoint, and its display fields are the
 *   entry's;
 * - no index between the first and the last exported is missing;
 * - where the events cover a checkpoint's whole tree (the export starts at 0),
 *   the root recomputed from their leaves is the signed root: that proves
 *   those checkpoints consistent with each other and the events complete.
 *
 * Copies of a valid event under another name, and events beyond every
 * archived checkpoint, are extra.
 */

export interface AuditExportProblem {
  readonly file: string;
  readonly index?: number;
  readonly reason: string;
}

export interface AuditExportReport {
  /** Event files that verified. */
  readonly events: number;
  /** Checkpoints that verified. */
  readonly checkpoints: number;
  /** The first and last index exported (of the events that verified). */
  readonly first?: number;
  readonly last?: number;
  readonly missing: readonly number[];
  readonly altered: readonly AuditExportProblem[];
  readonly extra: readonly AuditExportProblem[];
  readonly badCheckpoints: readonly AuditExportProblem[];
  /** What could not be checked, and why (not failures). */
  readonly notes: readonly string[];
  readonly ok: boolean;
}

interface Line {
  readonly index: number;
  readonly entry: string;
  readonly treeSize: number;
  readonly inclusionProof: readonly string[];
  readonly [field: string]: unknown;
}

const sameJson = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

/** Parses an export line, or says why it is malformed. */
function parseLine(text: string): Line | string {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return 'not a JSON object';
  const l = line as Record<string, unknown>;
  const foreign = Object.keys(l).filter((k) => !(EXPORT_FIELDS as readonly string[]).includes(k));
  if (foreign.length > 0) return `fields outside the export format: ${foreign.join(', ')}`;
  if (!Number.isSafeInteger(l.index) || (l.index as number) < 0) return 'no valid index';
  if (!Number.isSafeInteger(l.treeSize) || (l.treeSize as number) <= (l.index as number))
    return 'no valid treeSize';
  if (typeof l.entry !== 'string') return 'no entry';
  if (!Array.isArray(l.inclusionProof) || l.inclusionProof.some((h) => typeof h !== 'string'))
    return 'no valid inclusionProof';
  return l as unknown as Line;
}

/** The display fields the line repeats must be the leaf's, and nothing else. */
function displayMismatch(line: Line, leaf: AuditLeaf): string | undefined {
  const differ = DISPLAY_FIELDS.filter((f) => !sameJson(line[f], leaf[f]));
  return differ.length > 0 ? `${differ.join(', ')} differ from the log entry's` : undefined;
}

/** MTH of leaf hashes (RFC 9162 §2.1.1). */
function treeHash(leaves: readonly Hash[], start: number, end: number): Hash {
  if (end - start === 1) return leaves[start] as Hash;
  const k = splitPoint(end - start);
  return hashChildren(treeHash(leaves, start, start + k), treeHash(leaves, start + k, end));
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export function verifyAuditExport(
  files: ReadonlyMap<string, string>,
  verifierKey: string,
): AuditExportReport {
  const key = parseVerifierKey(verifierKey);
  const altered: AuditExportProblem[] = [];
  const extra: AuditExportProblem[] = [];
  const badCheckpoints: AuditExportProblem[] = [];
  const notes: string[] = [];

  // Checkpoints, by size.
  const checkpoints = new Map<number, Checkpoint & { file: string }>();
  const badSizes = new Map<number, string>();
  for (const [file, text] of files) {
    if (!file.startsWith(CHECKPOINTS_PREFIX)) continue;
    const m = CHECKPOINT_KEY.exec(file);
    if (!m) {
      extra.push({ file, reason: 'not a checkpoint file name (checkpoints/<12 digits>.txt)' });
      continue;
    }
    const named = Number(m[1]);
    try {
      const checkpoint = openCheckpoint(text, key);
      if (checkpoint.size !== named) throw new NoteError(`its tree size is ${checkpoint.size}, not ${named}`);
      checkpoints.set(named, { ...checkpoint, file });
    } catch (err) {
      if (!(err instanceof NoteError)) throw err;
      badCheckpoints.push({ file, reason: err.message });
      badSizes.set(named, err.message);
    }
  }
  const largest = Math.max(0, ...checkpoints.keys());

  // Event files: each either a valid event under its own name, a valid event under another name, or not valid.
  interface Checked {
    readonly file: string;
    readonly nameIndex: number;
    readonly nameDay: string;
    readonly line?: Line;
    readonly problem?: string;
    readonly beyond?: boolean;
  }
  const checked: Checked[] = [];
  const missingCheckpoints = new Map<number, string[]>();
  for (const [file, text] of files) {
    if (file.startsWith(CHECKPOINTS_PREFIX)) continue;
    const m = EVENT_KEY.exec(file);
    if (!m) {
      extra.push({
        file,
        reason: file.startsWith(EVENTS_PREFIX)
          ? 'not an event file name (events/date=YYYY-MM-DD/<12 digits>.json)'
          : 'not part of the export format',
      });
      continue;
    }
    const nameDay = m[1] as string;
    const nameIndex = Number(m[2]);
    const line = parseLine(text);
    if (typeof line === 'string') {
      checked.push({ file, nameIndex, nameDay, problem: line });
      continue;
    }
    const checkpoint = checkpoints.get(line.treeSize);
    if (!checkpoint) {
      if (line.index >= largest && !badSizes.has(line.treeSize)) {
        checked.push({ file, nameIndex, nameDay, line, beyond: true });
        continue;
      }
      const bad = badSizes.get(line.treeSize);
      if (!bad)
        missingCheckpoints.set(line.treeSize, [...(missingCheckpoints.get(line.treeSize) ?? []), file]);
      checked.push({
        file,
        nameIndex,
        nameDay,
        problem: `cannot be proven: its checkpoint of tree size ${line.treeSize} is ${bad ? 'bad' : 'not in the export'}`,
      });
      continue;
    }
    const proof = line.inclusionProof.map((h) => decodeCanonicalBase64(h, HASH_SIZE));
    const leafHash = hashLeaf(new TextEncoder().encode(line.entry));
    if (
      proof.some((h) => h === undefined) ||
      !verifyInclusion(line.index, line.treeSize, leafHash, proof as Hash[], checkpoint.rootHash)
    ) {
      checked.push({
        file,
        nameIndex,
        nameDay,
        problem: `its entry is not at index ${line.index} of the signed tree of size ${line.treeSize}`,
      });
      continue;
    }
    const leaf = parseAuditLeaf(line.entry);
    const problem =
      typeof leaf === 'string'
        ? leaf
        : canonicalize(JSON.parse(line.entry)) !== line.entry
          ? 'the entry is not RFC 8785 canonical JSON'
          : displayMismatch(line, leaf);
    checked.push({ file, nameIndex, nameDay, line, ...(problem ? { problem } : {}) });
  }
  for (const [size, referring] of missingCheckpoints) {
    badCheckpoints.push({
      file: `checkpoints/${String(size).padStart(12, '0')}.txt`,
      reason: `missing, yet ${referring.length} event file(s) are proven against it (${referring.slice(0, 3).join(', ')}${referring.length > 3 ? ', …' : ''})`,
    });
  }

  // Valid content under its own name is the event; valid content elsewhere is a copy (extra) or misplaced (altered).
  const good = new Map<number, { file: string; entry: string }>();
  for (const c of checked) {
    if (c.line && !c.problem && !c.beyond && c.file === eventKey(c.line.at as string, c.line.index)) {
      if (!good.has(c.line.index)) good.set(c.line.index, { file: c.file, entry: c.line.entry });
    }
  }
  for (const c of checked) {
    if (good.get(c.nameIndex)?.file === c.file) continue;
    if (c.beyond) {
      extra.push({
        file: c.file,
        index: c.nameIndex,
        reason: `beyond every archived checkpoint (the largest has tree size ${largest})`,
      });
    } else if (c.problem) {
      altered.push({ file: c.file, index: c.nameIndex, reason: c.problem });
    } else if (c.line && good.has(c.line.index)) {
      extra.push({ file: c.file, index: c.nameIndex, reason: `a copy of event ${c.line.index}` });
    } else if (c.line) {
      const named = `index ${c.nameIndex} of ${c.nameDay}`;
      altered.push({
        file: c.file,
        index: c.nameIndex,
        reason: `its name says ${named}, its content is event ${c.line.index} of ${(c.line.at as string).slice(0, 10)}`,
      });
    }
  }

  // Completeness between the first and the last verified event.
  const indices = [...good.keys()].sort((a, b) => a - b);
  const first = indices[0];
  const last = indices.at(-1);
  const named = new Set(checked.map((c) => c.nameIndex));
  const missing: number[] = [];
  if (first !== undefined && last !== undefined) {
    for (let i = first; i <= last; i++) if (!good.has(i) && !named.has(i)) missing.push(i);
    if (largest > last + 1) {
      notes.push(
        `indices ${last + 1}..${largest - 1} are in checkpoint ${largest} but not in the export (not exported yet, or removed)`,
      );
    }
  }

  // Roots recomputed from the leaves, where the export holds a checkpoint's whole tree.
  if (first === 0 && last !== undefined) {
    let complete = 0;
    while (good.has(complete)) complete++;
    const leaves = Array.from({ length: complete }, (_, i) =>
      hashLeaf(new TextEncoder().encode(good.get(i)?.entry)),
    );
    const uncovered: number[] = [];
    for (const [size, checkpoint] of [...checkpoints].sort(([a], [b]) => a - b)) {
      if (size > complete) {
        uncovered.push(size);
        continue;
      }
      if (!equal(treeHash(leaves, 0, size), checkpoint.rootHash)) {
        badCheckpoints.push({
          file: checkpoint.file,
          reason: `its root is not the root of exported events 0..${size - 1}: not consistent with the other checkpoints`,
        });
      }
    }
    if (uncovered.length > 0) {
      notes.push(
        `checkpoint(s) ${uncovered.join(', ')} cover indices the export lacks: their roots were not recomputed`,
      );
    }
  } else if (first !== undefined && checkpoints.size > 1) {
    notes.push(
      `the export starts at index ${first}, not 0: the roots cannot be recomputed, so the consistency of the ${checkpoints.size} checkpoints with each other is not checked (stempel log check does, from the tiles)`,
    );
  }

  const report = {
    events: good.size,
    checkpoints: checkpoints.size,
    ...(first === undefined ? {} : { first, last }),
    missing,
    altered,
    extra,
    badCheckpoints,
    notes,
  };
  return {
    ...report,
    ok: missing.length + altered.length + extra.length + badCheckpoints.length === 0,
  };
}

/** The report as the CLI prints it: OK with counts, or one FAILED line per problem. */
export function formatAuditExportReport(report: AuditExportReport): string[] {
  const lines: string[] = [];
  const range = report.first === undefined ? 'no events' : `indices ${report.first}..${report.last}`;
  for (const i of report.missing) lines.push(`FAILED: missing event ${i}`);
  for (const p of report.altered) lines.push(`FAILED: altered event ${p.index} (${p.file}): ${p.reason}`);
  for (const p of report.extra) lines.push(`FAILED: extra file ${p.file}: ${p.reason}`);
  for (const p of report.badCheckpoints) lines.push(`FAILED: bad checkpoint ${p.file}: ${p.reason}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (report.ok)
    lines.unshift(`OK: ${report.events} events (${range}) against ${report.checkpoints} signed checkpoints`);
  else
    lines.push(
      `${report.missing.length + report.altered.length + report.extra.length + report.badCheckpoints.length} problem(s); ${report.events} events verified (${range}), ${report.checkpoints} checkpoints`,
    );
  return lines;
}
