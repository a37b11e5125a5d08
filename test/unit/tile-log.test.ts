import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistencyProof, hashLeaf, inclusionProof, rootHash } from '../../shared/core/merkle';
import {
  appendToBundles,
  appendToTiles,
  bundlePrefix,
  tileKey,
  tileNodeReader,
  tilesForNodes,
} from '../../shared/core/tile-log';
import {
  entryBundle,
  parseEntryBundle,
  rootFromTiles,
  tileBytes,
  tilesForRoot,
} from '../../shared/core/tiles';
import { entry, growTiles, referenceTree } from '../support/tiles';

describe('the log kept as tiles', () => {
  it('grows the same tiles as the node-by-node tree, whatever the batches (across levels 0–2)', () => {
    const size = 70_000; // past 256² leaves: a level-2 tile exists
    const reference = referenceTree(size);
    const batches = [1, 255, 1, 300, 65_000, 2, 4441];
    const grown = growTiles(batches);
    expect(grown.size).toBe(size);
    for (const address of tilesForRoot(size)) {
      expect(grown.tiles.get(tileKey(address))).toEqual(tileBytes(reference, address));
    }
    // Every full tile too, at every level.
    expect(grown.tiles.get('0/5')).toEqual(tileBytes(reference, { level: 0, index: 5, width: 256 }));
    expect(grown.tiles.get('1/0')).toEqual(tileBytes(reference, { level: 1, index: 0, width: 256 }));
    const root = rootFromTiles(size, (t) => grown.tiles.get(tileKey(t)) as Uint8Array);
    expect(root).toEqual(rootHash(reference, size));
  });

  it('serves every node of any proof from tiles, equal to the reference (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (batches, a, b) => {
          const grown = growTiles(batches);
          const reference = referenceTree(grown.size);
          const read = tileNodeReader(grown.tiles);
          const index = Math.floor(a * (grown.size - 1));
          const from = 1 + Math.floor(b * (grown.size - 1));
          expect(inclusionProof(read, index, grown.size)).toEqual(
            inclusionProof(reference, index, grown.size),
          );
          expect(consistencyProof(read, from, grown.size)).toEqual(
            consistencyProof(reference, from, grown.size),
          );
          expect(rootHash(read, grown.size)).toEqual(rootHash(reference, grown.size));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('names the tiles that hold given nodes', () => {
    // Leaf 0 and the 128 leaves from 128 are in tile 0/0; 8 leaves from 320 in 0/1; height 8 is level 1.
    expect(
      tilesForNodes([
        [0, 0],
        [7, 1],
        [3, 40],
        [8, 1],
        [9, 300],
      ]),
    ).toEqual([
      { level: 0, index: 0 },
      { level: 0, index: 1 },
      { level: 1, index: 0 },
      { level: 1, index: 2 },
    ]);
  });

  it('keeps entry bundles in log order, 256 per bundle', () => {
    const grown = growTiles([3, 300, 10]);
    const entries = [0, 1].flatMap((i) => parseEntryBundle(grown.bundles.get(i) as Uint8Array));
    expect(entries.map((e) => new TextDecoder().decode(e))).toEqual(
      Array.from({ length: 313 }, (_, i) => `entry ${i}`),
    );
    expect(parseEntryBundle(grown.bundles.get(0) as Uint8Array)).toHaveLength(256);
  });

  it('cuts a bundle to its first W entries, and refuses more than it has', () => {
    const bundle = entryBundle([entry(0), entry(1), entry(2)]);
    expect(bundlePrefix(bundle, 2)).toEqual(entryBundle([entry(0), entry(1)]));
    expect(bundlePrefix(bundle, 3)).toEqual(bundle);
    expect(bundlePrefix(bundle, 4)).toBeUndefined();
  });

  it('refuses to append to a tree whose edge tiles are missing or short', () => {
    const grown = growTiles([10]);
    expect(() => appendToTiles(10, new Map(), [hashLeaf(entry(10))])).toThrow(/missing or shorter/);
    const short = new Map([['0/0', (grown.tiles.get('0/0') as Uint8Array).subarray(0, 32 * 9)]]);
    expect(() => appendToTiles(10, short, [hashLeaf(entry(10))])).toThrow(/missing or shorter/);
    expect(() => appendToBundles(10, undefined, [entry(10)])).toThrow(/missing or shorter/);
  });
});
