import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TimeStampReq } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsTsaSigner } from '../../shared/adapters/kms-tsa-signer';
import { LocalTsaSigner } from '../../shared/adapters/local-tsa-signer';
import { issueTimeStamp, parseTimeStampRequest } from '../../shared/core/tsa';

const kms = mockClient(KMSClient);
const POLICY = '1.3.6.1.4.1.57264.2.1';

describe('KMS TSA signer', () => {
  beforeEach(() => kms.reset());

  it('asks KMS for ECDSA over the raw message with the key and algorithm it was given', async () => {
    kms.on(SignCommand).resolves({ Signature: new Uint8Array([0x30, 0x00]) });
    for (const [algorithm, expected] of [
      ['ES256', 'ECDSA_SHA_256'],
      ['ES384', 'ECDSA_SHA_384'],
    ] as const) {
      const signer = new KmsTsaSigner('alias/tsa', algorithm, async () => [], new KMSClient({}));
      expect(await signer.sign(new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([0x30, 0x00]));
      expect(kms.commandCalls(SignCommand).at(-1)?.args[0].input).toEqual({
        KeyId: 'alias/tsa',
        Message: new Uint8Array([1, 2, 3]),
        MessageType: 'RAW',
        SigningAlgorithm: expected,
      });
    }
  });

  it('fails loudly when KMS answers no signature', async () => {
    kms.on(SignCommand).resolves({});
    const signer = new KmsTsaSigner('k', 'ES256', async () => [], new KMSClient({}));
    await expect(signer.sign(new Uint8Array([1]))).rejects.toThrow('no signature');
  });

  it('yields tokens that check out when KMS signs as ECDSA_SHA_256 does (a P-256 key standing in for it)', async () => {
    // The stand-in signs exactly what KMS would: SHA-256 over the raw message, DER ECDSA-Sig-Value.
    const standIn = new LocalTsaSigner(mkdtempSync(join(tmpdir(), 'stempel-kms-tsa-')));
    kms.on(SignCommand).callsFake(async (input: { Message: Uint8Array }) => ({
      Signature: await standIn.sign(input.Message),
    }));
    const signer = new KmsTsaSigner('k', 'ES256', () => standIn.certificateChain(), new KMSClient({}));
    const query = new TimeStampReq({
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1', parameters: null }),
        hashedMessage: new OctetString(createHash('sha256').update('document').digest()),
      }),
      certReq: true,
    });
    const parsed = parseTimeStampRequest(new Uint8Array(AsnConvert.serialize(query)), { policyOid: POLICY });
    if (!parsed.ok) throw new Error(parsed.failure);
    // issueTimeStamp verifies the signature against the TSA certificate before it answers.
    const issued = await issueTimeStamp({
      request: parsed.request,
      policyOid: POLICY,
      serialNumber: 7n,
      genTime: new Date(),
      signer,
    });
    expect(issued.tstInfo.serialNumber).toBe(7n);
    expect(kms.commandCalls(SignCommand)).toHaveLength(1);
  });
});
