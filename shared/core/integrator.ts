import type { LogPosition, LogStore, PendingNotarization, SealRange, TreeHead } from '../ports/log-store';
import type { Signer } from '../ports/signer';
import { signCheckpoint } from './checkpoint';
import { entryBytes } from './log-entry';
import { emptyRoot, hashLeaf } from './merkle';
import { appendToBundles, appendToTiles, tileKey } from './tile-log';
import { parseEntryBundle, rootFromTiles, TILE_WIDTH, tilesForRoot } from './tiles';

export interface IntegrationResult {
  /** Entries this run appended to the log. */
  readonly sealed: number;
  readonly treeSize: number;
  /** Batches lost to a concurrent integrator (retried). */
  readonly conflicts: number;
  /** The queue listed only entries that are in the log already: its index lags behind (retried). */
  readonly lagging?: boolean;
  /** Entries refused for a recorded time out of range (taken off the queue, never sealed). */
  readonly quarantined: number;
  /**
   * Seconds the oldest pending entry had waited when the run (or batch) first
   * read the queue; 0 when nothing was pending. Alarmed as the integration lag.
   */
  readonly oldestPendingSeconds: number;
}

export interface IntegratorOptions {
  readonly origin: string;
  /** Entries per batch at most. */
  readonly maxBatch?: number;
  /**
   * The recorded times the integrator accepts: entries older than
   * `maxDelaySeconds` or more than `maxSkewSeconds` in the future are
   * quarantined instead of sealed, so a row written behind the API's back
   * cannot buy a past (or future) date. Without it every time is accepted.
   */
  readonly sealWindow?: () => Promise<{ readonly maxDelaySeconds: number; readonly maxSkewSeconds: number }>;
  /**
   * Told about every range once it is sealed (its notarizations carry their
   * index): the live channel pushes it (docs/live.md). It reports its own
   * failures; whatever it throws is ignored, so announcing never fails a seal.
   */
  readonly onSealed?: (range: { readonly start: number; readonly end: number }) => Promise<void>;
  readonly now?: () => Date;
}

/** A batch touches a handful of tiles whatever its size; this keeps its transaction far below 4 MB. */
const MAX_BATCH = 4096;
const DEFAULT_BATCH = 1024;

const MAX_LAGGING_ROUNDS = 10;
const LAGGING_PAUSE_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Moves pending notarizations into the log, one signed checkpoint per batch,
 * in two steps as Tessera separates sequencing from integration:
 *
 * 1. Commit: the batch's tiles, entry bundles and the new head, in one
 *    transaction guarded by the head's size. The head also lists the batch as
 *    an unsealed range. A batch of hundreds of entries is a few writes.
 * 2. Seal: every notarization of the range gets its index (idempotent
 *    conditional updates), then the range leaves the head.
 *
 * Every run first finishes the unsealed ranges it finds, and takes a queued
 * notarization only if a consistent read shows it has no index, so an entry
 * lands exactly once: a notarization without an index is either outside the
 * log or in an unsealed range, which has been sealed by then. Safe to run
 * concurrently and repeatedly; a crash anywhere leaves a state the next run
 * completes.
 */
export class Integrator {
  private readonly maxBatch: number;
  /** Ranges this instance committed and is marking sealed in the background, by start. */
  private readonly marking = new Map<number, { ids: ReadonlySet<string>; done: Promise<void> }>();

  constructor(
    private readonly store: LogStore,
    private readonly signer: Signer,
    private readonly options: IntegratorOptions,
  ) {
    this.maxBatch = Math.max(1, Math.min(options.maxBatch ?? DEFAULT_BATCH, MAX_BATCH));
  }

  /**
   * Publishes the signed checkpoint of the empty log (size 0, root SHA-256 of
   * nothing, RFC 9162 §2.1.1) if the log has no head yet, so that a witness
   * can start from it. Idempotent: a log that has a head is left alone.
   */
  async initialize(): Promise<boolean> {
    if (await this.store.head()) return false;
    const empty = { origin: this.options.origin, size: 0, rootHash: emptyRoot() };
    return this.store.initialize({ ...empty, checkpoint: await signCheckpoint(empty, this.signer) });
  }

  /**
   * Initializes the log if needed, then integrates until nothing is pending
   * or `deadline` (epoch ms) passes. Returns once every range it committed is
   * marked sealed.
   */
  async drain(deadline = Number.POSITIVE_INFINITY): Promise<IntegrationResult> {
    await this.initialize();
    let sealed = 0;
    let conflicts = 0;
    let quarantined = 0;
    let treeSize = (await this.store.head())?.size ?? 0;
    let lagging = 0;
    let oldestPendingSeconds: number | undefined;
    try {
      while (Date.now() < deadline) {
        const step = await this.integrateBatch();
        // The queue as the run found it: later batches only see what is left.
        oldestPendingSeconds ??= step.oldestPendingSeconds;
        treeSize = step.treeSize;
        conflicts += step.conflicts;
        sealed += step.sealed;
        quarantined += step.quarantined;
        // Right after a large batch the queue's index may still list it, hiding newer entries behind it.
        if (step.lagging && lagging++ < MAX_LAGGING_ROUNDS) await sleep(LAGGING_PAUSE_MS);
        else if (step.sealed === 0 && step.conflicts === 0 && step.quarantined === 0) break;
      }
    } finally {
      await this.settle();
    }
    return { sealed, treeSize, conflicts, quarantined, oldestPendingSeconds: oldestPendingSeconds ?? 0 };
  }

  /** Waits for the background marking of every range this instance committed; rethrows its first failure. */
  async settle(): Promise<void> {
    const outcomes = await Promise.allSettled([...this.marking.values()].map((m) => m.done));
    this.marking.clear();
    const failed = outcomes.find((o) => o.status === 'rejected');
    // A range whose marking failed stays in the head's unsealed list: the next run finishes it.
    if (failed) throw failed.reason;
  }

  /**
   * One attempt at one batch, after finishing any range another run left
   * unsealed. The batch's marking runs in the background while the next batch
   * is built (its entries are kept out of that batch); `settle` awaits it.
   */
  async integrateBatch(): Promise<IntegrationResult> {
    const head = await this.store.head();
    this.checkOrigin(head);
    const size = head?.size ?? 0;
    // Ranges this instance is marking are left to it; their entries are kept out of the batch below.
    for (const range of head?.unsealed ?? []) if (!this.marking.has(range.start)) await this.seal(range);
    const inFlight = new Set([...this.marking.values()].flatMap((m) => [...m.ids]));

    const queued = (await this.store.pending(this.maxBatch + inFlight.size)).filter(
      (n) => !inFlight.has(n.id),
    );
    const indexed = queued.length > 0 ? await this.store.indexed(queued.map((n) => n.id)) : new Set();
    const candidates = queued.filter((n) => !indexed.has(n.id)).slice(0, this.maxBatch);
    // Oldest first: the entries a lagging index still lists although they are in the log do not count.
    const oldestPendingSeconds = this.ageInSeconds(candidates);
    const refused = await this.outOfWindow(candidates);
    if (refused.length > 0) await this.store.quarantine(refused, this.now().toISOString());
    const refusedIds = new Set(refused.map((r) => r.id));
    const batch = candidates.filter((n) => !refusedIds.has(n.id));
    const quarantined = refused.length;
    if (batch.length === 0)
      return {
        sealed: 0,
        treeSize: size,
        conflicts: 0,
        quarantined,
        lagging: queued.length > 0 && quarantined === 0,
        oldestPendingSeconds,
      };

    const range: SealRange = { start: size, end: size + batch.length, sealedAt: this.now().toISOString() };
    const outcome = await this.commit(range, batch);
    if (outcome === 'head_moved')
      return { sealed: 0, treeSize: size, conflicts: 1, quarantined, oldestPendingSeconds };
    const positions = batch.map((n, i) => ({ notarizationId: n.id, index: size + i }));
    const done = this.seal(range, positions).then(() => {
      this.marking.delete(range.start);
    });
    done.catch(() => undefined); // a failure is rethrown by the next batch or by settle()
    this.marking.set(range.start, { ids: new Set(batch.map((n) => n.id)), done });
    return { sealed: batch.length, treeSize: range.end, conflicts: 0, quarantined, oldestPendingSeconds };
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The entries whose recorded time is outside the seal window, with the reason. */
  /** Whole seconds since the earliest recorded time among these entries (unparseable times ignored); 0 if none. */
  private ageInSeconds(entries: readonly PendingNotarization[]): number {
    const times = entries.map((n) => Date.parse(n.receivedAt)).filter((t) => !Number.isNaN(t));
    if (times.length === 0) return 0;
    return Math.max(0, Math.floor((this.now().getTime() - Math.min(...times)) / 1000));
  }

  private async outOfWindow(entries: readonly PendingNotarization[]) {
    if (!this.options.sealWindow || entries.length === 0) return [];
    const { maxDelaySeconds, maxSkewSeconds } = await this.options.sealWindow();
    const now = this.now().getTime();
    const refused: { id: string; reason: string }[] = [];
    for (const n of entries) {
      const at = Date.parse(n.receivedAt);
      if (Number.isNaN(at)) refused.push({ id: n.id, reason: 'receivedAt is not a time' });
      else if (at > now + maxSkewSeconds * 1000)
        refused.push({ id: n.id, reason: `receivedAt is ${Math.round((at - now) / 1000)} s in the future` });
      else if (at < now - maxDelaySeconds * 1000)
        refused.push({
          id: n.id,
          reason: `receivedAt is ${Math.round((now - at) / 1000)} s old, more than the ${maxDelaySeconds} s allowed`,
        });
    }
    return refused;
  }

  private checkOrigin(head: TreeHead | undefined) {
    const headOrigin = head?.checkpoint.slice(0, head.checkpoint.indexOf('\n'));
    if (headOrigin !== undefined && headOrigin !== this.options.origin) {
      // The origin names the log in every checkpoint and in its verifier key: it can never change.
      throw new Error(`the log's origin is ${headOrigin}; refusing to sign as ${this.options.origin}`);
    }
  }

  private async commit(range: SealRange, batch: readonly PendingNotarization[]) {
    const size = range.start;
    const entries = batch.map((n) => encoder.encode('entry' in n ? n.entry : entryBytes(n)));
    const edgeKeys = tilesForRoot(size);
    const [edges, edgeBundle] = await Promise.all([
      this.store.readTiles(edgeKeys),
      size % TILE_WIDTH > 0 ? this.store.readBundle(Math.floor(size / TILE_WIDTH)) : undefined,
    ]);
    const tiles = appendToTiles(size, edges, entries.map(hashLeaf));
    const bundles = appendToBundles(size, edgeBundle, entries);
    const after = new Map(edges);
    for (const t of tiles) after.set(tileKey(t), t.bytes);
    const rootHash = rootFromTiles(range.end, (t) => after.get(tileKey(t)) ?? new Uint8Array());
    const checkpoint = await signCheckpoint(
      { origin: this.options.origin, size: range.end, rootHash },
      this.signer,
    );
    return this.store.commit({
      previousSize: size,
      head: { size: range.end, rootHash, checkpoint },
      tiles,
      bundles,
      range,
    });
  }

  /** Marks every notarization of a committed range with its index, then takes the range off the head. */
  private async seal(range: SealRange, known?: readonly LogPosition[]) {
    const positions = known ?? (await this.positionsIn(range));
    await this.store.markSealed(positions, range.sealedAt);
    await this.store.finishSeal(range);
    try {
      await this.options.onSealed?.({ start: range.start, end: range.end });
    } catch {
      // The hook reports its own failures; a range in the log stays sealed whatever it says.
    }
  }

  /** The notarization ids of a range, from its entry bundles. */
  private async positionsIn(range: SealRange): Promise<LogPosition[]> {
    const positions: LogPosition[] = [];
    const first = Math.floor(range.start / TILE_WIDTH);
    const last = Math.floor((range.end - 1) / TILE_WIDTH);
    for (let b = first; b <= last; b++) {
      const bundle = await this.store.readBundle(b);
      if (!bundle) throw new Error(`entry bundle ${b} of a committed range is missing`);
      parseEntryBundle(bundle).forEach((entry, i) => {
        const index = b * TILE_WIDTH + i;
        if (index < range.start || index >= range.end) return;
        const { id } = JSON.parse(decoder.decode(entry)) as { id: string };
        positions.push({ notarizationId: id, index });
      });
    }
    return positions;
  }
}
