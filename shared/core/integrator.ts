import type { BatchCommit, LogStore, PendingEntry, TreeHead } from '../ports/log-store';
import { MAX_COMMIT_ITEMS, nodeKey } from '../ports/log-store';
import type { Signer } from '../ports/signer';
import { signCheckpoint } from './checkpoint';
import { entryBytes } from './log-entry';
import { appendNodes, emptyRoot, hashLeaf, type NodeReader, nodesRead, rootHash } from './merkle';
import { readNodes } from './tree-reads';

export interface IntegrationResult {
  /** Entries this run appended to the log. */
  readonly sealed: number;
  readonly treeSize: number;
  /** Batches lost to a concurrent integrator or a stale queue read (retried). */
  readonly conflicts: number;
}

export interface IntegratorOptions {
  readonly origin: string;
  /** Entries per batch at most; also bounded by DynamoDB's transaction size. */
  readonly maxBatch?: number;
}

const encoder = new TextEncoder();

/**
 * Moves pending notarizations into the Merkle log, one signed checkpoint per
 * batch. Safe to run concurrently and repeatedly: a batch commits atomically
 * and only if the head has not moved and none of its entries is in the log
 * yet, so the log never forks and every entry lands exactly once. A crash
 * anywhere leaves either the old state or the new one, and the next run goes on.
 */
export class Integrator {
  private readonly maxBatch: number;
  /** Seen in the log although the queue still lists them (the queue index lags by up to a second). */
  private readonly integrated = new Set<string>();

  constructor(
    private readonly store: LogStore,
    private readonly signer: Signer,
    private readonly options: IntegratorOptions,
  ) {
    this.maxBatch = Math.min(options.maxBatch ?? 25, 40);
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

  /** Initializes the log if needed, then integrates until nothing is pending or `deadline` (epoch ms) passes. */
  async drain(deadline = Number.POSITIVE_INFINITY): Promise<IntegrationResult> {
    await this.initialize();
    let sealed = 0;
    let conflicts = 0;
    let treeSize = (await this.store.head())?.size ?? 0;
    while (Date.now() < deadline) {
      const step = await this.integrateBatch();
      treeSize = step.treeSize;
      conflicts += step.conflicts;
      if (step.sealed === 0 && step.conflicts === 0) break;
      sealed += step.sealed;
    }
    return { sealed, treeSize, conflicts };
  }

  /** One attempt at one batch. */
  async integrateBatch(): Promise<IntegrationResult> {
    const head = await this.store.head();
    const size = head?.size ?? 0;
    const headOrigin = head?.checkpoint.slice(0, head.checkpoint.indexOf('\n'));
    if (headOrigin !== undefined && headOrigin !== this.options.origin) {
      // The origin names the log in every checkpoint and in its verifier key: it can never change.
      throw new Error(`the log's origin is ${headOrigin}; refusing to sign as ${this.options.origin}`);
    }
    const queued = await this.store.pending(this.maxBatch + this.integrated.size);
    // Forget ids the queue no longer lists: the index has caught up with them.
    const listed = new Set(queued.map((n) => n.id));
    for (const id of this.integrated) if (!listed.has(id)) this.integrated.delete(id);
    let pending: PendingEntry[] = queued
      .filter((n) => !this.integrated.has(n.id))
      .slice(0, this.maxBatch)
      .map((n) => ({ notarizationId: n.id, receivedAt: n.receivedAt, entry: entryBytes(n) }));
    if (pending.length === 0) return { sealed: 0, treeSize: size, conflicts: 0 };

    let batch = await this.prepare(size, pending);
    while (batch.nodes.length + batch.entries.length + 1 > MAX_COMMIT_ITEMS) {
      pending = pending.slice(0, Math.max(1, pending.length - 4));
      batch = await this.prepare(size, pending);
    }
    const outcome = await this.store.commit(batch);
    if (outcome.kind === 'committed')
      return { sealed: batch.entries.length, treeSize: batch.head.size, conflicts: 0 };
    if (outcome.kind === 'already_integrated')
      for (const id of outcome.notarizationIds) this.integrated.add(id);
    return { sealed: 0, treeSize: size, conflicts: 1 };
  }

  private async prepare(size: number, entries: PendingEntry[]): Promise<BatchCommit> {
    const leaves = entries.map((e) => hashLeaf(encoder.encode(e.entry)));
    const newSize = size + leaves.length;
    // The new root reads new nodes where they exist and the old frontier otherwise.
    const compute = (read: NodeReader) => {
      const nodes = appendNodes(read, size, leaves);
      const created = new Map(nodes.map(([l, i, h]) => [nodeKey(l, i), h]));
      const root = rootHash((l, i) => created.get(nodeKey(l, i)) ?? read(l, i), newSize);
      return { nodes, root };
    };
    const stored = await readNodes(this.store, nodesRead(compute));
    const { nodes, root } = compute(stored);
    const head: TreeHead = {
      size: newSize,
      rootHash: root,
      checkpoint: await signCheckpoint(
        { origin: this.options.origin, size: newSize, rootHash: root },
        this.signer,
      ),
    };
    return { previousSize: size, head, nodes, entries, sealedAt: new Date().toISOString() };
  }
}
