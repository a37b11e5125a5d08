import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../shared/core/checkpoint';
import { entryBytes } from '../../shared/core/log-entry';
import { appendNodes, hashLeaf, inclusionProof, type NodeReader, rootHash } from '../../shared/core/merkle';
import { type Receipt, ReceiptError, verifyReceipt } from '../../shared/core/receipt';
import { formatVerifierKey } from '../../shared/core/signed-note';
import type { Signer } from '../../shared/ports/signer';

const ORIGIN = 'stempel.test/notarizations';
const signerPair = (): Signer => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url'));
  return { sign: async (m) => new Uint8Array(sign(null, m, privateKey)), publicKey: async () => raw };
};

/**
 * A small log of `n` entries and the receipt of entry `index`; `respell`
 * rewrites that entry's bytes before it is logged (a log that was not Stempel's).
 */
async function makeReceipt(n: number, index: number, signer: Signer, respell = (entry: string) => entry) {
  const entries = Array.from({ length: n }, (_, i) => {
    const entry = entryBytes({
      id: randomUUID(),
      sha256: i.toString(16).padStart(64, '0'),
      receivedAt: '2026-01-01T00:00:00.000Z',
      owner: 'u1',
    });
    return i === index ? respell(entry) : entry;
  });
  const nodes = new Map<string, Uint8Array>();
  const read: NodeReader = (l, i) => nodes.get(`${l}/${i}`) as Uint8Array;
  for (const [l, i, h] of appendNodes(
    read,
    0,
    entries.map((e) => hashLeaf(new TextEncoder().encode(e))),
  ))
    nodes.set(`${l}/${i}`, h);
  const checkpoint = await signCheckpoint({ origin: ORIGIN, size: n, rootHash: rootHash(read, n) }, signer);
  const receipt: Receipt = {
    v: 1,
    entry: entries[index] as string,
    index,
    treeSize: n,
    inclusionProof: inclusionProof(read, index, n).map((h) => Buffer.from(h).toString('base64')),
    checkpoint,
  };
  return { receipt, sha256: index.toString(16).padStart(64, '0') };
}

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReceiptError) return err.failure;
    throw err;
  }
  return 'accepted';
};

describe('receipts', async () => {
  const signer = signerPair();
  const key = formatVerifierKey(ORIGIN, await signer.publicKey());
  const { receipt, sha256 } = await makeReceipt(13, 6, signer);

  it('verifies offline with the document hash and the verifier key', () => {
    expect(verifyReceipt(sha256, receipt, key)).toMatchObject({
      index: 6,
      treeSize: 13,
      origin: ORIGIN,
      entry: { sha256 },
    });
  });

  it('entries are RFC 8785 canonical JSON', () => {
    expect(entryBytes({ sha256: 'ab', owner: 'o', id: 'i', receivedAt: 't' })).toBe(
      '{"id":"i","owner":"o","receivedAt":"t","sha256":"ab","v":1}',
    );
  });

  it('says which check failed', async () => {
    const other = signerPair();
    const resigned = { ...receipt, checkpoint: (await makeReceipt(13, 6, other)).receipt.checkpoint };
    expect(failure(() => verifyReceipt('f'.repeat(64), receipt, key))).toBe('document_mismatch');
    expect(failure(() => verifyReceipt(sha256, { ...receipt, index: 7 }, key))).toBe('inclusion');
    expect(failure(() => verifyReceipt(sha256, { ...receipt, treeSize: 14 }, key))).toBe('inclusion');
    expect(
      failure(() =>
        verifyReceipt(sha256, { ...receipt, inclusionProof: receipt.inclusionProof.slice(1) }, key),
      ),
    ).toBe('inclusion');
    expect(failure(() => verifyReceipt(sha256, resigned, key))).toBe('signature');
    expect(
      failure(() =>
        verifyReceipt(
          sha256,
          { ...receipt, entry: receipt.entry.replace('"owner":"u1"', '"owner":"u2"') },
          key,
        ),
      ),
    ).toBe('inclusion');
    expect(failure(() => verifyReceipt(sha256, { ...receipt, checkpoint: undefined }, key))).toBe(
      'malformed_receipt',
    );
    expect(failure(() => verifyReceipt(sha256, 'not a receipt', key))).toBe('malformed_receipt');
  });

  it.each([
    ['whitespace', (e: string) => e.replace('"v":1', '"v": 1')],
    ['keys out of order', (e: string) => `{"v":1,${e.slice(1, -7)}}`],
    ['a duplicate key', (e: string) => e.replace('"owner":"u1"', '"owner":"u1","owner":"u1"')],
    ['an extra key', (e: string) => e.replace('"v":1', '"v":1,"x":"y"')],
    ['an escaped character', (e: string) => e.replace('"u1"', '"\\u0075\\u0031"')],
    ['a receivedAt that is no time', (e: string) => e.replace('2026-01-01T00:00:00.000Z', 'yesterday')],
  ])('refuses an entry with %s, even when a signed log holds it', async (_label, respell) => {
    const odd = await makeReceipt(5, 2, signer, respell);
    expect(odd.receipt.entry).not.toBe((await makeReceipt(5, 2, signer)).receipt.entry);
    expect(failure(() => verifyReceipt(odd.sha256, odd.receipt, key))).toBe('malformed_receipt');
  });

  it('rejects the receipt altered in any single byte of its JSON', () => {
    const json = JSON.stringify(receipt);
    let accepted = 0;
    for (let i = 0; i < json.length; i++) {
      const altered = `${json.slice(0, i)}${String.fromCharCode(json.charCodeAt(i) ^ 1)}${json.slice(i + 1)}`;
      let parsed: unknown;
      try {
        parsed = JSON.parse(altered);
      } catch {
        continue; // not JSON any more: refused before any check
      }
      if (failure(() => verifyReceipt(sha256, parsed, key)) === 'accepted') accepted++;
    }
    expect(accepted).toBe(0);
  });
});
