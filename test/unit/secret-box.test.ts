import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { KmsSecretBox } from '../../shared/adapters/kms-secret-box';
import { LocalSecretBox } from '../../shared/adapters/local-secret-box';

describe('local secret box (AES-256-GCM)', () => {
  const box = new LocalSecretBox(join(mkdtempSync(join(tmpdir(), 'stempel-box-')), 'k.key'));
  const context = { userId: 'u1', purpose: 'totp' };

  it('round-trips, never repeats a ciphertext, and hides the plaintext', async () => {
    const a = await box.seal('JBSWY3DPEHPK3PXP', context);
    expect(a).not.toBe(await box.seal('JBSWY3DPEHPK3PXP', context));
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
    expect(await box.open(a, context)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses another context or a tampered ciphertext', async () => {
    const sealed = await box.seal('secret', context);
    await expect(box.open(sealed, { ...context, userId: 'u2' })).rejects.toThrow();
    const raw = Buffer.from(sealed.slice(4), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    await expect(box.open(`gcm:${raw.toString('base64')}`, context)).rejects.toThrow();
  });
});

describe('KMS secret box', () => {
  it('binds the context as KMS encryption context', async () => {
    const kms = mockClient(KMSClient);
    kms.on(EncryptCommand).resolves({ CiphertextBlob: Buffer.from('blob') });
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from('JBSWY3DPEHPK3PXP') });
    const box = new KmsSecretBox('key-1', new KMSClient({ region: 'eu-central-1' }));
    const sealed = await box.seal('JBSWY3DPEHPK3PXP', { userId: 'u1', purpose: 'totp' });
    expect(sealed).toBe(`kms:${Buffer.from('blob').toString('base64')}`);
    expect(kms.commandCalls(EncryptCommand)[0]?.args[0].input).toEqual({
      KeyId: 'key-1',
      Plaintext: Buffer.from('JBSWY3DPEHPK3PXP'),
      EncryptionContext: { userId: 'u1', purpose: 'totp' },
    });
    expect(await box.open(sealed, { userId: 'u1', purpose: 'totp' })).toBe('JBSWY3DPEHPK3PXP');
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input).toMatchObject({
      KeyId: 'key-1',
      EncryptionContext: { userId: 'u1', purpose: 'totp' },
    });
    kms.restore();
  });
});
