import { appendNodes, hashLeaf, type NodeReader } from '../../shared/core/merkle';
import { appendToBundles, appendToTiles, tileKey } from '../../shared/core/tile-log';

const encoder = new TextEncoder();
/** The entry at `i` of a test log. */
export const entry = (i: number) => encoder.encode(`entry ${i}`);

/** A tile log grown batch by batch, as the integrator grows it, keeping only what it writes. */
export function growTiles(batches: readonly number[]) {
  const tiles = new Map<string, Uint8Array>();
  const bundles = new Map<number, Uint8Array>();
  let size = 0;
  for (const count of batches) {
    const entries = Array.from({ length: count }, (_, i) => entry(size + i));
    for (const t of appendToTiles(size, tiles, entries.map(hashLeaf))) tiles.set(tileKey(t), t.bytes);
    for (const b of appendToBundles(size, bundles.get(Math.floor(size / 256)), entries))
      bundles.set(b.index, b.bytes);
    size += count;
  }
  return { tiles, bundles, size };
}

/** The reference: the RFC 9162 tree of `size` test entries, node by node, as the log's Merkle code appends it. */
export function referenceTree(size: number): NodeReader {
  const nodes = new Map<string, Uint8Array>();
  const read: NodeReader = (l, i) => {
    const h = nodes.get(`${l}/${i}`);
    if (!h) throw new Error(`node ${l}/${i} not stored`);
    return h;
  };
  const leaves = Array.from({ length: size }, (_, i) => hashLeaf(entry(i)));
  for (const [l, i, h] of appendNodes(read, 0, leaves)) nodes.set(`${l}/${i}`, h);
  return read;
}
