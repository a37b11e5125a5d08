import { createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { Signer } from '../ports/signer';

/**
 * Signs with a KMS asymmetric key of spec ECC_NIST_EDWARDS25519 using
 * ED25519_SHA_512 over the raw message (plain Ed25519), so the private key
 * never leaves KMS. The public key is fetched once per process.
 */
export class KmsSigner implements Signer {
  private publicKeyBytes?: Promise<Uint8Array>;

  constructor(
    private readonly keyId: string,
    private readonly kms = new KMSClient({}),
  ) {}

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: 'ED25519_SHA_512',
      }),
    );
    if (!Signature) throw new Error('KMS returned no signature');
    return Signature;
  }

  publicKey(): Promise<Uint8Array> {
    this.publicKeyBytes ??= this.kms
      .send(new GetPublicKeyCommand({ KeyId: this.keyId }))
      .then(({ PublicKey }) => {
        if (!PublicKey) throw new Error('KMS returned no public key');
        const jwk = createPublicKey({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' }).export({
          format: 'jwk',
        });
        if (jwk.crv !== 'Ed25519') throw new Error('the KMS key is not an Ed25519 key');
        return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
      });
    this.publicKeyBytes.catch(() => {
      this.publicKeyBytes = undefined; // retry on the next call instead of caching a failure
    });
    return this.publicKeyBytes;
  }
}
