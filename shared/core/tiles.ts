import { emptyRoot, HASH_SIZE, type Hash, hashChildren, type NodeReader } from './merkle';

/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the layout in which a log's
 * Merkle tree is published as static, cacheable files. Pure functions only
 * (paths, which tiles a tree size needs, tile bytes, entry bundles, the root
 * from tiles), as Tessera keeps them in `api/layout`; storage lives elsewhere.
 *
 * A tile at level L holds up to 256 consecutive tree nodes at height 8·L
 * (level 0: leaf hashes), 32 bytes each, nothing else. A full tile has 256;
 * the right-most tile of a level is partial (`.p/<W>`, 1 ≤ W ≤ 255) until it fills.
 */

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

/** A tile's address: level, index within the level, and width (TILE_WIDTH for a full tile). */
export interface TileAddress {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

const levelSize = (level: number) => TILE_WIDTH ** level;

/** `<N>` of a tile path: zero-padded groups of three digits, all but the last prefixed with `x`. */
export function tileIndexPath(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad tile index ${index}`);
  let rest = Math.floor(index / 1000);
  let path = String(index % 1000).padStart(3, '0');
  while (rest > 0) {
    path = `x${String(rest % 1000).padStart(3, '0')}/${path}`;
    rest = Math.floor(rest / 1000);
  }
  return path;
}

const widthSuffix = (width: number) => (width === TILE_WIDTH ? '' : `.p/${width}`);

/** `tile/<L>/<N>[.p/<W>]`, relative to the log's prefix. */
export const tilePath = ({ level, index, width }: TileAddress) =>
  `tile/${level}/${tileIndexPath(index)}${widthSuffix(width)}`;

/** `tile/entries/<N>[.p/<W>]`: the entries behind level-0 tile `index`. */
export const entriesPath = (index: number, width: number) =>
  `tile/entries/${tileIndexPath(index)}${widthSuffix(width)}`;

/** A parsed tile or entry-bundle path, or undefined for anything that is not exactly one. */
export function parseTilePath(path: string): (TileAddress & { readonly entries: boolean }) | undefined {
  const m = /^tile\/(entries|0|[1-9]\d?)\/((?:x\d{3}\/)*\d{3})(?:\.p\/([1-9]\d{0,2}))?$/.exec(path);
  if (!m) return undefined;
  const [, levelText = '', indexText = '', widthText] = m;
  const entries = levelText === 'entries';
  const level = entries ? 0 : Number(levelText);
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (level > 63 || (widthText !== undefined && width >= TILE_WIDTH)) return undefined;
  const index = Number(indexText.replaceAll('x', '').replaceAll('/', ''));
  if (!Number.isSafeInteger(index) || tileIndexPath(index) !== indexText) return undefined;
  return { level, index, width, entries };
}

/** The width of tile (level, index) in a tree of `treeSize` leaves: 0 if it does not exist yet. */
export function tileWidth(level: number, index: number, treeSize: number): number {
  const nodes = Math.floor(treeSize / levelSize(level));
  return Math.max(0, Math.min(TILE_WIDTH, nodes - index * TILE_WIDTH));
}

/**
 * The tiles a client reads to compute the root of a tree of `treeSize`: the
 * right-most (partial) tile of every level whose base-256 digit is non-zero.
 * Largest subtrees first.
 */
export function tilesForRoot(treeSize: number): TileAddress[] {
  const tiles: TileAddress[] = [];
  for (let level = 0; levelSize(level) <= treeSize; level++) {
    const nodes = Math.floor(treeSize / levelSize(level));
    const width = nodes % TILE_WIDTH;
    if (width > 0) tiles.push({ level, index: Math.floor(nodes / TILE_WIDTH), width });
  }
  return tiles.reverse();
}

/** The bytes of a tile: its nodes' hashes, concatenated, read from the tree. */
export function tileBytes(read: NodeReader, { level, index, width }: TileAddress): Uint8Array {
  const bytes = new Uint8Array(width * HASH_SIZE);
  for (let i = 0; i < width; i++) bytes.set(read(level * TILE_HEIGHT, index * TILE_WIDTH + i), i * HASH_SIZE);
  return bytes;
}

/** MTH of `count` (a power of two) consecutive hashes of a tile starting at `offset`. */
export function hashWithinTile(tile: Uint8Array, offset: number, count: number): Hash {
  if (count === 1) return tile.subarray(offset * HASH_SIZE, (offset + 1) * HASH_SIZE);
  const half = count / 2;
  return hashChildren(hashWithinTile(tile, offset, half), hashWithinTile(tile, offset + half, half));
}

/**
 * The RFC 9162 root of a tree of `treeSize` from the tiles `tilesForRoot`
 * names (`fetch` gives each tile's bytes, or a longer tile of the same level
 * and index). Throws if a tile is too short.
 */
export function rootFromTiles(treeSize: number, fetch: (tile: TileAddress) => Uint8Array): Hash {
  if (treeSize === 0) return emptyRoot();
  const subtrees: Hash[] = []; // perfect subtrees, largest first
  for (const tile of tilesForRoot(treeSize)) {
    const bytes = fetch(tile);
    if (bytes.length < tile.width * HASH_SIZE) throw new Error(`${tilePath(tile)} is too short`);
    let offset = 0;
    for (let bit = TILE_WIDTH / 2; bit >= 1; bit /= 2) {
      if (Math.floor(tile.width / bit) % 2 === 1) {
        subtrees.push(hashWithinTile(bytes, offset, bit));
        offset += bit;
      }
    }
  }
  let root = subtrees.pop() as Hash;
  while (subtrees.length > 0) root = hashChildren(subtrees.pop() as Hash, root);
  return root;
}

/** An entry bundle: each entry prefixed with its length as a big-endian uint16. */
export function entryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let at = 0;
  for (const entry of entries) {
    if (entry.length > 0xffff) throw new RangeError('an entry of a tlog-tiles bundle is at most 65535 bytes');
    out[at] = entry.length >> 8;
    out[at + 1] = entry.length & 0xff;
    out.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return out;
}

/** The entries of a bundle; throws on a truncated one. */
export function parseEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  for (let at = 0; at < bundle.length; ) {
    if (at + 2 > bundle.length) throw new Error('truncated entry bundle');
    const length = ((bundle[at] as number) << 8) | (bundle[at + 1] as number);
    if (at + 2 + length > bundle.length) throw new Error('truncated entry bundle');
    entries.push(bundle.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}
