import type { AnchorStore } from '../ports/anchor-store';
import type { LogStore } from '../ports/log-store';
import type { Notarization } from '../ports/notarization-store';
import type { Signer } from '../ports/signer';
import { StempelError } from './errors';
import { consistencyProof, HASH_SIZE, inclusionProof, type NodeReader, nodesRead } from './merkle';
import type { Receipt, ReceiptAnchor } from './receipt';
import { formatVerifierKey } from './signed-note';
import { bundlePrefix, tileKey, tileNodeReader, tilesForNodes } from './tile-log';
import { parseEntryBundle, TILE_WIDTH, type TileAddress } from './tiles';

const decoder = new TextDecoder();
const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

/** Read side of the log: receipts, checkpoints, consistency proofs, the verifier key. */
export class Transparency {
  constructor(
    private readonly store: LogStore,
    private readonly signer: Signer,
    private readonly origin: string,
    private readonly anchors?: Pick<AnchorStore, 'firstCovering'>,
  ) {}

  /**
   * The receipt of a sealed notarization, or undefined while it is pending;
   * completed with the earliest external anchor covering the entry, if one
   * exists yet (see {@link anchorFor}).
   */
  async receipt(notarization: Pick<Notarization, 'logIndex'>): Promise<Receipt | undefined> {
    if (notarization.logIndex === undefined) return undefined;
    const index = notarization.logIndex;
    const head = await this.requireHead();
    const [bundle, read, anchor] = await Promise.all([
      this.store.readBundle(Math.floor(index / TILE_WIDTH)),
      this.nodes((r) => inclusionProof(r, index, head.size)),
      this.anchorFor(index, head.size),
    ]);
    const entry = bundle ? parseEntryBundle(bundle)[index % TILE_WIDTH] : undefined;
    if (entry === undefined) throw new Error(`log entry ${index} is missing`);
    return {
      v: 1,
      entry: decoder.decode(entry),
      index,
      treeSize: head.size,
      inclusionProof: inclusionProof(read, index, head.size).map(b64),
      checkpoint: head.checkpoint,
      ...(anchor ? { anchor } : {}),
    };
  }

  /**
   * The earliest anchored checkpoint that contains entry `index`, its
   * external tokens, and the consistency proof from it to the receipt's tree
   * (`treeSize`): that proof shows the anchored tree is a prefix of the
   * receipt's, so the entry was in it, so it existed no later than the
   * tokens' genTime.
   */
  private async anchorFor(index: number, treeSize: number): Promise<ReceiptAnchor | undefined> {
    const anchor = await this.anchors?.firstCovering(index);
    if (!anchor || anchor.size > treeSize || anchor.tokens.length === 0) return undefined;
    const read = await this.nodes((r) =>
      anchor.size < treeSize ? consistencyProof(r, anchor.size, treeSize) : [],
    );
    return {
      checkpoint: anchor.checkpoint,
      consistencyProof: anchor.size < treeSize ? consistencyProof(read, anchor.size, treeSize).map(b64) : [],
      timestamps: anchor.tokens.map(({ tsa, token }) => ({ tsa, token: b64(token) })),
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
    const read = await this.nodes((r) => consistencyProof(r, from, to));
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

  /**
   * Tile `tile/<L>/<N>[.p/<W>]` (or its entry bundle) as C2SP tlog-tiles
   * serves it: exactly W hashes (entries), cut from the stored tile, which
   * only ever grows. Undefined while the log is shorter.
   */
  async tile(address: TileAddress & { readonly entries: boolean }): Promise<Uint8Array | undefined> {
    if (address.entries) {
      const bundle = await this.store.readBundle(address.index);
      return bundle && bundlePrefix(bundle, address.width);
    }
    const stored = (await this.store.readTiles([address])).get(tileKey(address));
    const length = address.width * HASH_SIZE;
    return stored && stored.length >= length ? stored.subarray(0, length) : undefined;
  }

  /** A NodeReader holding the nodes `compute` reads, fetched as tiles in one batch read. */
  private async nodes(compute: (read: NodeReader) => unknown): Promise<NodeReader> {
    const keys = tilesForNodes(nodesRead(compute));
    return tileNodeReader(keys.length > 0 ? await this.store.readTiles(keys) : new Map());
  }

  private async requireHead() {
    const head = await this.store.head();
    if (!head) throw new StempelError('not_found', 'log_empty', 'Nothing has been logged yet.');
    return head;
  }
}
