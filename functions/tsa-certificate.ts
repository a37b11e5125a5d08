import { createPublicKey, X509Certificate } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { certificatesPem, issueTsaChain } from '../shared/core/certificates';

/**
 * The CloudFormation custom resource (lib/tsa.ts, through the CDK Provider
 * framework) that makes the TSA's certificate chain at deploy time: on Create
 * and Update, a self-signed CA certificate for the CA key and the TSA
 * certificate for the TSA key, both signed by the CA key in KMS (its private
 * half never leaves KMS), answered as `ChainPem` (TSA certificate first). The
 * stack stores it in the chain parameter. Delete does nothing: the keys are
 * retained, and so is every certificate already handed out.
 */

/** What lib/tsa.ts passes (CloudFormation hands every property over as a string). */
export interface TsaCertificateProperties {
  readonly CaKeyId: string;
  readonly TsaKeyId: string;
  readonly CaName: string;
  readonly TsaName: string;
  readonly CaValidityDays: string;
  readonly TsaValidityDays: string;
}

export interface TsaCertificateData {
  /** The chain as PEM: TSA certificate, then CA certificate. */
  readonly ChainPem: string;
}

/** The KMS signing algorithm for a CA key of this spec (its hash is what the certificate names). */
const SIGNING_ALGORITHM: Partial<Record<string, 'ECDSA_SHA_256' | 'ECDSA_SHA_384'>> = {
  ECC_NIST_P256: 'ECDSA_SHA_256',
  ECC_NIST_P384: 'ECDSA_SHA_384',
};

/** CloudFormation takes at most 4,096 bytes of response data from a custom resource. */
const MAX_RESPONSE_DATA = 4096;

const days = (value: string, name: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100 * 365) throw new Error(`${name} must be a number of days`);
  return n;
};

/**
 * Issues the chain with the keys of `properties`, and checks it: each
 * signature verifies with the CA's public key, and the TSA certificate is
 * issued by the CA certificate.
 */
export async function issueChain(
  properties: TsaCertificateProperties,
  kms: KMSClient,
  now: Date,
): Promise<string> {
  const [ca, tsa] = await Promise.all(
    [properties.CaKeyId, properties.TsaKeyId].map((KeyId) => kms.send(new GetPublicKeyCommand({ KeyId }))),
  );
  if (!ca?.PublicKey || !tsa?.PublicKey) throw new Error('KMS returned no public key');
  for (const [key, role] of [
    [ca, 'CA'],
    [tsa, 'TSA'],
  ] as const) {
    if (key.KeyUsage !== 'SIGN_VERIFY' || !SIGNING_ALGORITHM[key.KeySpec ?? ''])
      throw new Error(`the ${role} key must be an ECC_NIST_P256 or ECC_NIST_P384 SIGN_VERIFY key`);
  }
  const SigningAlgorithm = SIGNING_ALGORITHM[ca.KeySpec ?? ''];

  const [tsaCertificate, caCertificate] = await issueTsaChain({
    caName: properties.CaName,
    tsaName: properties.TsaName,
    caPublicKey: ca.PublicKey,
    tsaPublicKey: tsa.PublicKey,
    // KMS hashes the DER TBSCertificate itself (RAW, at most 4,096 bytes) and answers a DER
    // ECDSA-Sig-Value, which is what X.509 carries for ecdsa-with-SHA256/384.
    signWithCa: async (tbsDer) => {
      const { Signature } = await kms.send(
        new SignCommand({ KeyId: properties.CaKeyId, Message: tbsDer, MessageType: 'RAW', SigningAlgorithm }),
      );
      if (!Signature) throw new Error('KMS returned no signature');
      return Signature;
    },
    now,
    caValidityDays: days(properties.CaValidityDays, 'CaValidityDays'),
    tsaValidityDays: days(properties.TsaValidityDays, 'TsaValidityDays'),
  });

  const caKey = createPublicKey({ key: Buffer.from(ca.PublicKey), format: 'der', type: 'spki' });
  const caX509 = new X509Certificate(caCertificate);
  const tsaX509 = new X509Certificate(tsaCertificate);
  if (!caX509.verify(caKey) || !tsaX509.verify(caKey) || !tsaX509.checkIssued(caX509))
    throw new Error('the issued chain does not verify with the CA key');
  const tsaKey = createPublicKey({ key: Buffer.from(tsa.PublicKey), format: 'der', type: 'spki' });
  if (!tsaX509.publicKey.equals(tsaKey)) throw new Error('the TSA certificate is not for the TSA key');
  return certificatesPem([tsaCertificate, caCertificate]);
}

const kms = new KMSClient({});

export const handler = async (
  event: CdkCustomResourceEvent<TsaCertificateProperties>,
): Promise<CdkCustomResourceResponse<TsaCertificateData>> => {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const properties = event.ResourceProperties;
  const chainPem = await issueChain(properties, kms, new Date());
  if (chainPem.length + 64 > MAX_RESPONSE_DATA)
    throw new Error(`the chain (${chainPem.length} characters) does not fit in a custom resource response`);
  const tsaSerial = new X509Certificate(chainPem).serialNumber;
  console.log(JSON.stringify({ message: 'issued the TSA chain', requestType: event.RequestType, tsaSerial }));
  return {
    // Stable across updates: a new chain replaces the parameter's value, not the resource.
    PhysicalResourceId:
      event.RequestType === 'Update' ? event.PhysicalResourceId : `tsa-chain:${properties.TsaKeyId}`,
    Data: { ChainPem: chainPem },
  };
};
