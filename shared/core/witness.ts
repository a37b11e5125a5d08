import type { Checkpoint } from './checkpoint';
import { emptyRoot, verifyConsistency } from './merkle';

export type GrowthVerdict =
  | { readonly ok: true; readonly grewBy: number }
  | { readonly ok: false; readonly reason: string };

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * A witness's check that the log only grew from `earlier` to `later`: same
 * origin, no shrinking, same root at the same size, and a valid RFC 9162
 * consistency proof otherwise.
 */
export function checkGrowth(
  earlier: Checkpoint,
  later: Checkpoint,
  proof: readonly Uint8Array[],
): GrowthVerdict {
  if (earlier.origin !== later.origin)
    return { ok: false, reason: `origin changed from ${earlier.origin} to ${later.origin}` };
  if (later.size < earlier.size)
    return { ok: false, reason: `the log shrank from ${earlier.size} to ${later.size} entries` };
  if (earlier.size === 0 && !same(earlier.rootHash, emptyRoot()))
    return { ok: false, reason: 'the checkpoint of the empty log has a root other than the empty hash' };
  if (later.size === earlier.size) {
    return same(earlier.rootHash, later.rootHash)
      ? { ok: true, grewBy: 0 }
      : { ok: false, reason: `two different roots for size ${later.size}: the log forked` };
  }
  if (!verifyConsistency(earlier.size, later.size, earlier.rootHash, later.rootHash, proof)) {
    return {
      ok: false,
      reason: `the consistency proof from ${earlier.size} to ${later.size} does not verify: history was rewritten`,
    };
  }
  return { ok: true, grewBy: later.size - earlier.size };
}
