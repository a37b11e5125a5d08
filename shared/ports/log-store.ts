import type { Hash } from '../core/merkle';
import type { Notarization } from './notarization-store';

/** The signed state of the log: size, root and the checkpoint note that signs them. */
export interface TreeHead {
  readonly size: number;
  readonly rootHash: Hash;
  readonly checkpoint: string;
}

export type PendingNotarization = Pick<Notarization, 'id' | 'owner' | 'sha256' | 'receivedAt'>;

/** A notarization on its way into the log, with its canonical entry bytes. */
export interface PendingEntry {
  readonly notarizationId: string;
  readonly receivedAt: string;
  readonly entry: string;
}

export interface BatchCommit {
  readonly previousSize: number;
  readonly head: TreeHead;
  /** Every node the batch completes, leaves included: [level, index, hash]. */
  readonly nodes: readonly (readonly [number, number, Hash])[];
  /** The batch's entries in log order; entry i gets index previousSize + i. */
  readonly entries: readonly PendingEntry[];
  /** RFC 3339 UTC, recorded on every notarization the batch seals. */
  readonly sealedAt: string;
}

export type CommitOutcome =
  | { readonly kind: 'committed' }
  /** Another integrator moved the head first; nothing was written. */
  | { readonly kind: 'head_moved' }
  /** These entries are in the log already; nothing was written. */
  | { readonly kind: 'already_integrated'; readonly notarizationIds: readonly string[] };

export interface LogStore {
  head(): Promise<TreeHead | undefined>;
  /** Publishes the head of the empty log, unless the log has a head already; true if this call wrote it. */
  initialize(empty: TreeHead): Promise<boolean>;
  /** Hashes of the requested perfect-subtree nodes, keyed `level/index`. */
  readNodes(coordinates: readonly (readonly [number, number])[]): Promise<Map<string, Hash>>;
  /** The entry bytes of the leaf at `index`. */
  leafEntry(index: number): Promise<string | undefined>;
  /** Oldest pending notarizations first. */
  pending(limit: number): Promise<readonly PendingNotarization[]>;
  /**
   * Appends a batch atomically: the nodes, the new head (only if the head is
   * still at `previousSize`, or absent when that is 0) and every notarization marked sealed with its
   * index (only if it has none yet). All of it lands, or none of it.
   */
  commit(batch: BatchCommit): Promise<CommitOutcome>;
}

/** DynamoDB's limit on items in one transaction. */
export const MAX_COMMIT_ITEMS = 100;

export const nodeKey = (level: number, index: number) => `${level}/${index}`;
