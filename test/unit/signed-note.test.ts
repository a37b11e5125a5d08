import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkpointBody, openCheckpoint, signCheckpoint } from '../../shared/core/checkpoint';
import {
  formatVerifierKey,
  keyHash,
  openNote,
  parseVerifierKey,
  signNote,
} from '../../shared/core/signed-note';
import type { Signer } from '../../shared/ports/signer';

// The example key and note of the Go reference implementation (golang.org/x/mod/sumdb/note).
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const SKEY_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const NOTE = `${TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

const signerFromSeed = (seed: Uint8Array, publicKey: Uint8Array): Signer => {
  const key = createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: Buffer.from(seed).toString('base64url'),
      x: Buffer.from(publicKey).toString('base64url'),
    },
    format: 'jwk',
  });
  return { sign: async (m) => new Uint8Array(sign(null, m, key)), publicKey: async () => publicKey };
};

const randomSigner = (): Signer => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return {
    sign: async (m) => new Uint8Array(sign(null, m, privateKey)),
    publicKey: async () => new Uint8Array(raw),
  };
};

describe('signed notes against the Go reference example', () => {
  const key = parseVerifierKey(VKEY);

  it('parses the verifier key and recomputes its key hash', () => {
    expect(key.name).toBe('PeterNeumann');
    expect(key.keyHash.toString(16)).toBe('c74f20a3');
    expect(keyHash('PeterNeumann', key.publicKey)).toBe(0xc74f20a3);
    expect(formatVerifierKey('PeterNeumann', key.publicKey)).toBe(VKEY);
  });

  it('signs byte for byte as the reference does, and opens its note', async () => {
    expect(await signNote(TEXT, 'PeterNeumann', signerFromSeed(SKEY_SEED, key.publicKey))).toBe(NOTE);
    expect(openNote(NOTE, key)).toBe(TEXT);
  });

  it('refuses a note altered in any single byte of its text', () => {
    for (let i = 0; i < TEXT.length; i++) {
      const altered = `${TEXT.slice(0, i)}${String.fromCharCode(TEXT.charCodeAt(i) ^ 1)}${NOTE.slice(i + 1)}`;
      expect(() => openNote(altered, key), `byte ${i}`).toThrow();
    }
  });

  it('refuses mangled verifier keys', () => {
    expect(() =>
      parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    ).toThrow(/hash/);
    expect(() =>
      parseVerifierKey('PeterNeumann+c74f20a3+ApRc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    ).toThrow();
    expect(() => parseVerifierKey('PeterNeumann+c74f20a3')).toThrow();
    expect(() => parseVerifierKey(VKEY.slice(0, -4))).toThrow();
  });
});

describe('checkpoints', () => {
  const checkpoint = { origin: 'stempel.test/log', size: 42, rootHash: new Uint8Array(32).fill(7) };

  it('round-trips through the C2SP format', async () => {
    const signer = randomSigner();
    const note = await signCheckpoint(checkpoint, signer);
    expect(
      note.startsWith(
        `stempel.test/log\n42\n${Buffer.alloc(32, 7).toString('base64')}\n\n— stempel.test/log `,
      ),
    ).toBe(true);
    const vkey = parseVerifierKey(formatVerifierKey('stempel.test/log', await signer.publicKey()));
    expect(openCheckpoint(note, vkey)).toEqual(checkpoint);
  });

  it('says why a checkpoint is refused', async () => {
    const signer = randomSigner();
    const other = randomSigner();
    const note = await signCheckpoint(checkpoint, signer);
    const vkey = parseVerifierKey(formatVerifierKey('stempel.test/log', await signer.publicKey()));
    const otherKey = parseVerifierKey(formatVerifierKey('stempel.test/log', await other.publicKey()));
    expect(() => openCheckpoint(note, otherKey)).toThrow('not signed by this key');
    expect(() => openCheckpoint(note.replace('\n42\n', '\n43\n'), vkey)).toThrow('signature is invalid');
    expect(() => openCheckpoint(note.slice(0, -10), vkey)).toThrow();
    expect(() => openCheckpoint(checkpointBody(checkpoint), vkey)).toThrow('no signature');
    const resigned = await signCheckpoint(checkpoint, other);
    expect(() => openCheckpoint(resigned, vkey)).toThrow('not signed by this key');
  });
});
