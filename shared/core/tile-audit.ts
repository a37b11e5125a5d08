import { consistencyProof, HASH_SIZE, type Hash, hashLeaf, type NodeReader, nodesRead } from './merkle';
import { tileKey, tileNodeReader, tilesForNodes } from './tile-log';
import {
  entriesPath,
  hashWithinTile,
  parseEntryBundle,
  rootFromTiles,
  TILE_WIDTH,
  type TileAddress,
  tilePath,
  tilesForRoot,
  tileWidth,
} from './tiles';

/** Reads one file of a tlog-tiles log, by its path under the log's prefix; throws if it cannot. */
export type TileFetcher = (path: string) => Promise<Uint8Array>;

/** A signed tree: size and root, from a verified checkpoint. */
export interface SignedTree {
  readonly size: number;
  readonly rootHash: Hash;
}

export class TileAuditError extends Error {}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** The tile (level, index) as a tree of `size` has it, checked to be exactly as long as that. */
async function fetchTile(fetch: TileFetcher, level: number, index: number, size: number) {
  const address: TileAddress = { level, index, width: tileWidth(level, index, size) };
  const bytes = await fetch(tilePath(address));
  if (bytes.length !== address.width * HASH_SIZE)
    throw new TileAuditError(
      `${tilePath(address)} has ${bytes.length} bytes, not ${address.width * HASH_SIZE}`,
    );
  return bytes;
}

/** Checks that the served tiles recompute the signed root of `tree`. */
export async function checkRootFromTiles(tree: SignedTree, fetch: TileFetcher): Promise<void> {
  const tiles = new Map<string, Uint8Array>();
  await Promise.all(
    tilesForRoot(tree.size).map(async (t) => {
      tiles.set(tileKey(t), await fetchTile(fetch, t.level, t.index, tree.size));
    }),
  );
  const root = rootFromTiles(tree.size, (t) => tiles.get(tileKey(t)) as Uint8Array);
  if (!equal(root, tree.rootHash))
    throw new TileAuditError(`the tiles give a root other than the signed one at size ${tree.size}`);
}

/**
 * The RFC 9162 consistency proof from size `from` to `to`, built from the
 * served tiles of the tree of size `to`. The tiles need not be trusted: the
 * proof is checked against both signed roots (witness.ts `checkGrowth`), and a
 * wrong hash makes it fail.
 */
export async function consistencyProofFromTiles(
  from: number,
  to: number,
  fetch: TileFetcher,
): Promise<Hash[]> {
  if (from === 0 || from >= to) return []; // nothing to prove: the empty tree, or the same size
  const compute = (read: NodeReader) => consistencyProof(read, from, to);
  const tiles = new Map<string, Uint8Array>();
  await Promise.all(
    tilesForNodes(nodesRead(compute)).map(async (t) => {
      tiles.set(tileKey(t), await fetchTile(fetch, t.level, t.index, to));
    }),
  );
  return compute(tileNodeReader(tiles));
}

/**
 * Audits the whole tree: every entry hashes to its leaf in a level-0 tile,
 * every full tile hashes to its node in the level above, and the right edge
 * recomputes the signed root. Returns the number of entries checked. Reads
 * `concurrency` tiles at a time; holds one level above the leaves in memory.
 */
export async function auditAllTiles(tree: SignedTree, fetch: TileFetcher, concurrency = 8): Promise<number> {
  await checkRootFromTiles(tree, fetch);
  for (
    let level = 0, nodes = tree.size;
    nodes >= TILE_WIDTH;
    level++, nodes = Math.floor(nodes / TILE_WIDTH)
  ) {
    // Full tiles of this level, each against its hash one level up.
    const fullTiles = Math.floor(nodes / TILE_WIDTH);
    const above = new Map<number, Uint8Array>();
    const parent = async (i: number) => {
      const index = Math.floor(i / TILE_WIDTH);
      let bytes = above.get(index);
      if (!bytes) {
        bytes = await fetchTile(fetch, level + 1, index, tree.size);
        above.set(index, bytes);
      }
      return bytes.subarray((i % TILE_WIDTH) * HASH_SIZE, ((i % TILE_WIDTH) + 1) * HASH_SIZE);
    };
    let next = 0;
    const worker = async () => {
      while (next < fullTiles) {
        const i = next++;
        const tile = await fetchTile(fetch, level, i, tree.size);
        if (!equal(hashWithinTile(tile, 0, TILE_WIDTH), await parent(i)))
          throw new TileAuditError(
            `${tilePath({ level, index: i, width: TILE_WIDTH })} does not hash to its parent`,
          );
        if (level === 0) await checkEntries(fetch, i, tile);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  // The right-most partial leaf tile's entries (its hashes are bound by the root).
  const partial = tree.size % TILE_WIDTH;
  if (partial > 0) {
    const index = Math.floor(tree.size / TILE_WIDTH);
    await checkEntries(fetch, index, await fetchTile(fetch, 0, index, tree.size));
  }
  return tree.size;
}

async function checkEntries(fetch: TileFetcher, index: number, leafTile: Uint8Array) {
  const width = leafTile.length / HASH_SIZE;
  const path = entriesPath(index, width);
  const entries = parseEntryBundle(await fetch(path));
  if (entries.length !== width)
    throw new TileAuditError(`${path} has ${entries.length} entries, not ${width}`);
  entries.forEach((entry, i) => {
    if (!equal(hashLeaf(entry), leafTile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)))
      throw new TileAuditError(`entry ${index * TILE_WIDTH + i} in ${path} does not hash to its leaf`);
  });
}
