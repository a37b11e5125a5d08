import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MessageAuthenticator } from '../ports/message-authenticator';

/** Reads the key file, creating it first if needed; several processes may race to create it. */
function loadOrCreateKey(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, randomBytes(32), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, path); // atomic: the first process wins, the others read its key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(draft, { force: true });
  }
  return readFileSync(path);
}

/** HMAC-SHA-256 with a 256-bit key file in the local data directory (mode 0600), standing in for a KMS HMAC key. */
export class LocalMessageAuthenticator implements MessageAuthenticator {
  private readonly key: Buffer;

  constructor(keyPath: string) {
    this.key = loadOrCreateKey(keyPath);
    if (this.key.length !== 32) throw new Error(`${keyPath} is not a 256-bit key`);
  }

  async mac(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(createHmac('sha256', this.key).update(message).digest());
  }

  async verify(message: Uint8Array, tag: Uint8Array): Promise<boolean> {
    const expected = await this.mac(message);
    return tag.length === expected.length && timingSafeEqual(tag, expected);
  }
}
