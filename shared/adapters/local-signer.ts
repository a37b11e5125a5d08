import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Signer } from '../ports/signer';

/**
 * Ed25519 key in a PEM file under the local data directory, generated on first
 * use (mode 0600). Stands in for KMS, which has no faithful local emulator.
 */
export class LocalSigner implements Signer {
  private readonly privateKey: KeyObject;

  constructor(pemPath: string) {
    if (!existsSync(pemPath)) {
      mkdirSync(dirname(pemPath), { recursive: true, mode: 0o700 });
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(pemPath, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        mode: 0o600,
        flag: 'wx',
      });
    }
    this.privateKey = createPrivateKey(readFileSync(pemPath));
    if (this.privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${pemPath} is not an Ed25519 key`);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign(null, message, this.privateKey));
  }

  async publicKey(): Promise<Uint8Array> {
    const jwk = createPublicKey(this.privateKey).export({ format: 'jwk' });
    return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
  }
}
