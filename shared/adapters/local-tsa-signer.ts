import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import type { TsaSigner } from '../ports/tsa-signer';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const DAY_MS = 86_400_000;
const CA_VALIDITY_DAYS = 10 * 365;
const TSA_VALIDITY_DAYS = 5 * 365;

/**
 * The local time-stamp authority: an ECDSA P-256 key and its certificate
 * chain in `<directory>/tsa.pem` (mode 0600, directory 0700), made on first
 * use. The chain is a self-signed "Stempel local CA" (whose key is thrown
 * away once it has signed) and the TSA certificate it issued (critical
 * extendedKeyUsage id-kp-timeStamping only, keyUsage digitalSignature and
 * nonRepudiation). Stands in for a KMS key with a CA-issued certificate.
 */
export class LocalTsaSigner implements TsaSigner {
  readonly algorithm = 'ES256';
  private readonly privateKey: KeyObject;
  private readonly chain: readonly Uint8Array[];

  constructor(directory: string) {
    const path = join(directory, 'tsa.pem');
    if (!existsSync(path)) {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      try {
        writeFileSync(path, createLocalTsaPem(new Date()), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another process made it first: use theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const pem = readFileSync(path, 'utf8');
    const blocks = pemBlocks(pem);
    const key = blocks.find((b) => b.label === 'PRIVATE KEY');
    if (!key) throw new Error(`${path} holds no private key`);
    this.privateKey = createPrivateKey({ key: Buffer.from(key.der), format: 'der', type: 'pkcs8' });
    if (this.privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`${path} does not hold a P-256 key`);
    }
    this.chain = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
    const tsaCertificate = this.chain[0];
    if (!tsaCertificate || !new X509Certificate(tsaCertificate).checkPrivateKey(this.privateKey)) {
      throw new Error(`${path} holds no certificate for its key`);
    }
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', data, this.privateKey)); // DER ECDSA-Sig-Value
  }

  async certificateChain(): Promise<Uint8Array[]> {
    return this.chain.map((der) => der.slice());
  }

  /** The TSA certificate then the local CA, PEM, for clients to verify tokens with. */
  certificatesPem(): string {
    return this.chain.map((der) => toPem('CERTIFICATE', der)).join('');
  }
}

/** A fresh key, CA and TSA certificate as one PEM file (private key first). */
function createLocalTsaPem(now: Date): string {
  const notBefore = new Date(now.getTime() - 3_600_000); // an hour of clock skew
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = name('Stempel local CA');
  const caKeyId = keyIdentifier(ca.publicKey);

  const caCertificate = issueCertificate({
    subject: caName,
    issuer: caName,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    publicKey: ca.publicKey,
    issuerKey: ca.privateKey,
    extensions: [
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(caKeyId)),
    ],
  });
  const tsaCertificate = issueCertificate({
    subject: name('Stempel local TSA'),
    issuer: caName,
    notBefore,
    notAfter: new Date(notBefore.getTime() + TSA_VALIDITY_DAYS * DAY_MS),
    publicKey: tsa.publicKey,
    issuerKey: ca.privateKey,
    extensions: [
      extension(
        id_ce_keyUsage,
        true,
        new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation),
      ),
      extension(id_ce_extKeyUsage, true, new ExtendedKeyUsage([id_kp_timeStamping])),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(tsa.publicKey))),
      extension(
        id_ce_authorityKeyIdentifier,
        false,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(caKeyId) }),
      ),
    ],
  });
  return (
    (tsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string) +
    toPem('CERTIFICATE', tsaCertificate) +
    toPem('CERTIFICATE', caCertificate)
  );
}

function issueCertificate(options: {
  subject: Name;
  issuer: Name;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  issuerKey: KeyObject;
  extensions: Extension[];
}): Uint8Array {
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  // A positive 127-bit serial number (RFC 5280: positive, at most 20 octets).
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40;
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: signatureAlgorithm,
    issuer: options.issuer,
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject: options.subject,
    subjectPublicKeyInfo: AsnConvert.parse(spki(options.publicKey), SubjectPublicKeyInfo),
    extensions: new Extensions(options.extensions),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbsCertificate)), options.issuerKey);
  const certificate = new Certificate({
    tbsCertificate,
    signatureAlgorithm,
    signatureValue: new Uint8Array(signature).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}

const name = (commonName: string): Name =>
  new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: '2.5.4.10', value: new AttributeValue({ utf8String: 'Stempel' }) }),
    ]),
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: commonName }) }),
    ]),
  ]);

const extension = (extnID: string, critical: boolean, value: object): Extension =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

const spki = (publicKey: KeyObject): Buffer => publicKey.export({ format: 'der', type: 'spki' });

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
const keyIdentifier = (publicKey: KeyObject): Uint8Array => {
  const { subjectPublicKey } = AsnConvert.parse(spki(publicKey), SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(subjectPublicKey)).digest());
};

const toPem = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

function pemBlocks(pem: string): { label: string; der: Uint8Array }[] {
  return [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----([^-]+)-----END \1-----/g)].map((m) => ({
    label: m[1] as string,
    der: new Uint8Array(Buffer.from((m[2] as string).replace(/\s+/g, ''), 'base64')),
  }));
}
