import { constants, createHash, type KeyObject, verify } from 'node:crypto';
import {
  type Attribute,
  ContentInfo,
  id_contentType,
  id_messageDigest,
  id_signedData,
  SignedData,
  type SignerInfo,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { id_ct_tstInfo, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import {
  AlgorithmIdentifier,
  ExtendedKeyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectKeyIdentifier,
  id_kp_timeStamping,
  type Name,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { ObjectIdentifier } from 'asn1js';
import {
  type IssuerSerial,
  RsaSsaPssParams,
  SignedAttributesSet,
  SigningCertificate,
  SigningCertificateV2,
} from './cms-types';
import { oidInSequence } from './der-oid';
import { integerToBigInt } from './tsa';
import {
  chainTo,
  type ParsedCertificate,
  parseCertificate,
  pemCertificates,
  subjectLine,
} from './x509-chain';

/**
 * Verifying RFC 3161 time-stamp tokens, ours or a third party's, offline
 * against pinned roots: the CMS signature, the ESS binding of the signer
 * certificate, its timeStamping EKU and chain, and what the token states.
 */

export type TimeStampFailure = 'malformed' | 'rejected' | 'imprint' | 'nonce' | 'signature' | 'certificate';

/** Why a response or token was not accepted; `failure` names the check. */
export class TimeStampError extends Error {
  override readonly name = 'TimeStampError';
  constructor(
    readonly failure: TimeStampFailure,
    message: string,
  ) {
    super(message);
  }
}

export type TimeStampHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface VerifiedTimeStamp {
  readonly genTime: Date;
  /** Total accuracy in milliseconds, when the token states one. */
  readonly accuracyMs?: number;
  readonly serialNumber: bigint;
  readonly policy: string;
  readonly hashAlgorithm: TimeStampHash;
  readonly hashedMessage: Uint8Array;
  readonly nonce?: bigint;
  /** The TSA certificate's subject, one line, e.g. "CN=External TSA (test)". */
  readonly tsaSubject: string;
  /** Hex SHA-256 of the token DER. */
  readonly tokenSha256: string;
}

export interface VerifyTimeStampOptions {
  /** Roots (or the TSA certificate itself), DER or PEM. */
  readonly trusted: readonly (Uint8Array | string)[];
  /** Certificates the token may not carry (the TSA's, intermediates), DER or PEM. */
  readonly certificates?: readonly (Uint8Array | string)[];
  readonly imprint?: { hashAlgorithm: TimeStampHash; hashedMessage: Uint8Array };
  readonly nonce?: bigint;
}

const HASHES: Record<string, { name: TimeStampHash; node: string; length: number }> = {
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', node: 'sha256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', node: 'sha384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', node: 'sha512', length: 64 },
};
const SHA256_OID = '2.16.840.1.101.3.4.2.1';

const ID_AA_SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12'; // RFC 2634, ESSCertID (SHA-1)
const ID_AA_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47'; // RFC 5035, ESSCertIDv2

/** SignatureAlgorithm OIDs: the hash they fix (undefined: the SignerInfo's digestAlgorithm). */
const ECDSA: Record<string, string | undefined> = {
  '1.2.840.10045.2.1': undefined, // id-ecPublicKey, as some signers write it
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const RSA_PKCS1: Record<string, string | undefined> = {
  '1.2.840.113549.1.1.1': undefined, // rsaEncryption
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** PKIStatus (RFC 3161 §2.4.2) and PKIFailureInfo bit numbers, for messages. */
const STATUSES = [
  'granted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
];
const FAILURE_BITS: Record<number, string> = {
  0: 'badAlg',
  2: 'badRequest',
  5: 'badDataFormat',
  14: 'timeNotAvailable',
  15: 'unacceptedPolicy',
  16: 'unacceptedExtension',
  17: 'addInfoNotAvailable',
  25: 'systemFailure',
};

/** A DER TimeStampResp: its token (DER) if granted (status 0 or 1), else a 'rejected' TimeStampError. */
export function tokenFromResponse(responseDer: Uint8Array): Uint8Array {
  const response = strictParse(responseDer, TimeStampResp, 'the response is not a DER TimeStampResp');
  const { status, statusString, failInfo } = response.status;
  if (status !== 0 && status !== 1) {
    // asn1-tsp's PKIFailureInfo flags are one bit off (see tsa.ts): the bits are read here.
    const bits = new Uint8Array(failInfo?.value ?? new ArrayBuffer(0));
    const failures = Object.entries(FAILURE_BITS)
      .filter(([bit]) => ((bits[Number(bit) >> 3] ?? 0) & (0x80 >> (Number(bit) & 7))) !== 0)
      .map(([, name]) => name);
    const details = [...(statusString ?? []), ...failures].join('; ');
    throw new TimeStampError(
      'rejected',
      `the TSA did not grant a token (${STATUSES[status] ?? `status ${status}`})${details ? `: ${details}` : ''}`,
    );
  }
  if (!response.timeStampToken) throw new TimeStampError('malformed', 'the response grants no token');
  return new Uint8Array(AsnConvert.serialize(response.timeStampToken));
}

/** The certificates a DER TimeStampToken carries (DER; none unless it was requested with certReq). */
export function tokenCertificates(tokenDer: Uint8Array): Uint8Array[] {
  return decodeToken(tokenDer).certificates;
}

/** PEM text with one or more CERTIFICATE blocks → DER list. */
export function certificatesFromPem(pem: string): Uint8Array[] {
  const ders = pemCertificates(pem);
  if (ders.length === 0) throw new TimeStampError('certificate', 'no PEM certificate found');
  for (const der of ders) {
    if (!parseCertificate(der))
      throw new TimeStampError('certificate', 'a PEM block is not a DER certificate');
  }
  return ders;
}

/**
 * Verifies a DER TimeStampToken (CMS ContentInfo of SignedData over a
 * TSTInfo): its one signer's signature over the signed attributes, which
 * bind the TSTInfo (messageDigest) and the signer certificate (ESS
 * signingCertificate or signingCertificateV2); that certificate's critical
 * timeStamping-only EKU (RFC 3161 §2.3) and its chain to `trusted` at
 * genTime; and, when given, the imprint and nonce. Throws TimeStampError
 * (and no other error) naming the failed check.
 */
export function verifyTimeStampToken(
  tokenDer: Uint8Array,
  options: VerifyTimeStampOptions,
): VerifiedTimeStamp {
  const token = decodeToken(tokenDer);
  const { tstInfo, signerInfo } = token;
  const digest = HASHES[signerInfo.digestAlgorithm.algorithm];
  if (!digest) {
    throw new TimeStampError(
      'signature',
      `unsupported digest algorithm ${signerInfo.digestAlgorithm.algorithm}`,
    );
  }

  // The signer certificate, by sid: in the token, given, or trusted itself (its EKU is checked all the same).
  const trusted = certificateInputs(options.trusted, 'trusted');
  if (trusted.length === 0) throw new TimeStampError('certificate', 'no trusted certificate was given');
  const pool = [
    ...token.certificates.map((der) => parseCertificate(der)),
    ...certificateInputs(options.certificates ?? [], 'given'),
  ];
  const candidates = pool.filter((c): c is ParsedCertificate => c !== undefined);
  const signer = [...candidates, ...trusted].find((certificate) => identifies(signerInfo, certificate));
  if (!signer)
    throw new TimeStampError('certificate', 'the signer certificate is neither in the token nor given');

  // Signed attributes: what the signature covers, bound to the content and to the signer certificate.
  const attributes = signedAttributes(signerInfo);
  const contentType = attributes.get(id_contentType);
  if (
    !contentType ||
    !equalBytes(contentType, new Uint8Array(new ObjectIdentifier({ value: id_ct_tstInfo }).toBER()))
  ) {
    throw new TimeStampError('signature', 'the signed contentType attribute is not id-ct-TSTInfo');
  }
  const messageDigest = attributes.get(id_messageDigest);
  if (!messageDigest || !equalBytes(parseOctets(messageDigest), hash(digest.node, token.tstInfoDer))) {
    throw new TimeStampError('signature', 'the signed messageDigest is not the digest of the TSTInfo');
  }
  checkSigningCertificate(attributes, signer);
  const signedAttributesDer = new Uint8Array(
    AsnConvert.serialize(new SignedAttributesSet(signerInfo.signedAttrs)),
  );
  checkSignature(signerInfo, signer.x509.publicKey, digest.node, signedAttributesDer);

  const genTime = tstInfo.genTime;
  checkTimeStampingUsage(signer);
  const chain = chainTo(signer, candidates, trusted, genTime);
  if ('reason' in chain)
    throw new TimeStampError(
      'certificate',
      `the TSA certificate does not chain to a trusted one: ${chain.reason}`,
    );

  const imprint = tstInfo.messageImprint;
  const imprintHash = HASHES[imprint.hashAlgorithm.algorithm];
  if (!imprintHash)
    throw new TimeStampError(
      'imprint',
      `unsupported imprint hash algorithm ${imprint.hashAlgorithm.algorithm}`,
    );
  const hashedMessage = new Uint8Array(imprint.hashedMessage.buffer);
  if (hashedMessage.byteLength !== imprintHash.length) {
    throw new TimeStampError(
      'malformed',
      `the token's ${imprintHash.name} imprint is not ${imprintHash.length} bytes`,
    );
  }
  if (options.imprint) {
    if (options.imprint.hashAlgorithm !== imprintHash.name) {
      throw new TimeStampError(
        'imprint',
        `the token is over a ${imprintHash.name} hash, not ${options.imprint.hashAlgorithm}`,
      );
    }
    if (!equalBytes(hashedMessage, options.imprint.hashedMessage)) {
      throw new TimeStampError('imprint', 'the token is over another hash');
    }
  }
  const nonce = tstInfo.nonce === undefined ? undefined : integerToBigInt(new Uint8Array(tstInfo.nonce));
  if (options.nonce !== undefined && nonce !== options.nonce) {
    throw new TimeStampError(
      'nonce',
      nonce === undefined ? 'the token has no nonce' : 'the token has another nonce',
    );
  }

  const { accuracy } = tstInfo;
  return {
    genTime,
    ...(accuracy
      ? {
          accuracyMs: (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + (accuracy.micros ?? 0) / 1000,
        }
      : {}),
    serialNumber: integerToBigInt(new Uint8Array(tstInfo.serialNumber)),
    policy: tstInfo.policy,
    hashAlgorithm: imprintHash.name,
    hashedMessage,
    ...(nonce === undefined ? {} : { nonce }),
    tsaSubject: subjectLine(signer),
    tokenSha256: createHash('sha256').update(token.der).digest('hex'),
  };
}

// --- decoding

interface DecodedToken {
  readonly der: Uint8Array;
  readonly signerInfo: SignerInfo & { signedAttrs: Attribute[] };
  readonly tstInfoDer: Uint8Array;
  readonly tstInfo: TSTInfo;
  readonly certificates: Uint8Array[];
}

/** The parts of a token, each layer exactly DER (re-encoding gives the same bytes). */
function decodeToken(tokenDer: Uint8Array): DecodedToken {
  const der = new Uint8Array(tokenDer);
  const contentInfo = strictParse(der, ContentInfo, 'the token is not a DER ContentInfo');
  if (contentInfo.contentType !== id_signedData)
    throw new TimeStampError('malformed', 'the token is not CMS SignedData');
  const signedData = strictParse(
    new Uint8Array(contentInfo.content),
    SignedData,
    'the token is not DER SignedData',
  );
  const { eContentType, eContent } = signedData.encapContentInfo;
  if (eContentType !== id_ct_tstInfo)
    throw new TimeStampError('malformed', 'the signed content is not a TSTInfo');
  if (!eContent?.single)
    throw new TimeStampError('malformed', 'the token has no TSTInfo (or not as a DER OCTET STRING)');
  const tstInfoDer = new Uint8Array(eContent.single.buffer);
  const tstInfo = strictParse(tstInfoDer, TSTInfo, 'the signed content is not a DER TSTInfo', (value) => {
    // Either reading may be the library's, or both: a policy with a big arc, an Accuracy without seconds.
    const policy = oidInSequence(tstInfoDer, 1);
    const bigArc = policy !== undefined && policy !== value.policy;
    if (bigArc) value.policy = policy;
    return withoutZeroSeconds(value) || bigArc;
  });
  if (tstInfo.version !== 1)
    throw new TimeStampError('malformed', `TSTInfo version ${tstInfo.version} is not 1`);
  if (signedData.signerInfos.length !== 1)
    throw new TimeStampError('malformed', 'the token does not have exactly one signer');
  const signerInfo = signedData.signerInfos[0] as SignerInfo;
  if (!signerInfo.signedAttrs?.length)
    throw new TimeStampError('malformed', 'the signer has no signed attributes');
  const certificates = (signedData.certificates ?? []).flatMap((choice) =>
    choice.certificate ? [new Uint8Array(AsnConvert.serialize(choice.certificate))] : [],
  );
  return { der, signerInfo: signerInfo as DecodedToken['signerInfo'], tstInfoDer, tstInfo, certificates };
}

/**
 * Parses `der` as `type`, accepting it only if re-encoding gives the very
 * bytes (DER, nothing trailing). `reread`, if given, may adjust a value whose
 * re-encoding differs for a reason of the library's, before one more try.
 */
function strictParse<T>(
  der: Uint8Array,
  type: new () => T,
  message: string,
  reread?: (value: T) => boolean,
): T {
  try {
    const bytes = new Uint8Array(der); // a copy: parsers may not honour a view's offset
    const value = AsnConvert.parse(bytes, type);
    const same = () => equalBytes(new Uint8Array(AsnConvert.serialize(value)), bytes);
    if (same() || (reread?.(value) && same())) return value;
  } catch {
    // reported below
  }
  throw new TimeStampError('malformed', message);
}

/**
 * asn1-tsp's Accuracy reads an absent `seconds` as 0 and writes 0 back, so a
 * DER Accuracy of millis or micros alone (OpenSSL's `accuracy = millisecs:…`)
 * would not re-encode; leaving it out tries the other reading.
 */
function withoutZeroSeconds(tstInfo: TSTInfo): boolean {
  if (tstInfo.accuracy?.seconds !== 0) return false;
  (tstInfo.accuracy as { seconds?: number }).seconds = undefined;
  return true;
}

function certificateInputs(inputs: readonly (Uint8Array | string)[], what: string): ParsedCertificate[] {
  return inputs
    .flatMap((input) => (typeof input === 'string' ? certificatesFromPem(input) : [input]))
    .map((der) => {
      const certificate = parseCertificate(der);
      if (!certificate)
        throw new TimeStampError('certificate', `a ${what} certificate is not a DER certificate`);
      return certificate;
    });
}

/** Each signed attribute's single value (DER), by type; repeated types or values are refused. */
function signedAttributes(signerInfo: DecodedToken['signerInfo']): Map<string, Uint8Array> {
  const attributes = new Map<string, Uint8Array>();
  for (const { attrType, attrValues } of signerInfo.signedAttrs) {
    if (attributes.has(attrType) || attrValues.length !== 1) {
      throw new TimeStampError('malformed', `the signed attribute ${attrType} is not exactly one value`);
    }
    attributes.set(attrType, new Uint8Array(attrValues[0] as ArrayBuffer));
  }
  return attributes;
}

const parseOctets = (der: Uint8Array): Uint8Array => {
  try {
    return new Uint8Array(AsnConvert.parse(new Uint8Array(der), OctetString).buffer);
  } catch {
    throw new TimeStampError('malformed', 'the signed messageDigest is not an OCTET STRING');
  }
};

// --- checks

/** Whether the SignerInfo's sid (issuerAndSerialNumber or subjectKeyIdentifier) names `certificate`. */
function identifies(signerInfo: SignerInfo, certificate: ParsedCertificate): boolean {
  const { issuerAndSerialNumber, subjectKeyIdentifier } = signerInfo.sid;
  const tbs = certificate.asn1.tbsCertificate;
  if (issuerAndSerialNumber) {
    return (
      equalBytes(derOf(issuerAndSerialNumber.issuer), derOf(tbs.issuer)) &&
      equalBytes(new Uint8Array(issuerAndSerialNumber.serialNumber), new Uint8Array(tbs.serialNumber))
    );
  }
  const extension = tbs.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  if (!subjectKeyIdentifier || !extension) return false;
  try {
    const ski = AsnConvert.parse(extension.extnValue.buffer, SubjectKeyIdentifier);
    return equalBytes(new Uint8Array(ski.buffer), new Uint8Array(subjectKeyIdentifier.buffer));
  } catch {
    return false;
  }
}

/**
 * The ESS attribute that binds the signature to one certificate (so another
 * certificate for the same key cannot be substituted): its first ESSCertID
 * must be the signer certificate's hash, and its issuerSerial, if any, its
 * issuer and serial number.
 */
function checkSigningCertificate(attributes: Map<string, Uint8Array>, signer: ParsedCertificate): void {
  const v2 = attributes.get(ID_AA_SIGNING_CERTIFICATE_V2);
  const v1 = attributes.get(ID_AA_SIGNING_CERTIFICATE);
  let certId: { hashNode: string; certHash: Uint8Array; issuerSerial?: IssuerSerial } | undefined;
  try {
    if (v2) {
      const first = AsnConvert.parse(v2, SigningCertificateV2).certs[0];
      const algorithm = first?.hashAlgorithm?.algorithm ?? SHA256_OID;
      const hashNode = HASHES[algorithm]?.node;
      if (first && !hashNode) {
        throw new TimeStampError(
          'certificate',
          `unsupported signingCertificateV2 hash algorithm ${algorithm}`,
        );
      }
      if (first && hashNode)
        certId = {
          hashNode,
          certHash: new Uint8Array(first.certHash.buffer),
          issuerSerial: first.issuerSerial,
        };
    } else if (v1) {
      const first = AsnConvert.parse(v1, SigningCertificate).certs[0];
      if (first)
        certId = {
          hashNode: 'sha1',
          certHash: new Uint8Array(first.certHash.buffer),
          issuerSerial: first.issuerSerial,
        };
    }
  } catch (err) {
    if (err instanceof TimeStampError) throw err;
    throw new TimeStampError('malformed', 'the signing certificate attribute is not DER ESS');
  }
  if (!certId) throw new TimeStampError('certificate', 'the token has no signingCertificate(V2) attribute');
  if (!equalBytes(certId.certHash, hash(certId.hashNode, signer.der))) {
    throw new TimeStampError('certificate', 'the signing certificate attribute names another certificate');
  }
  const { issuerSerial } = certId;
  const tbs = signer.asn1.tbsCertificate;
  if (
    issuerSerial &&
    !(
      equalBytes(new Uint8Array(issuerSerial.serialNumber), new Uint8Array(tbs.serialNumber)) &&
      issuerSerial.issuer.some(
        (name) => name.directoryName && equalBytes(derOf(name.directoryName), derOf(tbs.issuer)),
      )
    )
  ) {
    throw new TimeStampError(
      'certificate',
      "the signing certificate attribute's issuer and serial name another certificate",
    );
  }
}

/** The signature over the DER SET OF signed attributes, with the algorithm the SignerInfo names. */
function checkSignature(signerInfo: SignerInfo, key: KeyObject, digestNode: string, data: Uint8Array): void {
  const { algorithm, parameters } = signerInfo.signatureAlgorithm;
  const signature = new Uint8Array(signerInfo.signature.buffer);
  const keyType = key.asymmetricKeyType;
  let ok: boolean;
  try {
    if (algorithm in ECDSA) {
      if (keyType !== 'ec' || !CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? ''))
        throw wrongKey(algorithm);
      ok = verify(ECDSA[algorithm] ?? digestNode, data, { key, dsaEncoding: 'der' }, signature);
    } else if (algorithm in RSA_PKCS1) {
      if (keyType !== 'rsa') throw wrongKey(algorithm);
      ok = verify(
        RSA_PKCS1[algorithm] ?? digestNode,
        data,
        { key, padding: constants.RSA_PKCS1_PADDING },
        signature,
      );
    } else if (algorithm === RSASSA_PSS) {
      if (keyType !== 'rsa' && keyType !== 'rsa-pss') throw wrongKey(algorithm);
      const { hashNode, saltLength } = pssParameters(parameters);
      ok = verify(hashNode, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
    } else {
      throw new TimeStampError('signature', `unsupported signature algorithm ${algorithm}`);
    }
  } catch (err) {
    if (err instanceof TimeStampError) throw err;
    ok = false; // e.g. a signature that is not even a DER ECDSA-Sig-Value
  }
  if (!ok)
    throw new TimeStampError('signature', "the signature does not verify with the TSA certificate's key");
}

const wrongKey = (algorithm: string) =>
  new TimeStampError(
    'signature',
    `the TSA certificate's key is not one for signature algorithm ${algorithm}`,
  );

/** RSASSA-PSS-params we verify: SHA-2 for both the hash and MGF1 (Node ties them), trailer 1. */
function pssParameters(parameters: ArrayBuffer | null | undefined): { hashNode: string; saltLength: number } {
  let params = new RsaSsaPssParams(); // absent: all defaults, SHA-1, refused below
  try {
    if (parameters) params = AsnConvert.parse(parameters, RsaSsaPssParams);
  } catch {
    throw new TimeStampError('malformed', 'the RSASSA-PSS parameters are not DER');
  }
  const hashNode = HASHES[params.hashAlgorithm?.algorithm ?? '']?.node;
  let mgfHash: string | undefined;
  try {
    const mgf = params.maskGenAlgorithm;
    if (mgf?.algorithm === MGF1 && mgf.parameters)
      mgfHash = AsnConvert.parse(mgf.parameters, AlgorithmIdentifier).algorithm;
  } catch {
    // unsupported, below
  }
  if (!hashNode || mgfHash !== params.hashAlgorithm?.algorithm || params.trailerField !== 1) {
    throw new TimeStampError(
      'signature',
      'unsupported RSASSA-PSS parameters (only SHA-2 with MGF1 of the same hash)',
    );
  }
  return { hashNode, saltLength: params.saltLength };
}

/** RFC 3161 §2.3: the TSA certificate's extendedKeyUsage is critical and id-kp-timeStamping alone. */
function checkTimeStampingUsage(certificate: ParsedCertificate): void {
  const extension = certificate.asn1.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_extKeyUsage);
  let usages: string[] = [];
  try {
    if (extension) usages = [...AsnConvert.parse(extension.extnValue.buffer, ExtendedKeyUsage)];
  } catch {
    // not an EKU: refused below
  }
  if (!extension?.critical || usages.length !== 1 || usages[0] !== id_kp_timeStamping) {
    throw new TimeStampError(
      'certificate',
      `"${subjectLine(certificate)}" is not a TSA certificate: its extendedKeyUsage must be critical and timeStamping only`,
    );
  }
}

// --- helpers

const hash = (node: string, data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash(node).update(data).digest());

const derOf = (name: Name): Uint8Array => new Uint8Array(AsnConvert.serialize(name));

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
