import { createHash } from 'node:crypto';

/**
 * The RFC 9162 (Certificate Transparency v2, same tree as RFC 6962) Merkle
 * tree: hashing, inclusion and consistency proofs, and their verification.
 * Sizes and indices are plain numbers (exact up to 2^53); bit operations are
 * done arithmetically because JavaScript's are 32-bit.
 */

export type Hash = Uint8Array;

export const HASH_SIZE = 32;

const sha256 = (...parts: Uint8Array[]): Hash => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

export const emptyRoot = (): Hash => sha256();
export const hashLeaf = (entry: Uint8Array): Hash => sha256(LEAF_PREFIX, entry);
export const hashChildren = (left: Hash, right: Hash): Hash => sha256(NODE_PREFIX, left, right);

/** The largest power of two strictly smaller than n (n ≥ 2). */
export const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;
const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/**
 * Reads the hash of a perfect subtree: the node at `level` (0 = leaves) and
 * `index`, covering leaves [index·2^level, (index+1)·2^level). Such nodes never
 * change once the log has grown past them, which is what makes them storable.
 */
export type NodeReader = (level: number, index: number) => Hash;

/** MTH(D[start:end]) from perfect-subtree nodes: O(log n) reads. */
export function subtreeHash(read: NodeReader, start: number, end: number): Hash {
  const n = end - start;
  if (n === 0) return emptyRoot();
  if (isPowerOfTwo(n) && start % n === 0) return read(Math.log2(n), start / n);
  const k = splitPoint(n);
  return hashChildren(subtreeHash(read, start, start + k), subtreeHash(read, start + k, end));
}

export const rootHash = (read: NodeReader, size: number): Hash => subtreeHash(read, 0, size);

/** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, for leaf `index` of a tree of `size`. */
export function inclusionProof(read: NodeReader, index: number, size: number): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const path = (m: number, start: number, end: number): Hash[] => {
    const n = end - start;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...path(m, start, start + k), subtreeHash(read, start + k, end)]
      : [...path(m - k, start + k, end), subtreeHash(read, start, start + k)];
  };
  return path(index, 0, size);
}

/** PROOF(m, D[n]) of RFC 9162 §2.1.4.1, that the tree of size `from` is a prefix of the tree of size `to`. */
export function consistencyProof(read: NodeReader, from: number, to: number): Hash[] {
  if (!(from >= 0 && from <= to)) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  const subproof = (m: number, start: number, end: number, complete: boolean): Hash[] => {
    const n = end - start;
    if (m === n) return complete ? [] : [subtreeHash(read, start, end)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, start, start + k, complete), subtreeHash(read, start + k, end)]
      : [...subproof(m - k, start + k, end, false), subtreeHash(read, start, start + k)];
  };
  return subproof(from, 0, to, true);
}

/** RFC 9162's "right-shift both fn and sn until either LSB(fn) is set or fn is 0" (at least once). */
const climbToRightChild = (fn: number, sn: number): [number, number] => {
  do {
    fn = half(fn);
    sn = half(sn);
  } while (!odd(fn) && fn !== 0);
  return [fn, sn];
};

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 9162 §2.1.3.2: recomputes the root from a leaf hash and its inclusion path. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Hash,
  proof: readonly Hash[],
): Hash | undefined {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size))
    return undefined;
  if (leafHash.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (odd(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!odd(fn)) [fn, sn] = climbToRightChild(fn, sn);
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== undefined && equal(computed, root);
}

/** RFC 9162 §2.1.4.2: is the tree (`from`, `fromRoot`) a prefix of (`to`, `toRoot`)? */
export function verifyConsistency(
  from: number,
  to: number,
  fromRoot: Hash,
  toRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to)) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (from === to) return proof.length === 0 && equal(fromRoot, toRoot);
  if (from === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Hash;
  let sr = path[0] as Hash;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!odd(fn)) [fn, sn] = climbToRightChild(fn, sn);
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, fromRoot) && equal(sr, toRoot);
}

/**
 * The perfect-subtree nodes that appending `leafHashes` at position `size`
 * completes, given the tree's current frontier (its perfect subtrees
 * right-to-left are what `read` must answer for). Returns every new node,
 * leaves included, as [level, index, hash].
 */
export function appendNodes(
  read: NodeReader,
  size: number,
  leafHashes: readonly Hash[],
): [number, number, Hash][] {
  const created = new Map<string, Hash>();
  const out: [number, number, Hash][] = [];
  const get = (level: number, index: number): Hash => created.get(`${level}/${index}`) ?? read(level, index);
  leafHashes.forEach((leaf, i) => {
    let level = 0;
    let index = size + i;
    let hash = leaf;
    created.set(`0/${index}`, hash);
    out.push([0, index, hash]);
    // A right child completes its parent: climb while we are a right child.
    while (odd(index)) {
      hash = hashChildren(get(level, index - 1), hash);
      level += 1;
      index = half(index);
      created.set(`${level}/${index}`, hash);
      out.push([level, index, hash]);
    }
  });
  return out;
}

/** Which nodes a computation reads, found by running it once against a recording reader. */
export function nodesRead(compute: (read: NodeReader) => unknown): [number, number][] {
  const seen = new Map<string, [number, number]>();
  compute((level, index) => {
    seen.set(`${level}/${index}`, [level, index]);
    return new Uint8Array(HASH_SIZE);
  });
  return [...seen.values()];
}
