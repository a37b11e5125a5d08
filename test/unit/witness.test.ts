import { describe, expect, it } from 'vitest';
import {
  appendNodes,
  consistencyProof,
  emptyRoot,
  hashLeaf,
  type NodeReader,
  rootHash,
} from '../../shared/core/merkle';
import { checkGrowth, parseConsistencyProof } from '../../shared/core/witness';

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
const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');
const answer = (from: number, to: number, proof: string[]) => JSON.stringify({ from, to, proof });

describe('a witness checking that the log only grew', () => {
  const proof = consistencyProof(read, 3, 9).map(b64);

  it('accepts the served proof, and growth from the empty log with no proof', () => {
    const hashes = parseConsistencyProof(answer(3, 9, proof), 3, 9);
    expect(hashes).toHaveLength(proof.length);
    expect(checkGrowth(at(3), at(9), hashes ?? [])).toEqual({ ok: true, grewBy: 6 });
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

  it('refuses proof hashes in any spelling but canonical base64 of 32 bytes', () => {
    const last = proof[0] as string;
    // "=" padding with nonzero unused bits decodes to the same bytes in a lenient decoder.
    const respelled = `${last.slice(0, -2)}${String.fromCharCode(last.charCodeAt(last.length - 2) + 1)}=`;
    expect(Buffer.from(respelled, 'base64')).toEqual(Buffer.from(last, 'base64'));
    for (const bad of [
      [respelled, ...proof.slice(1)],
      [last.replace(/=$/, ''), ...proof.slice(1)],
      [` ${last}`, ...proof.slice(1)],
      [last.replace(/\+|\//, '-'), ...proof.slice(1)],
      [Buffer.alloc(31).toString('base64'), ...proof.slice(1)],
      [42, ...proof.slice(1)],
    ]) {
      expect(parseConsistencyProof(answer(3, 9, bad as string[]), 3, 9)).toBeUndefined();
    }
  });

  it('refuses an answer for other sizes, or that is not the expected JSON', () => {
    expect(parseConsistencyProof(answer(2, 9, proof), 3, 9)).toBeUndefined();
    expect(parseConsistencyProof(answer(3, 8, proof), 3, 9)).toBeUndefined();
    expect(parseConsistencyProof('not json', 3, 9)).toBeUndefined();
    expect(parseConsistencyProof('null', 3, 9)).toBeUndefined();
    expect(parseConsistencyProof(JSON.stringify({ from: 3, to: 9, proof: 'x' }), 3, 9)).toBeUndefined();
  });
});
