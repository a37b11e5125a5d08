import { GenerateMacCommand, KMSClient, KMSInvalidMacException, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { MessageAuthenticator } from '../ports/message-authenticator';

const ALGORITHM = 'HMAC_SHA_256';

/** A KMS HMAC key (HMAC_256, GENERATE_VERIFY_MAC): the key never leaves KMS. */
export class KmsMessageAuthenticator implements MessageAuthenticator {
  constructor(
    private readonly keyId: string,
    private readonly kms = new KMSClient({}),
  ) {}

  async mac(message: Uint8Array): Promise<Uint8Array> {
    const { Mac } = await this.kms.send(
      new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: ALGORITHM, Message: message }),
    );
    if (!Mac) throw new Error('KMS returned no MAC');
    return Mac;
  }

  async verify(message: Uint8Array, tag: Uint8Array): Promise<boolean> {
    if (tag.length !== 32) return false;
    try {
      const { MacValid } = await this.kms.send(
        new VerifyMacCommand({ KeyId: this.keyId, MacAlgorithm: ALGORITHM, Message: message, Mac: tag }),
      );
      return MacValid === true;
    } catch (err) {
      // KMS answers a wrong tag with an exception, not with MacValid: false.
      if (err instanceof KMSInvalidMacException) return false;
      throw err;
    }
  }
}
