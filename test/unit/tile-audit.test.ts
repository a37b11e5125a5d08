import { describe, expect, it } from 'vitest';
import { HASH_SIZE } from '../../shared/core/merkle';
import {
  auditAllTiles,
  checkRootFromTiles,
  consistencyProofFromTiles,
  TileAuditError,
} from '../../shared/core/tile-audit';
import { bundlePrefix, tileKey } from '../../shared/core/tile-log';
import { parseTilePath, rootFromTiles, type TileAddress } from '../../shared/core/tiles';
import { checkGrowth } from '../../shared/core/witness';
import { growTiles } from '../support/tiles';

const ORIGIN = 'stempel.test/tile-audit';

/** Serves a grown log as a tlog-tiles server would: exactly the width a path asks for. */
function served(log: ReturnType<typeof growTiles>, tamper?: (path: string, bytes: Uint8Array) => Uint8Array) {
  const paths: string[] = [];
  const fetch = async (path: string) => {
    paths.push(path);
    const address = parseTilePath(path);
    if (!address) throw new Error(`bad path ${path}`);
    const stored = address.entries ? log.bundles.get(address.index) : log.tiles.get(tileKey(address));
    if (!stored) throw new Error(`404 ${path}`);
    const bytes = address.entries
      ? (bundlePrefix(stored, address.width) as Uint8Array)
      : stored.subarray(0, address.width * HASH_SIZE);
    return tamper ? tamper(path, Uint8Array.from(bytes)) : bytes;
  };
  return { fetch, paths };
}

const treeOf = (log: ReturnType<typeof growTiles>, size = log.size) => ({
  origin: ORIGIN,
  size,
  rootHash: rootFromTiles(size, (t: TileAddress) => log.tiles.get(tileKey(t)) as Uint8Array),
});

const flip = (at: string) => (path: string, bytes: Uint8Array) => {
  if (path === at) bytes[5] = (bytes[5] as number) ^ 1;
  return bytes;
};

describe('auditing a log through its tiles', () => {
  const log = growTiles([100, 500, 90]); // 690 entries: two full leaf tiles and a partial one

  it('recomputes the signed root from the right edge only', async () => {
    const { fetch, paths } = served(log);
    await checkRootFromTiles(treeOf(log), fetch);
    expect(paths.sort()).toEqual(['tile/0/002.p/178', 'tile/1/000.p/2']);
    await expect(checkRootFromTiles(treeOf(log), served(log, flip('tile/1/000.p/2')).fetch)).rejects.toThrow(
      TileAuditError,
    );
  });

  it('proves growth from an earlier size with a proof built from tiles, which need not be trusted', async () => {
    for (const from of [1, 99, 256, 300, 512, 689, 690]) {
      const proof = await consistencyProofFromTiles(from, log.size, served(log).fetch);
      expect(checkGrowth(treeOf(log, from), treeOf(log), proof), `from ${from}`).toMatchObject({ ok: true });
    }
    const forged = await consistencyProofFromTiles(300, log.size, served(log, flip('tile/0/001')).fetch);
    expect(checkGrowth(treeOf(log, 300), treeOf(log), forged)).toMatchObject({ ok: false });
  });

  it('checks every entry and tile of the whole tree, and names what is wrong', async () => {
    const { fetch, paths } = served(log);
    expect(await auditAllTiles(treeOf(log), fetch)).toBe(690);
    expect(new Set(paths)).toEqual(
      new Set([
        'tile/0/000',
        'tile/0/001',
        'tile/0/002.p/178',
        'tile/1/000.p/2',
        'tile/entries/000',
        'tile/entries/001',
        'tile/entries/002.p/178',
      ]),
    );
    for (const [path, message] of [
      ['tile/0/001', /tile\/0\/001 does not hash to its parent/],
      ['tile/entries/000', /entry \d+ in tile\/entries\/000 does not hash to its leaf/],
      ['tile/entries/002.p/178', /does not hash to its leaf/],
      ['tile/0/002.p/178', /root other than the signed one/],
    ] as const) {
      await expect(auditAllTiles(treeOf(log), served(log, flip(path)).fetch), path).rejects.toThrow(message);
    }
    const short = served(log, (path, bytes) => (path === 'tile/0/000' ? bytes.subarray(32) : bytes));
    await expect(auditAllTiles(treeOf(log), short.fetch)).rejects.toThrow(/has 8160 bytes, not 8192/);
  });
});
