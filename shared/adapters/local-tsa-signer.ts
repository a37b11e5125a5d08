import { createPrivateKey, generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificatesPem, issueTsaChainSync } from '../core/certificates';
import type { TsaSigner } from '../ports/tsa-signer';

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
    return certificatesPem(this.chain);
  }
}

/** A fresh key, CA and TSA certificate as one PEM file (private key first). */
function createLocalTsaPem(now: Date): string {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = (publicKey: KeyObject) => new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const chain = issueTsaChainSync({
    caName: 'Stempel local CA',
    tsaName: 'Stempel local TSA',
    caPublicKey: spki(ca.publicKey),
    tsaPublicKey: spki(tsa.publicKey),
    signWithCa: (tbsDer) => new Uint8Array(sign('sha256', tbsDer, ca.privateKey)), // DER ECDSA-Sig-Value
    now,
    caValidityDays: CA_VALIDITY_DAYS,
    tsaValidityDays: TSA_VALIDITY_DAYS,
  });
  return (tsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string) + certificatesPem(chain);
}

function pemBlocks(pem: string): { label: string; der: Uint8Array }[] {
  return [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----([^-]+)-----END \1-----/g)].map((m) => ({
    label: m[1] as string,
    der: new Uint8Array(Buffer.from((m[2] as string).replace(/\s+/g, ''), 'base64')),
  }));
}
