import { hkdfSync, randomBytes } from 'node:crypto';
import type { OwnerKeyStore } from '../ports/owner-key-store';
import type { SecretBox } from '../ports/secret-box';

const KEY_BYTES = 32;

/** The KMS encryption context of an owner's wrapped key: it unwraps for this owner and this purpose only. */
const contextFor = (owner: string) => ({ purpose: 'owner-file-key', owner });

/**
 * Each owner's key, created on first use and stored only wrapped. A file is
 * encrypted under a key derived from it and the object key, so the key handed
 * to a client for one file opens that file and no other, and destroying the
 * owner key makes every file of the owner unreadable at once.
 */
export class OwnerKeys {
  constructor(
    private readonly store: OwnerKeyStore,
    private readonly box: Pick<SecretBox, 'seal' | 'open'>,
  ) {}

  /** The file key of `objectKey`, creating the owner's key if they have none yet. */
  async fileKey(owner: string, objectKey: string): Promise<Uint8Array> {
    return deriveFileKey(await this.ownerKey(owner, true), objectKey);
  }

  /** The file key of an existing file; undefined once the owner's key was destroyed. */
  async existingFileKey(owner: string, objectKey: string): Promise<Uint8Array | undefined> {
    const key = await this.ownerKey(owner, false);
    return key && deriveFileKey(key, objectKey);
  }

  /** Crypto-shredding: no file of this owner can be decrypted afterwards, by anyone. */
  async destroy(owner: string): Promise<void> {
    await this.store.delete(owner);
  }

  private async ownerKey(owner: string, create: true): Promise<Uint8Array>;
  private async ownerKey(owner: string, create: false): Promise<Uint8Array | undefined>;
  private async ownerKey(owner: string, create: boolean): Promise<Uint8Array | undefined> {
    const wrapped = await this.store.get(owner);
    if (wrapped) return this.unwrap(owner, wrapped);
    if (!create) return undefined;
    const key = randomBytes(KEY_BYTES);
    if (await this.store.putIfAbsent(owner, await this.box.seal(key.toString('base64'), contextFor(owner))))
      return key;
    // Another request created it first: use theirs, so that every file of the owner has one key.
    const winner = await this.store.get(owner);
    if (!winner) throw new Error('owner key vanished while being created');
    return this.unwrap(owner, winner);
  }

  private async unwrap(owner: string, wrapped: string): Promise<Uint8Array> {
    const key = Buffer.from(await this.box.open(wrapped, contextFor(owner)), 'base64');
    if (key.length !== KEY_BYTES) throw new Error('an owner key is not 256 bits');
    return key;
  }
}

/** HKDF-SHA256(ownerKey, no salt, "stempel/file-key/v1:" + objectKey), 32 bytes. */
export const deriveFileKey = (ownerKey: Uint8Array, objectKey: string): Uint8Array =>
  new Uint8Array(
    hkdfSync('sha256', ownerKey, new Uint8Array(), `stempel/file-key/v1:${objectKey}`, KEY_BYTES),
  );
