import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  id_contentType,
  id_messageDigest,
  id_signedData,
  SignatureAlgorithmIdentifier,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Accuracy,
  id_ct_tstInfo,
  MessageImprint,
  PKIFailureInfo,
  PKIFreeText,
  PKIStatus,
  PKIStatusInfo,
  TimeStampReq,
  TimeStampResp,
  TimeStampToken,
  TSTInfo,
} from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { ObjectIdentifier } from 'asn1js';
import type { TsaSigner } from '../ports/tsa-signer';
import { EssCertIdV2, IssuerSerial, SignedAttributesSet, SigningCertificateV2 } from './cms-types';
import { oidInSequence } from './der-oid';

/**
 * RFC 3161 time stamping: parse a TimeStampReq, answer a TimeStampResp that
 * either grants a token (CMS SignedData over a TSTInfo, signed by a
 * {@link TsaSigner}) or rejects with a PKIFailureInfo bit.
 */

/** Requests are ~60-120 bytes; anything much larger is not one we answer. */
export const MAX_REQUEST_BYTES = 4096;

export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASHES: Record<HashAlgorithm, { oid: string; length: number; node: string }> = {
  'SHA-256': { oid: '2.16.840.1.101.3.4.2.1', length: 32, node: 'sha256' },
  'SHA-384': { oid: '2.16.840.1.101.3.4.2.2', length: 48, node: 'sha384' },
  'SHA-512': { oid: '2.16.840.1.101.3.4.2.3', length: 64, node: 'sha512' },
};
const HASH_BY_OID = new Map(
  Object.entries(HASHES).map(([name, { oid }]) => [oid, name as HashAlgorithm] as const),
);

const SIGNATURES: Record<TsaSigner['algorithm'], { hash: HashAlgorithm; oid: string }> = {
  ES256: { hash: 'SHA-256', oid: '1.2.840.10045.4.3.2' }, // ecdsa-with-SHA256
  ES384: { hash: 'SHA-384', oid: '1.2.840.10045.4.3.3' }, // ecdsa-with-SHA384
};

/** RFC 5816 signingCertificateV2 attribute. */
const ID_AA_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';

/**
 * PKIFailureInfo (RFC 3161 §2.4.2) and its bit numbers. (asn1-tsp's
 * PKIFailureInfoFlags has every bit but badAlg one place too low, so the bits
 * are set here.)
 */
export const PKI_FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type PkiFailure = keyof typeof PKI_FAILURE_BITS;

/** A TimeStampReq we are willing to answer. */
export interface TimeStampRequest {
  readonly hashAlgorithm: HashAlgorithm;
  readonly hashedMessage: Uint8Array;
  /** The MessageImprint as received (DER), echoed verbatim in the TSTInfo. */
  readonly messageImprint: Uint8Array;
  readonly nonce?: bigint;
  readonly certReq: boolean;
  readonly reqPolicy?: string;
}

export type ParsedTimeStampRequest =
  | { readonly ok: true; readonly request: TimeStampRequest }
  | { readonly ok: false; readonly failure: PkiFailure; readonly reason: string };

const refuse = (failure: PkiFailure, reason: string): ParsedTimeStampRequest => ({
  ok: false,
  failure,
  reason,
});

/**
 * Reads a DER TimeStampReq. Never throws: anything that is not exactly a DER
 * TimeStampReq (BER, trailing bytes, over {@link MAX_REQUEST_BYTES}) is
 * badDataFormat; an unknown version or a hash of the wrong length is
 * badRequest; a hash other than SHA-256/384/512 badAlg; a policy other than
 * `policyOid` unacceptedPolicy; any critical extension unacceptedExtension
 * (non-critical ones are ignored).
 */
export function parseTimeStampRequest(
  der: Uint8Array,
  options: { policyOid: string },
): ParsedTimeStampRequest {
  if (der.byteLength > MAX_REQUEST_BYTES) {
    return refuse('badDataFormat', `the request is larger than ${MAX_REQUEST_BYTES} bytes`);
  }
  let req: TimeStampReq;
  try {
    const bytes = new Uint8Array(der); // a copy: parsers may not honour a view's offset
    req = AsnConvert.parse(bytes, TimeStampReq);
    // asn1js misreads a policy arc of 2^53 or more (a UUID OID): take it from the DER.
    const policy = req.reqPolicy === undefined ? undefined : oidInSequence(bytes, 2);
    if (policy !== undefined) req.reqPolicy = policy;
    // Re-encoding gives the same bytes only for DER without trailing data.
    if (!equalBytes(new Uint8Array(AsnConvert.serialize(req)), bytes)) {
      return refuse('badDataFormat', 'the request is not a DER TimeStampReq');
    }
  } catch {
    return refuse('badDataFormat', 'the request is not a DER TimeStampReq');
  }
  if (req.version !== 1) return refuse('badRequest', 'the request version is not 1');

  const { hashAlgorithm, hashedMessage } = req.messageImprint;
  const name = HASH_BY_OID.get(hashAlgorithm.algorithm);
  if (!name) return refuse('badAlg', 'the hash algorithm is not SHA-256, SHA-384 or SHA-512');
  const parameters = hashAlgorithm.parameters;
  if (parameters !== undefined && parameters !== null && !isDerNull(parameters)) {
    return refuse('badAlg', 'the hash algorithm has parameters');
  }
  const hash = new Uint8Array(hashedMessage.buffer);
  if (hash.byteLength !== HASHES[name].length) {
    return refuse('badRequest', `a ${name} hash is ${HASHES[name].length} bytes`);
  }
  if (req.reqPolicy !== undefined && req.reqPolicy !== options.policyOid) {
    return refuse('unacceptedPolicy', `the only policy is ${options.policyOid}`);
  }
  const critical = req.extensions?.find((extension) => extension.critical);
  if (critical)
    return refuse('unacceptedExtension', `critical extension ${critical.extnID} is not supported`);

  return {
    ok: true,
    request: {
      hashAlgorithm: name,
      hashedMessage: hash,
      messageImprint: new Uint8Array(AsnConvert.serialize(req.messageImprint)),
      ...(req.nonce === undefined ? {} : { nonce: integerToBigInt(new Uint8Array(req.nonce)) }),
      certReq: req.certReq,
      ...(req.reqPolicy === undefined ? {} : { reqPolicy: req.reqPolicy }),
    },
  };
}

/** TSTInfo.accuracy: how far genTime may be from the true time. */
export interface TimeStampAccuracy {
  readonly seconds?: number;
  /** 1..999 */
  readonly millis?: number;
  /** 1..999 */
  readonly micros?: number;
}

export interface IssueTimeStampOptions {
  readonly request: TimeStampRequest;
  /** The TSA policy, also the only one `parseTimeStampRequest` accepts. */
  readonly policyOid: string;
  /** Unique per token, positive, at most 160 bits (see {@link randomSerialNumber}). */
  readonly serialNumber: bigint;
  /** Encoded to the millisecond (GeneralizedTime with a fraction when it is not 0). */
  readonly genTime: Date;
  readonly accuracy?: TimeStampAccuracy;
  readonly signer: TsaSigner;
}

/** What a token says, for the caller's logs. */
export interface TstInfoFields {
  readonly policy: string;
  readonly serialNumber: bigint;
  readonly genTime: Date;
  readonly accuracy?: TimeStampAccuracy;
  readonly hashAlgorithm: HashAlgorithm;
  readonly hashedMessage: Uint8Array;
  readonly nonce?: bigint;
}

export interface IssuedTimeStamp {
  /** DER TimeStampResp, status granted: the body of the HTTP answer. */
  readonly response: Uint8Array;
  /** DER TimeStampToken (CMS ContentInfo of SignedData), as embedded in `response`. */
  readonly token: Uint8Array;
  /** Hex SHA-256 of `token`. */
  readonly tokenSha256: string;
  readonly tstInfo: TstInfoFields;
}

/** A positive 128-bit random serial number. */
export function randomSerialNumber(): bigint {
  return BigInt(`0x${randomBytes(16).toString('hex')}`) || 1n;
}

/**
 * Grants a time-stamp token: TSTInfo (ordering false, the request's message
 * imprint and nonce) in a CMS SignedData whose one SignerInfo signs the
 * attributes contentType, messageDigest and signingCertificateV2 (ESSCertIDv2
 * of the TSA certificate, RFC 5816). The certificate chain is included only
 * when the request has certReq. The signature is checked against the TSA
 * certificate before the token is returned, so a key that does not match its
 * certificate fails here and not at the relying party.
 */
export async function issueTimeStamp(options: IssueTimeStampOptions): Promise<IssuedTimeStamp> {
  const { request, policyOid, serialNumber, genTime, accuracy, signer } = options;
  if (request.reqPolicy !== undefined && request.reqPolicy !== policyOid) {
    throw new Error(`the request asks for policy ${request.reqPolicy}, not ${policyOid}`);
  }
  if (serialNumber <= 0n || serialNumber >= 1n << 160n) {
    throw new Error('the serial number must be positive and at most 160 bits');
  }
  if (Number.isNaN(genTime.getTime())) throw new Error('genTime is not a valid date');
  const signature = SIGNATURES[signer.algorithm];
  if (!signature) throw new Error(`unsupported TSA signature algorithm ${String(signer.algorithm)}`);
  const digest = HASHES[signature.hash];

  const { certificates, issuer, certificateSerial, signingCertificateDer, tsaKey } =
    await prepareChain(signer);
  const tstInfoAccuracy = toAccuracy(accuracy);
  const tstInfo = new TSTInfo({
    policy: policyOid,
    messageImprint: AsnConvert.parse(request.messageImprint, MessageImprint),
    serialNumber: toArrayBuffer(bigIntToInteger(serialNumber)),
    genTime,
    ...(tstInfoAccuracy ? { accuracy: tstInfoAccuracy } : {}),
    ...(request.nonce === undefined ? {} : { nonce: toArrayBuffer(bigIntToInteger(request.nonce)) }),
  });
  const tstInfoDer = new Uint8Array(AsnConvert.serialize(tstInfo));

  // DER orders a SET OF by the encodings of its elements; the signature covers that order.
  const signedAttributes = [
    attribute(id_contentType, new ObjectIdentifier({ value: id_ct_tstInfo }).toBER()),
    attribute(id_messageDigest, AsnConvert.serialize(new OctetString(hash(signature.hash, tstInfoDer)))),
    attribute(ID_AA_SIGNING_CERTIFICATE_V2, toArrayBuffer(signingCertificateDer)),
  ]
    .map((a) => ({ a, der: new Uint8Array(AsnConvert.serialize(a)) }))
    .sort((x, y) => Buffer.compare(x.der, y.der))
    .map(({ a }) => a);
  const signedAttributesDer = new Uint8Array(AsnConvert.serialize(new SignedAttributesSet(signedAttributes)));
  const signatureValue = await signer.sign(signedAttributesDer);
  if (!verify(digest.node, signedAttributesDer, { key: tsaKey, dsaEncoding: 'der' }, signatureValue)) {
    throw new Error('the TSA signature does not verify with the TSA certificate');
  }

  const digestAlgorithm = new DigestAlgorithmIdentifier({ algorithm: digest.oid });
  const signedData = new SignedData({
    version: CMSVersion.v3, // eContentType is not id-data
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_ct_tstInfo,
      eContent: new EncapsulatedContent({ single: new OctetString(tstInfoDer) }),
    }),
    ...(request.certReq
      ? {
          certificates: new CertificateSet(
            certificates.map((certificate) => new CertificateChoices({ certificate })),
          ),
        }
      : {}),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: CMSVersion.v1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer, serialNumber: certificateSerial }),
        }),
        digestAlgorithm,
        signedAttrs: signedAttributes,
        signatureAlgorithm: new SignatureAlgorithmIdentifier({ algorithm: signature.oid }),
        signature: new OctetString(signatureValue),
      }),
    ]),
  });
  const token = new TimeStampToken({ contentType: id_signedData, content: AsnConvert.serialize(signedData) });
  const tokenDer = new Uint8Array(AsnConvert.serialize(token));
  const response = new TimeStampResp({
    status: new PKIStatusInfo({ status: PKIStatus.granted }),
    timeStampToken: token,
  });

  return {
    response: new Uint8Array(AsnConvert.serialize(response)),
    token: tokenDer,
    tokenSha256: createHash('sha256').update(tokenDer).digest('hex'),
    tstInfo: {
      policy: policyOid,
      serialNumber,
      genTime: new Date(genTime.getTime()),
      ...(tstInfoAccuracy ? { accuracy: { ...accuracy } } : {}),
      hashAlgorithm: request.hashAlgorithm,
      hashedMessage: request.hashedMessage,
      ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
    },
  };
}

/** The TimeStampResp (status granted) that carries a token issued before. */
export function grantedResponse(tokenDer: Uint8Array): Uint8Array {
  const response = new TimeStampResp({
    status: new PKIStatusInfo({ status: PKIStatus.granted }),
    timeStampToken: AsnConvert.parse(new Uint8Array(tokenDer), TimeStampToken),
  });
  return new Uint8Array(AsnConvert.serialize(response));
}

/**
 * A DER TimeStampReq (version 1, no policy, no extensions) for a hash, as a
 * TSA client sends it; with its parsed form for {@link issueTimeStamp}.
 */
export function timeStampRequest(options: {
  hashAlgorithm: HashAlgorithm;
  hashedMessage: Uint8Array;
  nonce?: bigint;
  certReq: boolean;
}): { der: Uint8Array; request: TimeStampRequest } {
  const { hashAlgorithm, hashedMessage, nonce, certReq } = options;
  if (hashedMessage.byteLength !== HASHES[hashAlgorithm].length)
    throw new Error(`a ${hashAlgorithm} hash is ${HASHES[hashAlgorithm].length} bytes`);
  const messageImprint = new MessageImprint({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASHES[hashAlgorithm].oid }),
    hashedMessage: new OctetString(hashedMessage),
  });
  const req = new TimeStampReq({
    version: 1,
    messageImprint,
    certReq,
    ...(nonce === undefined ? {} : { nonce: toArrayBuffer(bigIntToInteger(nonce)) }),
  });
  return {
    der: new Uint8Array(AsnConvert.serialize(req)),
    request: {
      hashAlgorithm,
      hashedMessage: hashedMessage.slice(),
      messageImprint: new Uint8Array(AsnConvert.serialize(messageImprint)),
      ...(nonce === undefined ? {} : { nonce }),
      certReq,
    },
  };
}

interface PreparedChain {
  readonly chain: readonly Uint8Array[];
  readonly certificates: readonly Certificate[];
  readonly issuer: Certificate['tbsCertificate']['issuer'];
  readonly certificateSerial: ArrayBuffer;
  /** The signingCertificateV2 attribute value (RFC 5816): ESSCertIDv2 of the TSA certificate. */
  readonly signingCertificateDer: Uint8Array;
  readonly tsaKey: ReturnType<typeof createPublicKey>;
}

/** Per signer, the chain as last seen, parsed: parsing certificates costs more than the signature. */
const preparedChains = new WeakMap<TsaSigner, PreparedChain>();

async function prepareChain(signer: TsaSigner): Promise<PreparedChain> {
  const chain = await signer.certificateChain();
  const cached = preparedChains.get(signer);
  if (
    cached?.chain.length === chain.length &&
    cached.chain.every((der, i) => equalBytes(der, chain[i] as Uint8Array))
  )
    return cached;
  const tsaCertificateDer = chain[0];
  if (!tsaCertificateDer) throw new Error('the TSA signer has no certificate');
  const certificates = chain.map((der) => {
    const certificate = AsnConvert.parse(new Uint8Array(der), Certificate);
    // The token carries the re-encoded certificate; it must be the very bytes the CA signed.
    if (!equalBytes(new Uint8Array(AsnConvert.serialize(certificate)), der)) {
      throw new Error('a TSA certificate does not survive re-encoding');
    }
    return certificate;
  });
  const {
    issuer,
    serialNumber: certificateSerial,
    subjectPublicKeyInfo,
  } = (certificates[0] as Certificate).tbsCertificate;
  const signingCertificate = new SigningCertificateV2({
    certs: [
      new EssCertIdV2({
        // hashAlgorithm left out: its DEFAULT is SHA-256.
        certHash: new OctetString(hash('SHA-256', tsaCertificateDer)),
        issuerSerial: new IssuerSerial({
          issuer: new GeneralNames([new GeneralName({ directoryName: issuer })]),
          serialNumber: certificateSerial,
        }),
      }),
    ],
  });
  const prepared: PreparedChain = {
    chain: chain.map((der) => der.slice()),
    certificates,
    issuer,
    certificateSerial,
    signingCertificateDer: new Uint8Array(AsnConvert.serialize(signingCertificate)),
    tsaKey: createPublicKey({
      key: Buffer.from(AsnConvert.serialize(subjectPublicKeyInfo)),
      format: 'der',
      type: 'spki',
    }),
  };
  preparedChains.set(signer, prepared);
  return prepared;
}

/** A TimeStampResp with status rejection (2), a statusString and the one failInfo bit. */
export function rejectTimeStamp(failure: PkiFailure, statusString: string = failure): Uint8Array {
  const bit = PKI_FAILURE_BITS[failure];
  const bytes = new Uint8Array((bit >> 3) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  const response = new TimeStampResp({
    status: new PKIStatusInfo({
      status: PKIStatus.rejection,
      statusString: new PKIFreeText([statusString]),
      failInfo: new PKIFailureInfo(bytes, 7 - (bit & 7)),
    }),
  });
  return new Uint8Array(AsnConvert.serialize(response));
}

// --- helpers

const attribute = (attrType: string, value: ArrayBuffer): Attribute =>
  new Attribute({ attrType, attrValues: [value] });

const hash = (algorithm: HashAlgorithm, data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash(HASHES[algorithm].node).update(data).digest());

function toAccuracy(accuracy: TimeStampAccuracy | undefined): Accuracy | undefined {
  if (!accuracy) return undefined;
  const { seconds, millis, micros } = accuracy;
  if (seconds !== undefined && !(Number.isSafeInteger(seconds) && seconds >= 0)) {
    throw new Error('accuracy.seconds must be a non-negative integer');
  }
  for (const [field, value] of [
    ['millis', millis],
    ['micros', micros],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= 999)) {
      throw new Error(`accuracy.${field} must be an integer from 1 to 999`);
    }
  }
  if (!seconds && millis === undefined && micros === undefined) return undefined;
  // Accuracy's constructor defaults seconds to 0; undefined leaves it out.
  return new Accuracy({ seconds: seconds || undefined, millis, micros } as Partial<Accuracy>);
}

const isDerNull = (value: ArrayBuffer): boolean =>
  equalBytes(new Uint8Array(value), Uint8Array.of(0x05, 0x00));

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** The value of a DER INTEGER's content octets (two's complement, big-endian). */
export function integerToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (bytes.byteLength > 0 && (bytes[0] as number) & 0x80) value -= 1n << BigInt(bytes.byteLength * 8);
  return value;
}

/** The shortest two's-complement content octets of a DER INTEGER. */
export function bigIntToInteger(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
    const negative = ((bytes[0] as number) & 0x80) !== 0;
    if ((rest === 0n && !negative) || (rest === -1n && negative)) return Uint8Array.from(bytes);
  }
}
