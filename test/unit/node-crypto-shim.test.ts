import type * as NodeCrypto from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Buffer as BrowserBuffer } from '../../web/src/crypto/buffer';
import * as shim from '../../web/src/crypto/node-crypto-shim';

// shared/core below runs on the shim, exactly as in the browser (Vite aliases node:crypto there).
vi.mock('node:crypto', async () => {
  const actual = await vi.importActual<typeof NodeCrypto>('node:crypto');
  const browser = await import('../../web/src/crypto/node-crypto-shim');
  // randomUUID only for this test's fixtures; shared/core's verification never calls it.
  return { ...browser, randomUUID: actual.randomUUID };
});

const node = await vi.importActual<typeof NodeCrypto>('node:crypto');
const { signCheckpoint } = await import('../../shared/core/checkpoint');
const { entryBytes } = await import('../../shared/core/log-entry');
const { appendNodes, hashLeaf, inclusionProof, rootHash } = await import('../../shared/core/merkle');
const { ReceiptError, verifyReceipt } = await import('../../shared/core/receipt');
const { formatVerifierKey } = await import('../../shared/core/signed-note');

const keyPair = () => {
  const { privateKey, publicKey } = node.generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x as string;
  return { privateKey, x, raw: new Uint8Array(Buffer.from(x, 'base64url')) };
};

describe('Buffer (browser) matches Node for the encodings shared/core uses', () => {
  it('is the buffer package, not the one of Node', () => {
    expect(BrowserBuffer).not.toBe(Buffer);
  });

  it.each([0, 1, 2, 3, 31, 32, 33, 64])('base64url, base64 and hex of %i bytes', (length) => {
    const bytes = node.randomBytes(length);
    // Bytes whose base64 has '+' and '/' as well.
    const tricky = Buffer.concat([bytes, Buffer.from([0xfb, 0xff, 0xfe])]);
    for (const b of [bytes, tricky]) {
      for (const encoding of ['base64url', 'base64', 'hex'] as const) {
        const text = Buffer.from(b).toString(encoding);
        expect(BrowserBuffer.from(b).toString(encoding)).toBe(text);
        expect(Buffer.from(BrowserBuffer.from(text, encoding)).equals(b)).toBe(true);
      }
    }
  });
});

describe('createHash (browser) matches node:crypto', () => {
  const inputs: (string | Uint8Array)[][] = [
    [],
    ['abc'],
    ['stempel\n', new Uint8Array([1, 2, 3]), 'Größe ✓'],
    [new Uint8Array(100_000).fill(7)],
  ];
  it.each(inputs.map((parts) => [parts]))('sha256 of %#', (parts) => {
    const ours = shim.createHash('sha256');
    const theirs = node.createHash('sha256');
    for (const part of parts) {
      ours.update(part);
      theirs.update(part);
    }
    const digest = ours.digest();
    const expected = theirs.digest();
    expect(Buffer.from(digest).equals(expected)).toBe(true);
    // signed-note.ts reads the key hash this way.
    expect(digest.readUInt32BE(0)).toBe(expected.readUInt32BE(0));
  });

  it('encodes the digest as node does', () => {
    expect(shim.createHash('sha256').update('x').digest('hex')).toBe(
      node.createHash('sha256').update('x').digest('hex'),
    );
    expect(shim.createHash('sha256').update('x').digest('base64')).toBe(
      node.createHash('sha256').update('x').digest('base64'),
    );
  });

  it('refuses other algorithms instead of hashing with the wrong one', () => {
    expect(() => shim.createHash('sha512')).toThrow(/only sha256/);
  });
});

describe('createPublicKey + verify (browser) match node:crypto for Ed25519', () => {
  const jwk = (x: string) => ({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' as const });

  it('accepts what node accepts and refuses what node refuses', () => {
    const { privateKey, x } = keyPair();
    const message = new TextEncoder().encode('stempel.test/log\n3\nAAAA\n');
    const signature = new Uint8Array(node.sign(null, message, privateKey));
    const tamperedMessage = Uint8Array.from(message, (b, i) => (i === 0 ? b ^ 1 : b));
    const tamperedSignature = Uint8Array.from(signature, (b, i) => (i === 10 ? b ^ 1 : b));
    const otherKey = keyPair().x;
    const cases: [Uint8Array, Uint8Array, string][] = [
      [message, signature, x],
      [tamperedMessage, signature, x],
      [message, tamperedSignature, x],
      [message, signature, otherKey],
      [message, signature.subarray(0, 63), x],
    ];
    const outcomes = cases.map(([m, s, k]) => [
      shim.verify(null, m, shim.createPublicKey(jwk(k)), s),
      node.verify(null, m, node.createPublicKey(jwk(k)), s),
    ]);
    expect(outcomes).toEqual([
      [true, true],
      [false, false],
      [false, false],
      [false, false],
      [false, false],
    ]);
  });

  it('refuses a key that is not Ed25519 or not 32 bytes', () => {
    expect(() =>
      shim.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: keyPair().x }, format: 'jwk' }),
    ).toThrow();
    expect(() => shim.createPublicKey(jwk(Buffer.alloc(31, 1).toString('base64url')))).toThrow();
  });
});

/** A log of three entries and a receipt for entry 1, signed with node:crypto. */
async function receiptFixture() {
  const { privateKey, raw } = keyPair();
  const origin = 'stempel.test/notarizations';
  const entries = [0, 1, 2].map((i) =>
    entryBytes({
      id: randomUUID(),
      sha256: String(i).repeat(64),
      receivedAt: '2026-01-01T00:00:00.000Z',
      owner: 'u1',
    }),
  );
  const nodes = new Map<string, Uint8Array>();
  const read = (level: number, index: number) => nodes.get(`${level}/${index}`) as Uint8Array;
  const leaves = entries.map((e) => hashLeaf(new TextEncoder().encode(e)));
  for (const [level, index, hash] of appendNodes(read, 0, leaves)) nodes.set(`${level}/${index}`, hash);
  const signer = {
    sign: async (m: Uint8Array) => new Uint8Array(node.sign(null, m, privateKey)),
    publicKey: async () => raw,
  };
  const checkpoint = await signCheckpoint({ origin, size: 3, rootHash: rootHash(read, 3) }, signer);
  const receipt = {
    v: 1,
    entry: entries[1] as string,
    index: 1,
    treeSize: 3,
    inclusionProof: inclusionProof(read, 1, 3).map((h) => Buffer.from(h).toString('base64')),
    checkpoint,
  };
  return { receipt, key: formatVerifierKey(origin, raw), sha256: '1'.repeat(64) };
}

const failureOf = (fn: () => unknown) => {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof ReceiptError) return err.failure;
    throw err;
  }
};

describe('shared/core verifyReceipt on the browser shim', () => {
  it('accepts a good receipt and names the part of a bad one', async () => {
    const { receipt, key, sha256 } = await receiptFixture();
    const other = await receiptFixture();
    // A character past the 4-byte key hash: the signature bytes themselves.
    const badSignature = receipt.checkpoint.replace(
      / (\S{12})(\S)(\S+)\n$/,
      (_, head: string, char: string, tail: string) => ` ${head}${char === 'A' ? 'B' : 'A'}${tail}\n`,
    );
    expect(badSignature).not.toBe(receipt.checkpoint);
    const badProof = { ...receipt, inclusionProof: [...receipt.inclusionProof].reverse() };
    expect(verifyReceipt(sha256, receipt, key).index).toBe(1);
    expect(failureOf(() => verifyReceipt('2'.repeat(64), receipt, key))).toBe('document_mismatch');
    expect(failureOf(() => verifyReceipt(sha256, { ...receipt, checkpoint: badSignature }, key))).toBe(
      'signature',
    );
    expect(failureOf(() => verifyReceipt(sha256, receipt, other.key))).toBe('signature');
    expect(failureOf(() => verifyReceipt(sha256, badProof, key))).toBe('inclusion');
    expect(failureOf(() => verifyReceipt(sha256, { v: 1 }, key))).toBe('malformed_receipt');
  });
});
