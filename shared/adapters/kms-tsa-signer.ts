import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { TsaSigner } from '../ports/tsa-signer';

const SIGNING_ALGORITHM = { ES256: 'ECDSA_SHA_256', ES384: 'ECDSA_SHA_384' } as const;

/**
 * The time-stamp authority's key in KMS (key spec ECC_NIST_P256 or
 * ECC_NIST_P384, usage SIGN_VERIFY), so the private key never leaves it. KMS
 * hashes the message itself (MessageType RAW, at most 4,096 bytes: a token's
 * signed attributes are a few hundred) and answers a DER ECDSA-Sig-Value,
 * which is what CMS carries. The certificate chain is the deployment's, handed in.
 */
export class KmsTsaSigner implements TsaSigner {
  constructor(
    private readonly keyId: string,
    readonly algorithm: 'ES256' | 'ES384',
    private readonly chain: () => Promise<Uint8Array[]>,
    private readonly kms = new KMSClient({}),
  ) {}

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: data,
        MessageType: 'RAW',
        SigningAlgorithm: SIGNING_ALGORITHM[this.algorithm],
      }),
    );
    if (!Signature) throw new Error('KMS returned no signature');
    return Signature;
  }

  certificateChain(): Promise<Uint8Array[]> {
    return this.chain();
  }
}
