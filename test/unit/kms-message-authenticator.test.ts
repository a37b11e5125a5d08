import { createHmac, randomBytes } from 'node:crypto';
import { GenerateMacCommand, KMSClient, KMSInvalidMacException, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsMessageAuthenticator } from '../../shared/adapters/kms-message-authenticator';

const kms = mockClient(KMSClient);
const key = randomBytes(32);
const hmac = (m: Uint8Array) => createHmac('sha256', key).update(m).digest();

beforeEach(() => {
  kms.reset();
  kms.on(GenerateMacCommand).callsFake((input: { Message: Uint8Array }) => ({ Mac: hmac(input.Message) }));
  // Like KMS: a wrong MAC is an exception, not MacValid: false.
  kms.on(VerifyMacCommand).callsFake((input: { Message: Uint8Array; Mac: Uint8Array }) => {
    if (!hmac(input.Message).equals(Buffer.from(input.Mac)))
      throw new KMSInvalidMacException({ message: 'invalid', $metadata: {} });
    return { MacValid: true };
  });
});

describe('KMS message authenticator', () => {
  const authenticator = () =>
    new KmsMessageAuthenticator('alias/cursors', new KMSClient({ region: 'eu-central-1' }));
  const message = new TextEncoder().encode('position');

  it('asks KMS for HMAC-SHA-256 over the raw message and verifies with it', async () => {
    const tag = await authenticator().mac(message);
    expect(kms.commandCalls(GenerateMacCommand)[0]?.args[0].input).toEqual({
      KeyId: 'alias/cursors',
      MacAlgorithm: 'HMAC_SHA_256',
      Message: message,
    });
    expect(await authenticator().verify(message, tag)).toBe(true);
    expect(kms.commandCalls(VerifyMacCommand)[0]?.args[0].input).toEqual({
      KeyId: 'alias/cursors',
      MacAlgorithm: 'HMAC_SHA_256',
      Message: message,
      Mac: tag,
    });
  });

  it('answers false for a wrong tag, and for a malformed one without asking KMS', async () => {
    const tag = await authenticator().mac(message);
    const wrong = Uint8Array.from(tag, (b, i) => (i === 0 ? b ^ 1 : b));
    expect(await authenticator().verify(message, wrong)).toBe(false);
    const calls = kms.commandCalls(VerifyMacCommand).length;
    expect(await authenticator().verify(message, tag.subarray(0, 31))).toBe(false);
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(calls);
  });

  it('passes on KMS failures other than a wrong MAC', async () => {
    kms.on(VerifyMacCommand).rejects(new Error('throttled'));
    await expect(authenticator().verify(message, new Uint8Array(32))).rejects.toThrow('throttled');
  });
});
