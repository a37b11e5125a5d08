import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_kp_timeStamping,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';

/*
 * The one X.509 certificate builder of Stempel: the time-stamp authority's
 * chain, a self-signed CA and the TSA certificate it issues. Pure: keys come
 * in as DER SubjectPublicKeyInfo (what KMS GetPublicKey answers and what
 * node's KeyObject exports), and the issuer's signature comes from a callback
 * (a KMS key at deploy time, a local key file in the local runtime).
 */

/** The ECDSA curves Stempel's keys use, by node's name of the curve. */
const CURVES = {
  prime256v1: { curve: 'P-256', signatureAlgorithm: '1.2.840.10045.4.3.2', hash: 'SHA-256' },
  secp384r1: { curve: 'P-384', signatureAlgorithm: '1.2.840.10045.4.3.3', hash: 'SHA-384' },
} as const;

export type Curve = (typeof CURVES)[keyof typeof CURVES]['curve'];

/** DER signature over DER bytes: an ECDSA-Sig-Value, which is what X.509 carries for ecdsa-with-SHA*. */
export type SignCallback<R> = (tbsDer: Uint8Array) => R;

/** Everything a certificate says except its signature. */
export interface CertificateTemplate {
  readonly subject: Name;
  readonly issuer: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The certified key, DER SubjectPublicKeyInfo. */
  readonly publicKey: Uint8Array;
  /** The key that signs it, DER SubjectPublicKeyInfo: picks ecdsa-with-SHA256 (P-256) or SHA384 (P-384). */
  readonly issuerPublicKey: Uint8Array;
  readonly extensions: readonly Extension[];
  /** Positive, at most 20 octets (RFC 5280 §4.1.2.2); random when absent. */
  readonly serialNumber?: Uint8Array;
}

const DAY_MS = 86_400_000;

/** The curve of an EC public key (DER SubjectPublicKeyInfo); any other key is an error. */
export function curveOf(publicKey: Uint8Array): (typeof CURVES)[keyof typeof CURVES] {
  const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  const namedCurve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const curve = CURVES[namedCurve as keyof typeof CURVES];
  if (!curve)
    throw new Error(`not a P-256 or P-384 public key (${key.asymmetricKeyType} ${namedCurve ?? ''})`);
  return curve;
}

/** `O=Stempel, CN=<commonName>`. */
export const stempelName = (commonName: string): Name =>
  new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: '2.5.4.10', value: new AttributeValue({ utf8String: 'Stempel' }) }),
    ]),
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: commonName }) }),
    ]),
  ]);

/** One extension, its value DER-encoded. */
export const extension = (extnID: string, critical: boolean, value: object): Extension =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export const keyIdentifier = (publicKey: Uint8Array): Uint8Array => {
  const { subjectPublicKey } = AsnConvert.parse(publicKey, SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(subjectPublicKey)).digest());
};

/** A positive 127-bit serial number (RFC 5280: positive, at most 20 octets). */
const randomSerial = (): Uint8Array => {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40;
  return new Uint8Array(serial);
};

/**
 * A self-signed CA certificate: basicConstraints cA (critical), keyUsage
 * keyCertSign and cRLSign (critical), subjectKeyIdentifier.
 */
export function caCertificate(options: {
  readonly commonName: string;
  readonly publicKey: Uint8Array;
  readonly notBefore: Date;
  readonly validityDays: number;
}): CertificateTemplate {
  const name = stempelName(options.commonName);
  return {
    subject: name,
    issuer: name,
    notBefore: options.notBefore,
    notAfter: new Date(options.notBefore.getTime() + options.validityDays * DAY_MS),
    publicKey: options.publicKey,
    issuerPublicKey: options.publicKey,
    extensions: [
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
      extension(
        id_ce_subjectKeyIdentifier,
        false,
        new SubjectKeyIdentifier(keyIdentifier(options.publicKey)),
      ),
    ],
  };
}

/**
 * A time-stamping certificate issued by `ca` (RFC 3161 §2.3): extendedKeyUsage
 * id-kp-timeStamping only (critical), keyUsage digitalSignature and
 * nonRepudiation (critical), subject and authority key identifiers.
 */
export function tsaCertificate(options: {
  readonly commonName: string;
  readonly publicKey: Uint8Array;
  readonly ca: Pick<CertificateTemplate, 'subject' | 'publicKey'>;
  readonly notBefore: Date;
  readonly validityDays: number;
}): CertificateTemplate {
  return {
    subject: stempelName(options.commonName),
    issuer: options.ca.subject,
    notBefore: options.notBefore,
    notAfter: new Date(options.notBefore.getTime() + options.validityDays * DAY_MS),
    publicKey: options.publicKey,
    issuerPublicKey: options.ca.publicKey,
    extensions: [
      extension(
        id_ce_keyUsage,
        true,
        new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation),
      ),
      extension(id_ce_extKeyUsage, true, new ExtendedKeyUsage([id_kp_timeStamping])),
      extension(
        id_ce_subjectKeyIdentifier,
        false,
        new SubjectKeyIdentifier(keyIdentifier(options.publicKey)),
      ),
      extension(
        id_ce_authorityKeyIdentifier,
        false,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(options.ca.publicKey)) }),
      ),
    ],
  };
}

/**
 * The DER TBSCertificate of a template, and how to complete it with the
 * issuer's signature over exactly those bytes.
 */
export function toBeSigned(template: CertificateTemplate): {
  readonly tbsDer: Uint8Array;
  /** The issuer's hash, which `sign` must use: SHA-256 for a P-256 issuer, SHA-384 for P-384. */
  readonly hash: 'SHA-256' | 'SHA-384';
  complete(signature: Uint8Array): Uint8Array;
} {
  const { signatureAlgorithm: oid, hash } = curveOf(template.issuerPublicKey);
  curveOf(template.publicKey); // only EC keys of the two curves are certified
  // ecdsa-with-SHA*: parameters absent (RFC 5758 §3.2).
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: oid });
  const serial = template.serialNumber ?? randomSerial();
  if (serial.length === 0 || serial.length > 20 || ((serial[0] as number) & 0x80) !== 0)
    throw new Error('a serial number is positive and at most 20 octets');
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial.slice().buffer,
    signature: signatureAlgorithm,
    issuer: template.issuer,
    validity: new Validity({ notBefore: template.notBefore, notAfter: template.notAfter }),
    subject: template.subject,
    subjectPublicKeyInfo: AsnConvert.parse(template.publicKey, SubjectPublicKeyInfo),
    extensions: new Extensions([...template.extensions]),
  });
  return {
    tbsDer: new Uint8Array(AsnConvert.serialize(tbsCertificate)),
    hash,
    complete: (signature) =>
      new Uint8Array(
        AsnConvert.serialize(
          new Certificate({ tbsCertificate, signatureAlgorithm, signatureValue: signature.slice().buffer }),
        ),
      ),
  };
}

/** The DER certificate, signed by the issuer through `sign` (which may be a KMS call). */
export async function signCertificate(
  template: CertificateTemplate,
  sign: SignCallback<Promise<Uint8Array>>,
): Promise<Uint8Array> {
  const { tbsDer, complete } = toBeSigned(template);
  return complete(await sign(tbsDer));
}

/** signCertificate with a synchronous signer (a key in this process). */
export function signCertificateSync(
  template: CertificateTemplate,
  sign: SignCallback<Uint8Array>,
): Uint8Array {
  const { tbsDer, complete } = toBeSigned(template);
  return complete(sign(tbsDer));
}

/** How long the certificates of a TSA chain are valid, and a little clock skew before now. */
export interface ChainValidity {
  readonly now: Date;
  readonly caValidityDays: number;
  readonly tsaValidityDays: number;
}

/**
 * A TSA chain: a self-signed CA (its key signs through `signWithCa`, with the
 * hash its curve calls for) and the TSA certificate it issues. Returns the
 * DER certificates, TSA first, which is the order of the chain Stempel serves.
 *
 * @example
 * const [tsa, ca] = await issueTsaChain({ caName: 'Stempel dev TSA CA', tsaName: 'Stempel dev TSA', caPublicKey, tsaPublicKey, signWithCa, now: new Date(), caValidityDays: 7300, tsaValidityDays: 3650 });
 */
export async function issueTsaChain(
  options: {
    readonly caName: string;
    readonly tsaName: string;
    readonly caPublicKey: Uint8Array;
    readonly tsaPublicKey: Uint8Array;
    readonly signWithCa: SignCallback<Promise<Uint8Array>>;
  } & ChainValidity,
): Promise<[tsa: Uint8Array, ca: Uint8Array]> {
  const { ca, tsa } = tsaChainTemplates(options);
  const caDer = await signCertificate(ca, options.signWithCa);
  const tsaDer = await signCertificate(tsa, options.signWithCa);
  return [tsaDer, caDer];
}

/** issueTsaChain with a synchronous CA signer (a key in this process). */
export function issueTsaChainSync(
  options: {
    readonly caName: string;
    readonly tsaName: string;
    readonly caPublicKey: Uint8Array;
    readonly tsaPublicKey: Uint8Array;
    readonly signWithCa: SignCallback<Uint8Array>;
  } & ChainValidity,
): [tsa: Uint8Array, ca: Uint8Array] {
  const { ca, tsa } = tsaChainTemplates(options);
  return [signCertificateSync(tsa, options.signWithCa), signCertificateSync(ca, options.signWithCa)];
}

/** An hour of clock skew: certificates are valid from an hour before they were made. */
const SKEW_MS = 3_600_000;

function tsaChainTemplates(
  options: {
    readonly caName: string;
    readonly tsaName: string;
    readonly caPublicKey: Uint8Array;
    readonly tsaPublicKey: Uint8Array;
  } & ChainValidity,
) {
  const notBefore = new Date(options.now.getTime() - SKEW_MS);
  const ca = caCertificate({
    commonName: options.caName,
    publicKey: options.caPublicKey,
    notBefore,
    validityDays: options.caValidityDays,
  });
  const tsa = tsaCertificate({
    commonName: options.tsaName,
    publicKey: options.tsaPublicKey,
    ca,
    notBefore,
    validityDays: options.tsaValidityDays,
  });
  return { ca, tsa };
}

/** One PEM block. */
export const toPem = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

/** DER certificates as one PEM chain, in the order given. */
export const certificatesPem = (certificates: readonly Uint8Array[]): string =>
  certificates.map((der) => toPem('CERTIFICATE', der)).join('');
