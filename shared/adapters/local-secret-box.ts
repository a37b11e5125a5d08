import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import canonicalize from 'canonicalize';
import type { SecretBox } from '../ports/secret-box';

/** AES-256-GCM with a key file in the local data directory (mode 0600), standing in for KMS. */
export class LocalSecretBox implements SecretBox {
  private readonly key: Buffer;

  constructor(keyPath: string) {
    if (!existsSync(keyPath)) {
      mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
      writeFileSync(keyPath, randomBytes(32), { mode: 0o600, flag: 'wx' });
    }
    this.key = readFileSync(keyPath);
    if (this.key.length !== 32) throw new Error(`${keyPath} is not a 256-bit key`);
  }

  async seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(
      Buffer.from(canonicalize(context) ?? ''),
    );
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `gcm:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  async open(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string> {
    if (!ciphertext.startsWith('gcm:')) throw new Error('not a local ciphertext');
    const raw = Buffer.from(ciphertext.slice(4), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12))
      .setAAD(Buffer.from(canonicalize(context) ?? ''))
      .setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
