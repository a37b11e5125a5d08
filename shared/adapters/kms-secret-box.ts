import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox } from '../ports/secret-box';

/**
 * Encrypts with the KMS data key directly (secrets here are a few dozen
 * bytes), binding the context as KMS encryption context: a ciphertext moved to
 * another record, or used for another purpose, does not decrypt.
 */
export class KmsSecretBox implements SecretBox {
  constructor(
    private readonly keyId: string,
    private readonly kms = new KMSClient({}),
  ) {}

  async seal(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const { CiphertextBlob } = await this.kms.send(
      new EncryptCommand({
        KeyId: this.keyId,
        Plaintext: Buffer.from(plaintext, 'utf8'),
        EncryptionContext: { ...context },
      }),
    );
    if (!CiphertextBlob) throw new Error('KMS returned no ciphertext');
    return `kms:${Buffer.from(CiphertextBlob).toString('base64')}`;
  }

  async open(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string> {
    if (!ciphertext.startsWith('kms:')) throw new Error('not a KMS ciphertext');
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(ciphertext.slice(4), 'base64'),
        EncryptionContext: { ...context },
      }),
    );
    if (!Plaintext) throw new Error('KMS returned no plaintext');
    return Buffer.from(Plaintext).toString('utf8');
  }
}
