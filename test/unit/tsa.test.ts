import { createHash, generateKeyPairSync, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignedData } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TimeStampReq, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalTsaSigner } from '../../shared/adapters/local-tsa-signer';
import {
  bigIntToInteger,
  grantedResponse,
  type IssueTimeStampOptions,
  integerToBigInt,
  issueTimeStamp,
  PKI_FAILURE_BITS,
  parseTimeStampRequest,
  randomSerialNumber,
  type TimeStampRequest,
  timeStampRequest,
} from '../../shared/core/tsa';
import { verifyTimeStampToken } from '../../shared/core/tsa-verify';

const POLICY = '1.3.6.1.4.1.57264.2.1';
const SHA256 = '2.16.840.1.101.3.4.2.1';

function request(fields: Partial<TimeStampReq> = {}, hashParameters: 'NULL' | 'absent' = 'NULL'): Uint8Array {
  const req = new TimeStampReq({
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({
        algorithm: SHA256,
        ...(hashParameters === 'NULL' ? { parameters: null } : {}),
      }),
      hashedMessage: new OctetString(createHash('sha256').update('document').digest()),
    }),
    ...fields,
  });
  return new Uint8Array(AsnConvert.serialize(req));
}

function parsed(der: Uint8Array): TimeStampRequest {
  const result = parseTimeStampRequest(der, { policyOid: POLICY });
  if (!result.ok) throw new Error(`refused: ${result.failure}`);
  return result.request;
}

/** The TSTInfo and SignedData inside a granted response. */
function open(response: Uint8Array) {
  const resp = AsnConvert.parse(response, TimeStampResp);
  const signedData = AsnConvert.parse(resp.timeStampToken?.content ?? new ArrayBuffer(0), SignedData);
  const eContent = signedData.encapContentInfo.eContent?.single?.buffer ?? new ArrayBuffer(0);
  return { status: resp.status.status, signedData, tstInfo: AsnConvert.parse(eContent, TSTInfo) };
}

let signer: LocalTsaSigner;
const base = (): IssueTimeStampOptions => ({
  request: parsed(request()),
  policyOid: POLICY,
  serialNumber: 42n,
  genTime: new Date('2026-05-04T03:02:01.500Z'),
  signer,
});

beforeAll(() => {
  signer = new LocalTsaSigner(join(mkdtempSync(join(tmpdir(), 'stempel-tsa-unit-')), 'tsa'));
});

describe('DER INTEGER content octets and bigint', () => {
  it.each([
    [0n, '00'],
    [127n, '7f'],
    [128n, '0080'],
    [256n, '0100'],
    [-1n, 'ff'],
    [-128n, '80'],
    [-129n, 'ff7f'],
  ])('%s is %s', (value, hex) => {
    expect(Buffer.from(bigIntToInteger(value)).toString('hex')).toBe(hex);
    expect(integerToBigInt(Buffer.from(hex, 'hex'))).toBe(value);
  });

  it('round-trips any value, in the fewest octets', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), (value) => {
        const bytes = bigIntToInteger(value);
        expect(integerToBigInt(bytes)).toBe(value);
        if (bytes.length > 1) {
          // DER: the first nine bits are never all 0 or all 1.
          const nine = (((bytes[0] as number) << 1) | ((bytes[1] as number) >> 7)) & 0x1ff;
          expect(nine === 0 || nine === 0x1ff).toBe(false);
        }
      }),
    );
  });

  it('random serial numbers are positive and at most 128 bits', () => {
    for (let i = 0; i < 100; i++) {
      const serial = randomSerialNumber();
      expect(serial > 0n && serial < 1n << 128n).toBe(true);
    }
    expect(randomSerialNumber()).not.toBe(randomSerialNumber());
  });
});

describe('parseTimeStampRequest', () => {
  it('never throws, whatever the bytes', () => {
    const failures = Object.keys(PKI_FAILURE_BITS);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = parseTimeStampRequest(bytes, { policyOid: POLICY });
        if (!result.ok) expect(failures).toContain(result.failure);
      }),
    );
    // Nor on mutations of a valid request.
    const valid = request({ nonce: new Uint8Array([1, 2, 3]).buffer, certReq: true });
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const copy = valid.slice();
        copy[at] = byte;
        expect(() => parseTimeStampRequest(copy, { policyOid: POLICY })).not.toThrow();
      }),
    );
  });

  it('reads a view into a larger buffer at its offset', () => {
    const der = request({ certReq: true });
    const padded = new Uint8Array(der.length + 10);
    padded.set(der, 7);
    expect(parsed(padded.subarray(7, 7 + der.length))).toMatchObject({
      hashAlgorithm: 'SHA-256',
      certReq: true,
    });
  });

  it('accepts absent or NULL hash parameters, and keeps the imprint as sent', () => {
    for (const parameters of ['NULL', 'absent'] as const) {
      const der = request({}, parameters);
      const { messageImprint } = parsed(der);
      expect(Buffer.from(der).includes(Buffer.from(messageImprint))).toBe(true);
      expect(messageImprint.length).toBe(parameters === 'NULL' ? 51 : 49);
    }
  });

  it('reads negative and long nonces', () => {
    expect(parsed(request({ nonce: new Uint8Array([0xff, 0x7f]).buffer })).nonce).toBe(-129n);
    const long = randomBytes(32);
    long[0] = 0x01;
    expect(parsed(request({ nonce: new Uint8Array(long).buffer })).nonce).toBe(
      BigInt(`0x${long.toString('hex')}`),
    );
  });

  it('refuses a hash algorithm with other parameters as badAlg', () => {
    const der = request();
    const withParameters = AsnConvert.parse(der, TimeStampReq);
    withParameters.messageImprint.hashAlgorithm.parameters = new Uint8Array([0x02, 0x01, 0x00]).buffer;
    const result = parseTimeStampRequest(new Uint8Array(AsnConvert.serialize(withParameters)), {
      policyOid: POLICY,
    });
    expect(result).toMatchObject({ ok: false, failure: 'badAlg' });
  });
});

describe('issueTimeStamp', () => {
  it('echoes the imprint and the nonce exactly, and states what it signed', async () => {
    for (const nonce of [[0xff, 0x7f], [0x00, 0x80], [0x05]]) {
      const der = request({ nonce: new Uint8Array(nonce).buffer });
      const issued = await issueTimeStamp({ ...base(), request: parsed(der) });
      const { status, tstInfo } = open(issued.response);
      expect(status).toBe(0);
      expect(Buffer.from(tstInfo.nonce ?? new ArrayBuffer(0))).toEqual(Buffer.from(nonce));
      expect(AsnConvert.serialize(tstInfo.messageImprint)).toEqual(
        AsnConvert.serialize(AsnConvert.parse(der, TimeStampReq).messageImprint),
      );
      expect(integerToBigInt(new Uint8Array(tstInfo.serialNumber))).toBe(42n);
      expect(tstInfo.genTime.toISOString()).toBe('2026-05-04T03:02:01.500Z');
      expect(tstInfo.accuracy).toBeUndefined();
      expect(tstInfo.ordering).toBe(false);
      expect(issued.tokenSha256).toBe(createHash('sha256').update(issued.token).digest('hex'));
      expect(issued.tstInfo).toMatchObject({
        policy: POLICY,
        serialNumber: 42n,
        nonce: integerToBigInt(Uint8Array.from(nonce)),
      });
    }
  });

  it('signs the attributes in DER order (OpenSSL would verify them in any order)', async () => {
    const { signedData } = open((await issueTimeStamp(base())).response);
    const signerInfo = signedData.signerInfos[0];
    const attributes = (signerInfo?.signedAttrs ?? []).map((a) => Buffer.from(AsnConvert.serialize(a)));
    expect((signerInfo?.signedAttrs ?? []).map((a) => a.attrType).sort()).toEqual([
      '1.2.840.113549.1.9.16.2.47', // signingCertificateV2
      '1.2.840.113549.1.9.3', // contentType
      '1.2.840.113549.1.9.4', // messageDigest
    ]);
    expect(attributes).toEqual([...attributes].sort(Buffer.compare));
    // What a strict verifier checks: the signature over the DER SET OF (built here by hand).
    const content = Buffer.concat(attributes);
    expect(content.length).toBeLessThan(0x10000);
    const n = content.length;
    const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
    const set = Buffer.concat([Buffer.from([0x31, ...length]), content]);
    const [tsaCertificate] = await signer.certificateChain();
    const publicKey = new X509Certificate(tsaCertificate ?? new Uint8Array()).publicKey;
    const signature = new Uint8Array(signerInfo?.signature.buffer ?? new ArrayBuffer(0));
    expect(verify('sha256', set, publicKey, signature)).toBe(true);
  });

  it('leaves the certificates out unless asked', async () => {
    const without = open((await issueTimeStamp(base())).response).signedData;
    expect(without.certificates).toBeUndefined();
    const withCerts = open(
      (await issueTimeStamp({ ...base(), request: parsed(request({ certReq: true })) })).response,
    ).signedData;
    expect(withCerts.certificates).toHaveLength(2);
  });

  it('refuses what it must not sign', async () => {
    await expect(issueTimeStamp({ ...base(), serialNumber: 0n })).rejects.toThrow(/serial/);
    await expect(issueTimeStamp({ ...base(), serialNumber: 1n << 160n })).rejects.toThrow(/serial/);
    await expect(issueTimeStamp({ ...base(), genTime: new Date(Number.NaN) })).rejects.toThrow(/genTime/);
    await expect(issueTimeStamp({ ...base(), accuracy: { millis: 0 } })).rejects.toThrow(/millis/);
    await expect(issueTimeStamp({ ...base(), accuracy: { micros: 1000 } })).rejects.toThrow(/micros/);
    await expect(issueTimeStamp({ ...base(), accuracy: { seconds: -1 } })).rejects.toThrow(/seconds/);
    await expect(
      issueTimeStamp({ ...base(), request: { ...base().request, reqPolicy: '1.2.3' } }),
    ).rejects.toThrow(/policy/);
    await expect(
      issueTimeStamp({
        ...base(),
        signer: { ...signer, algorithm: 'ES256', sign: signer.sign, certificateChain: async () => [] },
      }),
    ).rejects.toThrow(/no certificate/);
  });

  it('never returns a token its certificate does not verify', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const wrongKey = {
      algorithm: 'ES256' as const,
      sign: async (data: Uint8Array) => new Uint8Array(sign('sha256', data, privateKey)),
      certificateChain: () => signer.certificateChain(),
    };
    await expect(issueTimeStamp({ ...base(), signer: wrongKey })).rejects.toThrow(/does not verify/);
  });
});

describe('timeStampRequest and grantedResponse', () => {
  it('builds the DER request a client sends, which the parser reads back unchanged', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('SHA-256' as const, 'SHA-384' as const, 'SHA-512' as const),
        fc.option(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), { nil: undefined }),
        fc.boolean(),
        (hashAlgorithm, nonce, certReq) => {
          const length = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 }[hashAlgorithm];
          const hashedMessage = new Uint8Array(randomBytes(length));
          const { der, request } = timeStampRequest({ hashAlgorithm, hashedMessage, nonce, certReq });
          const read = parseTimeStampRequest(der, { policyOid: POLICY });
          expect(read).toEqual({ ok: true, request });
        },
      ),
      { numRuns: 50 },
    );
    expect(() =>
      timeStampRequest({ hashAlgorithm: 'SHA-256', hashedMessage: new Uint8Array(31), certReq: false }),
    ).toThrow(/32 bytes/);
  });

  it('wraps a stored token in the very response that granted it', async () => {
    const signer = new LocalTsaSigner(mkdtempSync(join(tmpdir(), 'stempel-tsa-granted-')));
    const { request } = timeStampRequest({
      hashAlgorithm: 'SHA-256',
      hashedMessage: new Uint8Array(randomBytes(32)),
      nonce: 7n,
      certReq: true,
    });
    const issued = await issueTimeStamp({
      request,
      policyOid: POLICY,
      serialNumber: randomSerialNumber(),
      genTime: new Date(),
      signer,
    });
    expect(Buffer.from(grantedResponse(issued.token)).equals(Buffer.from(issued.response))).toBe(true);
  });
});

describe('policy OIDs with big arcs (2.25 UUID OIDs)', () => {
  const UUID_POLICY = '2.25.166997583374799921756625760470347785849';

  it('reads such a policy in a request, and a token that names it verifies', async () => {
    const signer = new LocalTsaSigner(mkdtempSync(join(tmpdir(), 'stempel-tsa-uuid-')));
    const req = new TimeStampReq({
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256 }),
        hashedMessage: new OctetString(randomBytes(32)),
      }),
      reqPolicy: UUID_POLICY,
    });
    const read = parseTimeStampRequest(new Uint8Array(AsnConvert.serialize(req)), { policyOid: UUID_POLICY });
    expect(read.ok && read.request.reqPolicy).toBe(UUID_POLICY);
    if (!read.ok) return;
    const issued = await issueTimeStamp({
      request: read.request,
      policyOid: UUID_POLICY,
      serialNumber: 9n,
      genTime: new Date(),
      accuracy: { seconds: 1 },
      signer,
    });
    const verified = verifyTimeStampToken(issued.token, { trusted: await signer.certificateChain() });
    expect(verified.policy).toBe(UUID_POLICY);
    expect(verified.accuracyMs).toBe(1000);
  });
});
