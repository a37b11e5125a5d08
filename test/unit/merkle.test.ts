import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendNodes,
  consistencyProof,
  type Hash,
  hashChildren,
  hashLeaf,
  inclusionProof,
  type NodeReader,
  nodesRead,
  rootHash,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from '../../shared/core/merkle';

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// RFC 6962 test data, as published with Certificate Transparency's reference implementation.
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION: [number, number, string[]][] = [
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CONSISTENCY: [number, number, string[]][] = [
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

/** The tree as RFC 9162 §2.1.1 defines it, straight from the leaf list: the reference. */
const mth = (leaves: Hash[]): Hash => {
  if (leaves.length === 1) return leaves[0] as Hash;
  const k = splitPoint(leaves.length);
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
};

/** Builds the node store by appending in batches, as the integrator does. */
const buildStore = (leafHashes: Hash[], batches: number[] = [leafHashes.length]) => {
  const nodes = new Map<string, Hash>();
  const read: NodeReader = (level, index) => {
    const h = nodes.get(`${level}/${index}`);
    if (!h) throw new Error(`node ${level}/${index} not stored`);
    return h;
  };
  let size = 0;
  for (const b of batches) {
    for (const [l, i, h] of appendNodes(read, size, leafHashes.slice(size, size + b)))
      nodes.set(`${l}/${i}`, h);
    size += b;
  }
  return read;
};

const leafHashes = LEAVES.map(hashLeaf);
const read = buildStore(leafHashes, [1, 2, 3, 2]);

describe('Merkle tree against the RFC 6962 test vectors', () => {
  it('computes every root', () => {
    ROOTS.forEach((root, i) => {
      expect(hex(rootHash(read, i + 1))).toBe(root);
    });
    expect(hex(rootHash(read, 0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it.each(INCLUSION)('inclusion proof for leaf %i in a tree of %i', (index, size, proof) => {
    expect(inclusionProof(read, index, size).map(hex)).toEqual(proof);
    expect(
      verifyInclusion(index, size, leafHashes[index] as Hash, proof.map(unhex), unhex(ROOTS[size - 1] ?? '')),
    ).toBe(true);
  });

  it.each(CONSISTENCY)('consistency proof from %i to %i', (from, to, proof) => {
    expect(consistencyProof(read, from, to).map(hex)).toEqual(proof);
    expect(
      verifyConsistency(from, to, unhex(ROOTS[from - 1] ?? ''), unhex(ROOTS[to - 1] ?? ''), proof.map(unhex)),
    ).toBe(true);
  });

  it('refuses impossible ranges', () => {
    expect(() => inclusionProof(read, 8, 8)).toThrow(RangeError);
    expect(() => consistencyProof(read, 5, 4)).toThrow(RangeError);
    const root = unhex(ROOTS[7] ?? '');
    expect(verifyInclusion(0, 0, leafHashes[0] as Hash, [], root)).toBe(false);
    expect(verifyConsistency(2, 1, root, root, [])).toBe(false);
    expect(verifyConsistency(1, 2, root, root, [])).toBe(false);
  });
});

const flipBit = (proof: Hash[], which: number, bit: number) =>
  proof.map((h, i) => (i === which ? h.map((b, j) => (j === bit >> 3 ? b ^ (1 << (bit & 7)) : b)) : h));

describe('Merkle tree properties (fast-check)', () => {
  const tree = fc
    .integer({ min: 1, max: 300 })
    .chain((size) =>
      fc.record({
        size: fc.constant(size),
        batches: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        seed: fc.integer(),
      }),
    )
    .map(({ size, batches, seed }) => {
      const leaves = Array.from({ length: size }, (_, i) =>
        hashLeaf(new TextEncoder().encode(`${seed}/${i}`)),
      );
      const cuts: number[] = [];
      let left = size;
      for (const b of batches) {
        if (left === 0) break;
        cuts.push(Math.min(b, left));
        left -= Math.min(b, left);
      }
      if (left > 0) cuts.push(left);
      return { leaves, read: buildStore(leaves, cuts) };
    });

  it('stored nodes give the RFC root for every prefix, however the log was batched', () => {
    fc.assert(
      fc.property(tree, ({ leaves, read }) => {
        for (let n = 1; n <= leaves.length; n++)
          expect(hex(rootHash(read, n))).toBe(hex(mth(leaves.slice(0, n))));
      }),
      { numRuns: 40 },
    );
  });

  it('every inclusion proof verifies, and any flipped bit fails it', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), fc.nat({ max: 255 }), ({ leaves, read }, a, b, bit) => {
        const size = (a % leaves.length) + 1;
        const index = b % size;
        const root = rootHash(read, size);
        const proof = inclusionProof(read, index, size);
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        expect(verifyInclusion(index, size, leaves[index] as Hash, proof, root)).toBe(true);
        if (proof.length > 0) {
          expect(
            verifyInclusion(
              index,
              size,
              leaves[index] as Hash,
              flipBit(proof, bit % proof.length, bit),
              root,
            ),
          ).toBe(false);
        }
        const leafFlipped = flipBit([leaves[index] as Hash], 0, bit)[0] as Hash;
        expect(verifyInclusion(index, size, leafFlipped, proof, root)).toBe(false);
        if (size > 1)
          expect(verifyInclusion((index + 1) % size, size, leaves[index] as Hash, proof, root)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('every consistency proof verifies, and any flipped bit fails it', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), fc.nat({ max: 255 }), ({ leaves, read }, a, b, bit) => {
        const to = (a % leaves.length) + 1;
        const from = (b % to) + 1;
        const proof = consistencyProof(read, from, to);
        const fromRoot = rootHash(read, from);
        const toRoot = rootHash(read, to);
        expect(verifyConsistency(from, to, fromRoot, toRoot, proof)).toBe(true);
        if (proof.length > 0) {
          expect(verifyConsistency(from, to, fromRoot, toRoot, flipBit(proof, bit % proof.length, bit))).toBe(
            false,
          );
          expect(verifyConsistency(from, to, flipBit([fromRoot], 0, bit)[0] as Hash, toRoot, proof)).toBe(
            false,
          );
          expect(verifyConsistency(from, to, fromRoot, flipBit([toRoot], 0, bit)[0] as Hash, proof)).toBe(
            false,
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads O(log n) nodes for a proof', () => {
    const size = 1_000_003;
    expect(nodesRead((r) => inclusionProof(r, 123_456, size)).length).toBeLessThanOrEqual(
      2 * Math.ceil(Math.log2(size)),
    );
    expect(nodesRead((r) => consistencyProof(r, 500_001, size)).length).toBeLessThanOrEqual(
      2 * Math.ceil(Math.log2(size)),
    );
  });
});
