import type { Hash } from '../core/merkle';
import type { BundleWrite, TileKey, TileWrite } from '../core/tile-log';
import type { Notarization } from './notarization-store';

/**
 * Entries [start, end) of the log, committed at `sealedAt`, whose
 * notarizations may not all carry their index yet. The head lists every such
 * range until its notarizations are marked, so a crash between the commit and
 * the marking is finished by the next run.
 */
export interface SealRange {
  readonly start: number;
  readonly end: number;
  /** RFC 3339 UTC, recorded on every notarization of the range. */
  readonly sealedAt: string;
}

/** The signed state of the log: size, root and the checkpoint note that signs them. */
export interface TreeHead {
  readonly size: number;
  readonly rootHash: Hash;
  readonly checkpoint: string;
  /** Committed ranges whose notarizations are still being marked sealed. */
  readonly unsealed: readonly SealRange[];
}

/**
 * An entry waiting for the log: a notarization (its leaf is made from these
 * fields), or an entry whose leaf was made when it was recorded (`entry`:
 * audit events).
 */
export type PendingNotarization =
  | (Pick<Notarization, 'id' | 'owner' | 'sha256' | 'receivedAt'> & {
      readonly timestamp?: { readonly serial: string };
    })
  | { readonly id: string; readonly receivedAt: string; readonly entry: string };

/** A notarization's place in the log. */
export interface LogPosition {
  readonly notarizationId: string;
  readonly index: number;
}

export interface BatchCommit {
  readonly previousSize: number;
  readonly head: Omit<TreeHead, 'unsealed'>;
  /** Every tile the batch creates or extends, with its whole new contents. */
  readonly tiles: readonly TileWrite[];
  /** Every entry bundle the batch creates or extends. */
  readonly bundles: readonly BundleWrite[];
  /** The batch's entries [previousSize, head.size): added to the head's unsealed ranges. */
  readonly range: SealRange;
}

export interface LogStore {
  head(): Promise<TreeHead | undefined>;
  /** Publishes the head of the empty log, unless the log has a head already; true if this call wrote it. */
  initialize(empty: Omit<TreeHead, 'unsealed'>): Promise<boolean>;
  /** The stored bytes of these tiles (a tile may be longer than a given tree needs: tiles only grow). */
  readTiles(keys: readonly TileKey[]): Promise<Map<string, Uint8Array>>;
  /** The stored entry bundle behind level-0 tile `index`. */
  readBundle(index: number): Promise<Uint8Array | undefined>;
  /** Oldest pending notarizations first (an index that may lag behind the table by a moment). */
  pending(limit: number): Promise<readonly PendingNotarization[]>;
  /** Of these notarizations, the ones that have a log index (a consistent read). */
  indexed(ids: readonly string[]): Promise<Set<string>>;
  /**
   * Appends a batch atomically: tiles, bundles and the new head, which also
   * lists `range` as unsealed; only if the head is still at `previousSize`.
   * All of it lands, or none of it.
   */
  commit(batch: BatchCommit): Promise<'committed' | 'head_moved'>;
  /**
   * Records each notarization's index and `sealedAt` and takes it off the
   * pending queue. Idempotent; throws if a notarization has a different index.
   */
  markSealed(positions: readonly LogPosition[], sealedAt: string): Promise<void>;
  /**
   * Takes notarizations off the pending queue unsealed, with status
   * `quarantined` and the reason; never one that has a log index.
   */
  quarantine(entries: readonly { readonly id: string; readonly reason: string }[], at: string): Promise<void>;
  /** Takes a range off the head's unsealed list, once all of its notarizations are marked. */
  finishSeal(range: SealRange): Promise<void>;
}
