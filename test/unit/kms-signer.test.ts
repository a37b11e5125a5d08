import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsSigner } from '../../shared/adapters/kms-signer';

const kms = mockClient(KMSClient);
const { publicKey, privateKey } = generateKeyPairSync('ed25519');

beforeEach(() => {
  kms.reset();
  kms
    .on(SignCommand)
    .callsFake((input: { Message: Uint8Array }) => ({ Signature: sign(null, input.Message, privateKey) }));
  kms.on(GetPublicKeyCommand).resolves({ PublicKey: publicKey.export({ format: 'der', type: 'spki' }) });
});

describe('KMS signer', () => {
  it('asks KMS for plain Ed25519 over the raw message', async () => {
    const signer = new KmsSigner('alias/stempel-tokens', new KMSClient({ region: 'eu-central-1' }));
    const message = new TextEncoder().encode('hello');
    const signature = await signer.sign(message);
    expect(kms.commandCalls(SignCommand)[0]?.args[0].input).toEqual({
      KeyId: 'alias/stempel-tokens',
      Message: message,
      MessageType: 'RAW',
      SigningAlgorithm: 'ED25519_SHA_512',
    });
    expect(verify(null, message, publicKey, signature)).toBe(true);
  });

  it('derives the raw 32-byte public key from the SPKI and fetches it once', async () => {
    const signer = new KmsSigner('key-1', new KMSClient({ region: 'eu-central-1' }));
    const raw = await signer.publicKey();
    await signer.publicKey();
    expect(Buffer.from(raw).toString('base64url')).toBe(publicKey.export({ format: 'jwk' }).x);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it('refuses a key that is not Ed25519, and retries after a failure', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    kms
      .on(GetPublicKeyCommand)
      .resolvesOnce({ PublicKey: rsa.export({ format: 'der', type: 'spki' }) })
      .resolves({ PublicKey: publicKey.export({ format: 'der', type: 'spki' }) });
    const signer = new KmsSigner('key-2', new KMSClient({ region: 'eu-central-1' }));
    await expect(signer.publicKey()).rejects.toThrow(/not an Ed25519 key/);
    expect((await signer.publicKey()).length).toBe(32);
  });
});
