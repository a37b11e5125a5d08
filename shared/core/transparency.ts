import type { LogStore } from '../ports/log-store';
import type { Notarization } from '../ports/notarization-store';
import type { Signer } from '../ports/signer';
import { StempelError } from './errors';
import { consistencyProof, inclusionProof, nodesRead } from './merkle';
import type { Receipt } from './receipt';
import { formatVerifierKey } from './signed-note';
import { readNodes } from './tree-reads';

const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

/** Read side of the log: receipts, checkpoints, consistency proofs, the verifier key. */
export class Transparency {
  constructor(
    private readonly store: LogStore,
    private readonly signer: Signer,
    private readonly origin: string,
  ) {}

  /** The receipt of a sealed notarization, or undefined while it is pending. */
  async receipt(notarization: Notarization): Promise<Receipt | undefined> {
    if (notarization.logIndex === undefined) return undefined;
    const index = notarization.logIndex;
    const head = await this.requireHead();
    const [entry, read] = await Promise.all([
      this.store.leafEntry(index),
      readNodes(
        this.store,
        nodesRead((r) => inclusionProof(r, index, head.size)),
      ),
    ]);
    if (entry === undefined) throw new Error(`log leaf ${index} is missing`);
    return {
      v: 1,
      entry,
      index,
      treeSize: head.size,
      inclusionProof: inclusionProof(read, index, head.size).map(b64),
      checkpoint: head.checkpoint,
    };
  }

  async checkpoint(): Promise<string> {
    return (await this.requireHead()).checkpoint;
  }

  async consistency(from: number, to: number) {
    const head = await this.requireHead();
    if (!(from >= 1 && from <= to && to <= head.size)) {
      throw new StempelError(
        'invalid',
        'invalid_range',
        `Need 1 ≤ from ≤ to ≤ ${head.size} (the current tree size).`,
      );
    }
    const read = await readNodes(
      this.store,
      nodesRead((r) => consistencyProof(r, from, to)),
    );
    return { from, to, proof: consistencyProof(read, from, to).map(b64) };
  }

  async key() {
    const publicKey = await this.signer.publicKey();
    return {
      origin: this.origin,
      verifierKey: formatVerifierKey(this.origin, publicKey),
      algorithm: 'Ed25519' as const,
      publicKey: b64(publicKey),
    };
  }

  private async requireHead() {
    const head = await this.store.head();
    if (!head) throw new StempelError('not_found', 'log_empty', 'Nothing has been logged yet.');
    return head;
  }
}
