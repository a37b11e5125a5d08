import { HASH_SIZE, type Hash, type NodeReader } from './merkle';
import { entryBundle, hashWithinTile, parseEntryBundle, TILE_HEIGHT, TILE_WIDTH } from './tiles';

/**
 * The Merkle tree kept as tlog-tiles: how nodes are read out of tiles, and
 * how a batch of leaves changes the right edge of the tree. Pure; the store
 * decides where tiles live.
 */

/** A tile without its width: where its bytes are kept. A stored tile only ever grows. */
export interface TileKey {
  readonly level: number;
  readonly index: number;
}

export const tileKey = ({ level, index }: TileKey) => `${level}/${index}`;

/** Tiles that hold the base nodes of tree node (height, index). */
const tileOfNode = (height: number, index: number) => {
  const level = Math.floor(height / TILE_HEIGHT);
  const span = 2 ** (height - level * TILE_HEIGHT); // base nodes of the tile level under this node
  const first = index * span;
  return { level, index: Math.floor(first / TILE_WIDTH), offset: first % TILE_WIDTH, span };
};

/** The tiles to read for the given perfect-subtree nodes. */
export function tilesForNodes(nodes: readonly (readonly [number, number])[]): TileKey[] {
  const keys = new Map<string, TileKey>();
  for (const [height, index] of nodes) {
    const { level, index: tile } = tileOfNode(height, index);
    keys.set(tileKey({ level, index: tile }), { level, index: tile });
  }
  return [...keys.values()];
}

/** A NodeReader over tiles: each node is a tile hash or hashed up from at most 128 of them. */
export function tileNodeReader(tiles: ReadonlyMap<string, Uint8Array>): NodeReader {
  return (height, index) => {
    const { level, index: tile, offset, span } = tileOfNode(height, index);
    const bytes = tiles.get(tileKey({ level, index: tile }));
    if (!bytes || bytes.length < (offset + span) * HASH_SIZE) {
      throw new Error(`log tile ${level}/${tile} is missing or too short for node ${height}/${index}`);
    }
    return hashWithinTile(bytes, offset, span);
  };
}

export interface TileWrite extends TileKey {
  readonly bytes: Uint8Array;
}

export interface BundleWrite {
  readonly index: number;
  readonly bytes: Uint8Array;
}

/**
 * Appends leaf hashes to a tree of `size` whose right-edge tiles are in
 * `edges` (as `tilesForRoot(size)` names them; longer tiles are cut to the
 * tree). Returns every tile the append creates or extends, full or partial.
 * A level-L tile that fills hands its root up to level L+1.
 */
export function appendToTiles(
  size: number,
  edges: ReadonlyMap<string, Uint8Array>,
  leafHashes: readonly Hash[],
): TileWrite[] {
  const writes: TileWrite[] = [];
  let incoming = leafHashes;
  for (let level = 0, nodes = size; incoming.length > 0; level++, nodes = Math.floor(nodes / TILE_WIDTH)) {
    let index = Math.floor(nodes / TILE_WIDTH);
    const width = nodes % TILE_WIDTH;
    const stored = width > 0 ? edges.get(tileKey({ level, index })) : undefined;
    if (width > 0 && (!stored || stored.length < width * HASH_SIZE)) {
      throw new Error(`log tile ${level}/${index} is missing or shorter than the tree`);
    }
    let tile = new Uint8Array(TILE_WIDTH * HASH_SIZE);
    if (stored) tile.set(stored.subarray(0, width * HASH_SIZE));
    let filled = width;
    const up: Hash[] = [];
    for (const hash of incoming) {
      tile.set(hash, filled * HASH_SIZE);
      filled++;
      if (filled === TILE_WIDTH) {
        writes.push({ level, index, bytes: tile });
        up.push(hashWithinTile(tile, 0, TILE_WIDTH));
        tile = new Uint8Array(TILE_WIDTH * HASH_SIZE);
        filled = 0;
        index++;
      }
    }
    if (filled > 0) writes.push({ level, index, bytes: tile.slice(0, filled * HASH_SIZE) });
    incoming = up;
  }
  return writes;
}

/**
 * Appends entries to the entry bundles of a log of `size`; `edge` is the
 * bundle of the right-most, partial level-0 tile (if the size is not a
 * multiple of 256). Returns every bundle created or extended.
 */
export function appendToBundles(
  size: number,
  edge: Uint8Array | undefined,
  entries: readonly Uint8Array[],
): BundleWrite[] {
  const writes: BundleWrite[] = [];
  let index = Math.floor(size / TILE_WIDTH);
  const kept = size % TILE_WIDTH;
  let current = kept > 0 ? firstEntries(edge, kept, index) : [];
  for (const entry of entries) {
    current.push(entry);
    if (current.length === TILE_WIDTH) {
      writes.push({ index, bytes: entryBundle(current) });
      current = [];
      index++;
    }
  }
  if (current.length > 0) writes.push({ index, bytes: entryBundle(current) });
  return writes;
}

function firstEntries(bundle: Uint8Array | undefined, count: number, index: number): Uint8Array[] {
  const entries = bundle ? parseEntryBundle(bundle) : [];
  if (entries.length < count) throw new Error(`entry bundle ${index} is missing or shorter than the tree`);
  return entries.slice(0, count);
}

/** The first `width` entries of a bundle, as the bytes of a bundle of that width; undefined if it has fewer. */
export function bundlePrefix(bundle: Uint8Array, width: number): Uint8Array | undefined {
  let at = 0;
  for (let i = 0; i < width; i++) {
    if (at + 2 > bundle.length) return undefined;
    at += 2 + (((bundle[at] as number) << 8) | (bundle[at + 1] as number));
  }
  return at <= bundle.length ? bundle.subarray(0, at) : undefined;
}
