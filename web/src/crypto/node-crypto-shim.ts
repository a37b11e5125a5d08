import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Buffer } from './buffer';

/**
 * The part of `node:crypto` that shared/core's receipt verification uses
 * (merkle.ts, signed-note.ts), for the browser: Vite aliases `node:crypto`
 * here, so the console verifies receipts with the CLI's own code. Anything
 * else throws, so a new use in shared/core cannot silently misbehave.
 * test/unit/node-crypto-shim.test.ts checks it against node:crypto.
 */

type Data = string | Uint8Array;
const bytes = (data: Data) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

class Sha256Hash {
  private readonly state = sha256.create();

  update(data: Data): this {
    this.state.update(bytes(data));
    return this;
  }

  digest(): Buffer;
  digest(encoding: 'hex' | 'base64' | 'base64url'): string;
  digest(encoding?: 'hex' | 'base64' | 'base64url'): Buffer | string {
    const digest = Buffer.from(this.state.digest());
    return encoding ? digest.toString(encoding) : digest;
  }
}

export function createHash(algorithm: string): Sha256Hash {
  if (algorithm.toLowerCase() !== 'sha256')
    throw new Error(`createHash: only sha256 in the browser, not ${algorithm}`);
  return new Sha256Hash();
}

/** An Ed25519 public key, as createPublicKey returns it for an OKP JWK. */
export class Ed25519PublicKey {
  readonly type = 'public';
  readonly asymmetricKeyType = 'ed25519';
  constructor(readonly raw: Uint8Array) {}
}

interface JwkInput {
  readonly key: { readonly kty: string; readonly crv: string; readonly x: string };
  readonly format: 'jwk';
}

export function createPublicKey(input: JwkInput): Ed25519PublicKey {
  const { key, format } = input;
  if (format !== 'jwk' || key.kty !== 'OKP' || key.crv !== 'Ed25519')
    throw new Error('createPublicKey: only Ed25519 JWKs in the browser');
  const raw = new Uint8Array(Buffer.from(key.x, 'base64url'));
  // node:crypto refuses a key that is not a point encoding; so does this.
  if (raw.length !== 32 || !ed25519.utils.isValidPublicKey(raw, false))
    throw new TypeError('Invalid JWK Ed25519 public key');
  return new Ed25519PublicKey(raw);
}

/** `verify(null, data, ed25519Key, signature)`: Ed25519 (RFC 8032, strict encodings as OpenSSL). */
export function verify(
  algorithm: null | undefined,
  data: Uint8Array,
  key: Ed25519PublicKey,
  signature: Uint8Array,
): boolean {
  if (algorithm != null) throw new Error('verify: Ed25519 takes no digest algorithm');
  if (!(key instanceof Ed25519PublicKey)) throw new Error('verify: only Ed25519 public keys in the browser');
  if (signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, data, key.raw, { zip215: false });
  } catch {
    return false;
  }
}
