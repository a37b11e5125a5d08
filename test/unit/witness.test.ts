import { describe, expect, it } from 'vitest';
import {
  appendNodes,
  consistencyProof,
  emptyRoot,
  hashLeaf,
  type NodeReader,
  rootHash,
} from '../../shared/core/merkle';
import { checkGrowth } from '../../shared/core/witness';

const ORIGIN = 'stempel.test/witness';
const nodes = new Map<string, Uint8Array>();
const read: NodeReader = (l, i) => nodes.get(`${l}/${i}`) as Uint8Array;
for (const [l, i, h] of appendNodes(
  read,
  0,
  Array.from({ length: 9 }, (_, i) => hashLeaf(Uint8Array.of(i))),
))
  nodes.set(`${l}/${i}`, h);
const at = (size: number) => ({ origin: ORIGIN, size, rootHash: rootHash(read, size) });

describe('a witness checking that the log only grew', () => {
  const proof = consistencyProof(read, 3, 9);

  it('accepts a valid proof, and growth from the empty log with no proof', () => {
    expect(checkGrowth(at(3), at(9), proof)).toEqual({ ok: true, grewBy: 6 });
    expect(checkGrowth({ origin: ORIGIN, size: 0, rootHash: emptyRoot() }, at(9), [])).toEqual({
      ok: true,
      grewBy: 9,
    });
  });

  it('refuses an empty log whose root is not the empty hash', () => {
    expect(checkGrowth({ origin: ORIGIN, size: 0, rootHash: rootHash(read, 1) }, at(9), [])).toMatchObject({
      ok: false,
    });
  });
});
