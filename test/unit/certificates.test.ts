import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler, type TsaCertificateProperties } from '../../functions/tsa-certificate';
import { certificatesPem, issueTsaChain, toPem } from '../../shared/core/certificates';

const spki = (key: KeyObject) => new Uint8Array(key.export({ format: 'der', type: 'spki' }));

/** `openssl verify -purpose timestampsign` of the TSA certificate against the CA alone; its output. */
function opensslVerify(tsaPem: string, caPem: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stempel-certificates-'));
  writeFileSync(join(dir, 'ca.pem'), caPem);
  writeFileSync(join(dir, 'tsa.pem'), tsaPem);
  return execFileSync(
    'openssl',
    ['verify', '-purpose', 'timestampsign', '-CAfile', join(dir, 'ca.pem'), join(dir, 'tsa.pem')],
    { encoding: 'utf8' },
  );
}

const opensslText = (pem: string): string =>
  execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem, encoding: 'utf8' });

/** The PEM blocks of a chain, in order. */
const blocks = (pem: string) =>
  pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? [];

describe('TSA certificate chain (shared/core/certificates.ts)', () => {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const tsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = new Date('2026-11-26T12:00:00Z');

  const issue = () =>
    issueTsaChain({
      caName: 'Stempel test TSA CA',
      tsaName: 'Stempel test TSA',
      caPublicKey: spki(ca.publicKey),
      tsaPublicKey: spki(tsa.publicKey),
      signWithCa: async (tbs) => new Uint8Array(sign('sha384', tbs, ca.privateKey)),
      now,
      caValidityDays: 20 * 365,
      tsaValidityDays: 10 * 365,
    });

  it('issues a TSA certificate that openssl accepts for time-stamping, under the CA alone', async () => {
    const [tsaDer, caDer] = await issue();
    expect(opensslVerify(toPem('CERTIFICATE', tsaDer), toPem('CERTIFICATE', caDer))).toMatch(/: OK\n$/);
  });

  it('marks the TSA certificate for time-stamping only (critical EKU), signed with ecdsa-with-SHA384', async () => {
    const [tsaDer] = await issue();
    const text = opensslText(toPem('CERTIFICATE', tsaDer));
    expect(text).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation\n/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
    expect(text).toMatch(/Issuer: O\s?=\s?Stempel, CN\s?=\s?Stempel test TSA CA/);
    expect(text).toMatch(/Subject: O\s?=\s?Stempel, CN\s?=\s?Stempel test TSA\n/);
    expect(text).not.toContain('CA:TRUE');
  });

  it('makes the CA a critical CA that only signs certificates and CRLs', async () => {
    const [, caDer] = await issue();
    const text = opensslText(toPem('CERTIFICATE', caDer));
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    const x509 = new X509Certificate(caDer);
    expect(x509.verify(ca.publicKey)).toBe(true);
    expect(x509.subject).toBe(x509.issuer);
  });

  it('gives positive random serials and the validity it was asked for, from an hour before now', async () => {
    const [tsaA, caA] = await issue();
    const [tsaB] = await issue();
    const serialOf = (der: Uint8Array) => new X509Certificate(der).serialNumber;
    expect(serialOf(tsaA)).not.toBe(serialOf(tsaB));
    for (const der of [tsaA, caA]) expect(Number.parseInt(serialOf(der).slice(0, 2), 16)).toBeLessThan(0x80);
    const tsaX509 = new X509Certificate(tsaA);
    const caX509 = new X509Certificate(caA);
    expect(new Date(tsaX509.validFrom).toISOString()).toBe('2026-11-26T11:00:00.000Z');
    expect(new Date(tsaX509.validTo).getTime() - new Date(tsaX509.validFrom).getTime()).toBe(
      10 * 365 * 86_400_000,
    );
    expect(new Date(caX509.validTo).getTime() - new Date(caX509.validFrom).getTime()).toBe(
      20 * 365 * 86_400_000,
    );
  });

  it('refuses keys other than P-256 and P-384', async () => {
    const ed = generateKeyPairSync('ed25519');
    await expect(
      issueTsaChain({
        caName: 'x',
        tsaName: 'y',
        caPublicKey: spki(ed.publicKey),
        tsaPublicKey: spki(tsa.publicKey),
        signWithCa: async () => new Uint8Array(),
        now,
        caValidityDays: 1,
        tsaValidityDays: 1,
      }),
    ).rejects.toThrow(/P-256 or P-384/);
  });
});

describe('TSA certificate custom resource (functions/tsa-certificate.ts)', () => {
  const kms = mockClient(KMSClient);
  // Real keys stand in for the KMS keys: the CA key (P-384) and the TSA key (P-256).
  const keys = {
    'ca-key': { pair: generateKeyPairSync('ec', { namedCurve: 'P-384' }), spec: 'ECC_NIST_P384' },
    'tsa-key': { pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }), spec: 'ECC_NIST_P256' },
  } as const;
  type KeyId = keyof typeof keys;

  const properties: TsaCertificateProperties = {
    CaKeyId: 'ca-key',
    TsaKeyId: 'tsa-key',
    CaName: 'Stempel dev TSA CA',
    TsaName: 'Stempel dev TSA',
    CaValidityDays: '7300',
    TsaValidityDays: '3650',
  };
  const event = (RequestType: 'Create' | 'Update' | 'Delete') =>
    ({
      RequestType,
      ServiceToken: 'arn:aws:lambda:eu-central-1:123456789012:function:provider',
      ResponseURL: 'https://example.com/response',
      StackId: 'arn:aws:cloudformation:eu-central-1:123456789012:stack/Stempel-dev/1',
      RequestId: 'request-1',
      LogicalResourceId: 'TsaCertificatesIssued',
      ResourceType: 'Custom::StempelTsaCertificateChain',
      ResourceProperties: { ServiceToken: 'x', ...properties },
      ...(RequestType === 'Create'
        ? {}
        : {
            PhysicalResourceId: 'tsa-chain:tsa-key',
            OldResourceProperties: { ServiceToken: 'x', ...properties },
          }),
    }) as unknown as CdkCustomResourceEvent<TsaCertificateProperties>;

  beforeEach(() => {
    kms.reset();
    kms.on(GetPublicKeyCommand).callsFake(({ KeyId }: { KeyId: KeyId }) => ({
      KeyId,
      KeySpec: keys[KeyId].spec,
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: spki(keys[KeyId].pair.publicKey),
    }));
    kms.on(SignCommand).callsFake(({ KeyId, Message, MessageType, SigningAlgorithm }) => {
      if (MessageType !== 'RAW') throw new Error('expected a RAW message');
      const hash = { ECDSA_SHA_256: 'sha256', ECDSA_SHA_384: 'sha384' }[SigningAlgorithm as string];
      return {
        KeyId,
        SigningAlgorithm,
        Signature: new Uint8Array(sign(hash as string, Message, keys[KeyId as KeyId].pair.privateKey)),
      };
    });
  });

  it('answers Create with a chain (TSA, then CA) that openssl verifies for time-stamping', async () => {
    const response = await handler(event('Create'));
    expect(response.PhysicalResourceId).toBe('tsa-chain:tsa-key');
    const chain = response.Data?.ChainPem as string;
    const [tsaPem, caPem] = blocks(chain) as [string, string];
    expect(blocks(chain)).toHaveLength(2);
    expect(opensslVerify(tsaPem, caPem)).toMatch(/: OK\n$/);
    expect(opensslText(tsaPem)).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping\n/);
    expect(opensslText(tsaPem)).toMatch(/Subject: O\s?=\s?Stempel, CN\s?=\s?Stempel dev TSA\n/);
    expect(opensslText(caPem)).toMatch(/Subject: O\s?=\s?Stempel, CN\s?=\s?Stempel dev TSA CA\n/);
    // The TSA certificate is for the TSA key, and the CA signs with ECDSA_SHA_384 over the raw TBS.
    expect(new X509Certificate(tsaPem).publicKey.equals(keys['tsa-key'].pair.publicKey)).toBe(true);
    const signs = kms.commandCalls(SignCommand).map((c) => c.args[0].input);
    expect(signs).toHaveLength(2);
    for (const input of signs)
      expect(input).toMatchObject({ KeyId: 'ca-key', MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_384' });
    expect(chain.length).toBeLessThan(4000); // fits in a custom resource response and a Standard parameter
    expect(certificatesPem([])).toBe('');
  });

  it('issues a fresh chain on Update, keeping the physical id', async () => {
    const first = (await handler(event('Create'))).Data?.ChainPem as string;
    const response = await handler(event('Update'));
    expect(response.PhysicalResourceId).toBe('tsa-chain:tsa-key');
    const [tsaPem, caPem] = blocks(response.Data?.ChainPem as string) as [string, string];
    expect(opensslVerify(tsaPem, caPem)).toMatch(/: OK\n$/);
    expect(new X509Certificate(tsaPem).serialNumber).not.toBe(new X509Certificate(first).serialNumber);
  });

  it('does nothing on Delete (the keys are retained)', async () => {
    expect(await handler(event('Delete'))).toEqual({ PhysicalResourceId: 'tsa-chain:tsa-key' });
    expect(kms.calls()).toHaveLength(0);
  });

  it('fails the deployment when KMS signs with another key than the CA key', async () => {
    kms.on(SignCommand).callsFake(({ Message }) => ({
      Signature: new Uint8Array(
        sign('sha384', Message, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey),
      ),
    }));
    await expect(handler(event('Create'))).rejects.toThrow(/does not verify with the CA key/);
  });

  it('fails the deployment for a key that cannot sign', async () => {
    kms.on(GetPublicKeyCommand).resolves({
      KeySpec: 'RSA_2048',
      KeyUsage: 'ENCRYPT_DECRYPT',
      PublicKey: spki(keys['tsa-key'].pair.publicKey),
    });
    await expect(handler(event('Create'))).rejects.toThrow(/SIGN_VERIFY/);
  });
});
