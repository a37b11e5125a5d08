import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rootHash } from '../../shared/core/merkle';
import {
  entriesPath,
  entryBundle,
  parseEntryBundle,
  parseTilePath,
  rootFromTiles,
  type TileAddress,
  tileBytes,
  tileIndexPath,
  tilePath,
  tilesForRoot,
  tileWidth,
} from '../../shared/core/tiles';
import { referenceTree } from '../support/tiles';

describe('C2SP tlog-tiles paths', () => {
  it('encodes the index in x-prefixed groups of three digits', () => {
    expect(tileIndexPath(0)).toBe('000');
    expect(tileIndexPath(7)).toBe('007');
    expect(tileIndexPath(1000)).toBe('x001/000');
    expect(tileIndexPath(1234067)).toBe('x001/x234/067');
    expect(tilePath({ level: 1, index: 1234067, width: 256 })).toBe('tile/1/x001/x234/067');
    expect(tilePath({ level: 0, index: 273, width: 112 })).toBe('tile/0/273.p/112');
    expect(entriesPath(5, 256)).toBe('tile/entries/005');
    expect(entriesPath(5, 3)).toBe('tile/entries/005.p/3');
  });

  it('parses exactly the paths it writes, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 256 }),
        (level, index, width) => {
          expect(parseTilePath(tilePath({ level, index, width }))).toEqual({
            level,
            index,
            width,
            entries: false,
          });
          expect(parseTilePath(entriesPath(index, width))).toEqual({ level: 0, index, width, entries: true });
        },
      ),
    );
    for (const bad of [
      'tile/0/1',
      'tile/0/0001',
      'tile/0/x000/001',
      'tile/0/001/002',
      'tile/64/000',
      'tile/01/000',
      'tile/0/000.p/0',
      'tile/0/000.p/256',
      'tile/0/000.p/010',
      'tile/0/x1/000',
      'tile/entries/000.p/',
      'tile/0/000/',
    ])
      expect(parseTilePath(bad), bad).toBeUndefined();
  });
});

describe('tiles of a tree', () => {
  it('names the partial tiles a client needs for a root (the spec example, size 70000)', () => {
    expect(tilesForRoot(70_000).map(tilePath)).toEqual([
      'tile/2/000.p/1',
      'tile/1/001.p/17',
      'tile/0/273.p/112',
    ]);
    expect(tilesForRoot(256).map(tilePath)).toEqual(['tile/1/000.p/1']);
    expect(tilesForRoot(0)).toEqual([]);
    expect(tileWidth(0, 272, 70_000)).toBe(256);
    expect(tileWidth(0, 273, 70_000)).toBe(112);
    expect(tileWidth(0, 274, 70_000)).toBe(0);
  });

  it('recomputes the RFC 9162 root of any tree from those tiles alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), (size) => {
        const read = referenceTree(size);
        const served = new Map(tilesForRoot(size).map((t) => [tilePath(t), tileBytes(read, t)]));
        const root = rootFromTiles(size, (t: TileAddress) => {
          const bytes = served.get(tilePath(t));
          if (!bytes) throw new Error(`not served: ${tilePath(t)}`);
          return bytes;
        });
        expect(Buffer.from(root)).toEqual(Buffer.from(rootHash(read, size)));
      }),
      { numRuns: 60 },
    );
  });

  it('accepts a longer (full) tile in place of a partial one, and refuses a short one', () => {
    const read = referenceTree(600);
    const full = (t: TileAddress) => tileBytes(read, { ...t, width: tileWidth(t.level, t.index, 600) });
    expect(Buffer.from(rootFromTiles(400, full))).toEqual(Buffer.from(rootHash(read, 400)));
    expect(() => rootFromTiles(400, (t) => tileBytes(read, { ...t, width: t.width - 1 }))).toThrow(
      /too short/,
    );
  });
});

describe('entry bundles', () => {
  it('round-trip entries with big-endian uint16 length prefixes', () => {
    const entries = [new Uint8Array(0), new TextEncoder().encode('{"v":1}'), new Uint8Array(300).fill(7)];
    const bundle = entryBundle(entries);
    expect([...bundle.subarray(0, 2)]).toEqual([0, 0]);
    expect([...bundle.subarray(2, 4)]).toEqual([0, 7]);
    expect(parseEntryBundle(bundle).map((e) => Buffer.from(e))).toEqual(entries.map((e) => Buffer.from(e)));
    expect(() => parseEntryBundle(bundle.subarray(0, bundle.length - 1))).toThrow(/truncated/);
    expect(() => entryBundle([new Uint8Array(65_536)])).toThrow(RangeError);
  });
});
