import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTsaSigner } from '../../shared/adapters/local-tsa-signer';
import {
  type HashAlgorithm,
  issueTimeStamp,
  parseTimeStampRequest,
  randomSerialNumber,
  rejectTimeStamp,
  type TimeStampAccuracy,
  timeStampRequest,
} from '../../shared/core/tsa';
import {
  certificatesFromPem,
  TimeStampError,
  type TimeStampFailure,
  tokenCertificates,
  tokenFromResponse,
  verifyTimeStampToken,
} from '../../shared/core/tsa-verify';
import type { TsaSigner } from '../../shared/ports/tsa-signer';
import { type OpensslTsa, startOpensslTsa } from '../support/openssl-tsa';

const run = promisify(execFile);
const POLICY = '1.3.6.1.4.1.57264.2.1';
const LENGTH: Record<HashAlgorithm, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** Certificates made with openssl for the cases our signers cannot make. */
const FIXTURE_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = Other CA (test)
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[tsa]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[no_eku]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
[tsa_reply]
serial = ./serial
signer_cert = ./rsa.pem
certs = ./ca.pem
signer_key = ./rsa.key
signer_digest = sha512
default_policy = 1.3.6.1.4.1.55555.9
digests = sha256
accuracy = millisecs:250
ess_cert_id_alg = sha1
`;

let dir: string;
let local: LocalTsaSigner;
let localCa: string; // PEM
let external: OpensslTsa;

const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
const file = (name: string) => readFileSync(join(dir, name));
const pem = (name: string) => file(name).toString('utf8');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stempel-tsa-verify-'));
  local = new LocalTsaSigner(join(dir, 'local'));
  localCa = certificatesFromPem(local.certificatesPem())
    .slice(1)
    .map(
      (der) =>
        `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`,
    )
    .join('');
  external = await startOpensslTsa();

  writeFileSync(join(dir, 'fixture.cnf'), FIXTURE_CNF);
  writeFileSync(join(dir, 'serial'), '01\n');
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  await openssl(
    ...['req', '-x509', '-new', '-key', 'ca.key', '-config', 'fixture.cnf', '-extensions', 'ca'],
    ...['-days', '30', '-out', 'ca.pem'],
  );
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key');
  await openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.key');
  // Two TSA certificates for one key (a and b), one without the EKU, one for the RSA key.
  for (const [name, key, extensions, serial] of [
    ['a', 'ec.key', 'tsa', '4097'],
    ['b', 'ec.key', 'tsa', '4098'],
    ['no-eku', 'ec.key', 'no_eku', '4099'],
    ['rsa', 'rsa.key', 'tsa', '4100'],
  ] as const) {
    await openssl('req', '-new', '-key', key, '-subj', `/CN=Fixture TSA ${name}`, '-out', `${name}.csr`);
    await openssl(
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial],
      ...['-extfile', 'fixture.cnf', '-extensions', extensions, '-days', '30', '-out', `${name}.pem`],
    );
  }
});

afterAll(async () => {
  await external?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A P-256 signer on the fixture key, with the given certificate chain (PEM files). */
function fixtureSigner(...chain: string[]): TsaSigner {
  const key = createPrivateKey(pem('ec.key'));
  return {
    algorithm: 'ES256',
    sign: async (data) => new Uint8Array(sign('sha256', data, key)),
    certificateChain: async () => chain.flatMap((name) => certificatesFromPem(pem(name))),
  };
}

const digestOf = (algorithm: HashAlgorithm, data: Uint8Array | string) =>
  new Uint8Array(createHash(algorithm.replace('-', '').toLowerCase()).update(data).digest());

/** A token from our issuer over a fresh SHA-256 hash. */
async function issue(
  options: {
    signer?: TsaSigner;
    certReq?: boolean;
    nonce?: bigint;
    genTime?: Date;
    accuracy?: TimeStampAccuracy;
  } = {},
) {
  const hashedMessage = new Uint8Array(randomBytes(32));
  const { request } = timeStampRequest({
    hashAlgorithm: 'SHA-256',
    hashedMessage,
    nonce: options.nonce,
    certReq: options.certReq ?? true,
  });
  const issued = await issueTimeStamp({
    request,
    policyOid: POLICY,
    serialNumber: randomSerialNumber(),
    genTime: options.genTime ?? new Date(),
    ...(options.accuracy ? { accuracy: options.accuracy } : {}),
    signer: options.signer ?? local,
  });
  return { ...issued, hashedMessage };
}

/** A token from OpenSSL's TSA, for a request made by `openssl ts -query`. */
async function fromOpenssl(hashAlgorithm: HashAlgorithm, flags: { cert: boolean; nonce: boolean }) {
  const data = randomBytes(100);
  const name = `query-${randomBytes(4).toString('hex')}`;
  writeFileSync(join(dir, `${name}.bin`), data);
  await openssl(
    ...['ts', '-query', '-data', `${name}.bin`, `-${hashAlgorithm.replace('-', '').toLowerCase()}`],
    ...(flags.cert ? ['-cert'] : []),
    ...(flags.nonce ? [] : ['-no_nonce']),
    ...['-out', `${name}.tsq`],
  );
  const query = file(`${name}.tsq`);
  const parsed = parseTimeStampRequest(query, { policyOid: '1.3.6.1.4.1.55555.1' });
  if (!parsed.ok) throw new Error(`openssl made a request we refuse: ${parsed.reason}`);
  const response = await post(external.url, query);
  return {
    token: tokenFromResponse(response),
    hashedMessage: digestOf(hashAlgorithm, data),
    nonce: parsed.request.nonce,
  };
}

async function post(url: string, body: Uint8Array): Promise<Uint8Array> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query' },
    body,
  });
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

function failureOf(fn: () => unknown): TimeStampFailure | 'none' {
  try {
    fn();
  } catch (err) {
    if (err instanceof TimeStampError && err.name === 'TimeStampError') return err.failure;
    throw err;
  }
  return 'none';
}

const signedDataOf = (token: Uint8Array) => {
  const contentInfo = AsnConvert.parse(token, ContentInfo);
  return { contentInfo, signedData: AsnConvert.parse(contentInfo.content, SignedData) };
};

describe('verifyTimeStampToken on our tokens', () => {
  it('verifies a token with its certificates against the local CA, and reads what it states', async () => {
    const genTime = new Date(Date.now() - 1234);
    const issued = await issue({ nonce: 77n, genTime, accuracy: { seconds: 1, millis: 5 } });
    expect(tokenFromResponse(issued.response)).toEqual(issued.token);
    expect(tokenCertificates(issued.token)).toHaveLength(2);
    const verified = verifyTimeStampToken(issued.token, {
      trusted: [localCa],
      imprint: { hashAlgorithm: 'SHA-256', hashedMessage: issued.hashedMessage },
      nonce: 77n,
    });
    expect(verified).toEqual({
      genTime,
      accuracyMs: 1005,
      serialNumber: issued.tstInfo.serialNumber,
      policy: POLICY,
      hashAlgorithm: 'SHA-256',
      hashedMessage: issued.hashedMessage,
      nonce: 77n,
      tsaSubject: 'CN=Stempel local TSA, O=Stempel',
      tokenSha256: issued.tokenSha256,
    });
  });

  it('verifies a token without certificates given the TSA certificate, or trusting it directly', async () => {
    const issued = await issue({ certReq: false });
    expect(tokenCertificates(issued.token)).toEqual([]);
    const [tsaCertificate] = certificatesFromPem(local.certificatesPem());
    const tsa = tsaCertificate as Uint8Array;
    const verified = verifyTimeStampToken(issued.token, { trusted: [localCa], certificates: [tsa] });
    expect(verified.nonce).toBeUndefined();
    expect(verified.accuracyMs).toBeUndefined();
    expect(verifyTimeStampToken(issued.token, { trusted: [tsa] }).genTime).toEqual(issued.tstInfo.genTime);
    expect(failureOf(() => verifyTimeStampToken(issued.token, { trusted: [localCa] }))).toBe('certificate');
  });
});

describe("verifyTimeStampToken on OpenSSL's tokens", () => {
  it.each(['SHA-256', 'SHA-384', 'SHA-512'] as const)(
    'verifies a %s token from `openssl ts -reply`',
    async (hashAlgorithm) => {
      const { token, hashedMessage, nonce } = await fromOpenssl(hashAlgorithm, { cert: true, nonce: true });
      expect(nonce).toBeDefined();
      expect(hashedMessage).toHaveLength(LENGTH[hashAlgorithm]);
      const verified = verifyTimeStampToken(token, {
        trusted: [external.caPem],
        imprint: { hashAlgorithm, hashedMessage },
        ...(nonce === undefined ? {} : { nonce }),
      });
      expect(verified).toMatchObject({
        hashAlgorithm,
        hashedMessage,
        nonce,
        accuracyMs: 1000,
        policy: '1.3.6.1.4.1.55555.1',
        tsaSubject: 'CN=External TSA (test)',
      });
      expect(Math.abs(verified.genTime.getTime() - Date.now())).toBeLessThan(60_000);
    },
  );

  it('verifies a token without certificates or nonce, given the TSA certificate', async () => {
    const { token, hashedMessage } = await fromOpenssl('SHA-256', { cert: false, nonce: false });
    expect(tokenCertificates(token)).toEqual([]);
    const verified = verifyTimeStampToken(token, {
      trusted: [external.caPem],
      certificates: [external.tsaPem],
      imprint: { hashAlgorithm: 'SHA-256', hashedMessage },
    });
    expect(verified.nonce).toBeUndefined();
    const expectingNonce = { trusted: [external.caPem], certificates: [external.tsaPem], nonce: 1n };
    expect(failureOf(() => verifyTimeStampToken(token, expectingNonce))).toBe('nonce');
  });

  it('verifies an RSA PKCS#1 v1.5 token with an ESSCertID (SHA-1) signingCertificate', async () => {
    const hashedMessage = new Uint8Array(randomBytes(32));
    const { der } = timeStampRequest({ hashAlgorithm: 'SHA-256', hashedMessage, nonce: 5n, certReq: true });
    writeFileSync(join(dir, 'rsa.tsq'), der);
    await openssl(
      ...['ts', '-reply', '-config', 'fixture.cnf', '-section', 'tsa_reply'],
      ...['-queryfile', 'rsa.tsq', '-out', 'rsa.tsr'],
    );
    const token = tokenFromResponse(file('rsa.tsr'));
    const { signedData } = signedDataOf(token);
    const signerInfo = signedData.signerInfos[0];
    expect(signerInfo?.signedAttrs?.map((a) => a.attrType)).toContain('1.2.840.113549.1.9.16.2.12');
    expect(signerInfo?.digestAlgorithm.algorithm).toBe('2.16.840.1.101.3.4.2.3'); // SHA-512
    const verified = verifyTimeStampToken(token, {
      trusted: [pem('ca.pem')],
      imprint: { hashAlgorithm: 'SHA-256', hashedMessage },
      nonce: 5n,
    });
    expect(verified).toMatchObject({
      accuracyMs: 250,
      policy: '1.3.6.1.4.1.55555.9',
      tsaSubject: 'CN=Fixture TSA rsa',
    });
  });

  it('verifies an RSA-PSS token whose signer is named by its subject key identifier (`openssl cms -sign`)', async () => {
    const issued = await issue();
    const { signedData } = signedDataOf(issued.token);
    writeFileSync(
      join(dir, 'tstinfo.der'),
      new Uint8Array(signedData.encapContentInfo.eContent?.single?.buffer ?? []),
    );
    await openssl(
      ...['cms', '-sign', '-binary', '-nodetach', '-cades', '-keyid', '-nosmimecap', '-md', 'sha384'],
      ...['-econtent_type', '1.2.840.113549.1.9.16.1.4', '-in', 'tstinfo.der'],
      ...['-signer', 'rsa.pem', '-inkey', 'rsa.key', '-keyopt', 'rsa_padding_mode:pss'],
      ...['-outform', 'DER', '-out', 'pss.tst'],
    );
    const token = new Uint8Array(file('pss.tst'));
    const signerInfo = signedDataOf(token).signedData.signerInfos[0];
    expect(signerInfo?.sid.subjectKeyIdentifier).toBeDefined();
    expect(signerInfo?.signatureAlgorithm.algorithm).toBe('1.2.840.113549.1.1.10');
    const verified = verifyTimeStampToken(token, {
      trusted: [pem('ca.pem')],
      imprint: { hashAlgorithm: 'SHA-256', hashedMessage: issued.hashedMessage },
    });
    expect(verified).toMatchObject({
      serialNumber: issued.tstInfo.serialNumber,
      tsaSubject: 'CN=Fixture TSA rsa',
    });
  });
});

describe('verifyTimeStampToken failures', () => {
  it('a token over another hash, or another hash algorithm: imprint', async () => {
    const issued = await issue();
    const other = new Uint8Array(issued.hashedMessage);
    other[0] = (other[0] as number) ^ 1;
    const verify = (imprint: { hashAlgorithm: HashAlgorithm; hashedMessage: Uint8Array }) =>
      failureOf(() => verifyTimeStampToken(issued.token, { trusted: [localCa], imprint }));
    expect(verify({ hashAlgorithm: 'SHA-256', hashedMessage: other })).toBe('imprint');
    expect(verify({ hashAlgorithm: 'SHA-384', hashedMessage: new Uint8Array(48) })).toBe('imprint');
    expect(verify({ hashAlgorithm: 'SHA-256', hashedMessage: issued.hashedMessage })).toBe('none');
  });

  it('another nonce, or none where one was sent: nonce', async () => {
    const withNonce = await issue({ nonce: 1234n });
    expect(failureOf(() => verifyTimeStampToken(withNonce.token, { trusted: [localCa], nonce: 1235n }))).toBe(
      'nonce',
    );
    const withoutNonce = await issue();
    expect(
      failureOf(() => verifyTimeStampToken(withoutNonce.token, { trusted: [localCa], nonce: 1234n })),
    ).toBe('nonce');
  });

  it('a flipped byte in the signature: signature', async () => {
    const { token } = await issue();
    const signature = Buffer.from(
      signedDataOf(token).signedData.signerInfos[0]?.signature.buffer ?? new ArrayBuffer(0),
    );
    const at = Buffer.from(token).lastIndexOf(signature) + signature.length - 1; // in s, still a DER signature
    const tampered = token.slice();
    tampered[at] = (tampered[at] as number) ^ 0x01;
    expect(failureOf(() => verifyTimeStampToken(tampered, { trusted: [localCa] }))).toBe('signature');
  });

  it('a changed genTime in the TSTInfo: signature (the messageDigest no longer matches)', async () => {
    const genTime = new Date(Math.floor(Date.now() / 1000) * 1000 - 10_000);
    const { token } = await issue({ genTime });
    const digits = genTime.toISOString().slice(0, 19).replace(/[-T:]/g, ''); // YYYYMMDDhhmmss
    const at = Buffer.from(token).indexOf(`${digits}Z`) + digits.length - 1;
    expect(at).toBeGreaterThan(0);
    const tampered = token.slice();
    tampered[at] = tampered[at] === 0x30 ? 0x31 : 0x30; // another second, still a valid GeneralizedTime
    expect(failureOf(() => verifyTimeStampToken(tampered, { trusted: [localCa] }))).toBe('signature');
  });

  it('a root that did not issue the TSA certificate: certificate', async () => {
    const { token } = await issue();
    expect(failureOf(() => verifyTimeStampToken(token, { trusted: [external.caPem] }))).toBe('certificate');
    const openssl = await fromOpenssl('SHA-256', { cert: true, nonce: true });
    expect(failureOf(() => verifyTimeStampToken(openssl.token, { trusted: [localCa] }))).toBe('certificate');
  });

  it('a TSA certificate without the timeStamping extendedKeyUsage: certificate', async () => {
    const { token } = await issue({ signer: fixtureSigner('no-eku.pem', 'ca.pem') });
    expect(failureOf(() => verifyTimeStampToken(token, { trusted: [pem('ca.pem')] }))).toBe('certificate');
    // The same key with a TSA certificate verifies: it is the EKU that fails.
    const good = await issue({ signer: fixtureSigner('a.pem', 'ca.pem') });
    expect(failureOf(() => verifyTimeStampToken(good.token, { trusted: [pem('ca.pem')] }))).toBe('none');
  });

  it('a signing-certificate attribute that names another certificate (same key): certificate', async () => {
    // Signed as b; the sid (which the signature does not cover) is then pointed at a, a certificate for the same key.
    const issued = await issue({ signer: fixtureSigner('b.pem'), certReq: false });
    const a = AsnConvert.parse(certificatesFromPem(pem('a.pem'))[0] as Uint8Array, Certificate);
    const { contentInfo, signedData } = signedDataOf(issued.token);
    const sid = signedData.signerInfos[0]?.sid.issuerAndSerialNumber;
    if (!sid) throw new Error('no issuerAndSerialNumber');
    sid.serialNumber = a.tbsCertificate.serialNumber;
    contentInfo.content = AsnConvert.serialize(signedData);
    const swapped = new Uint8Array(AsnConvert.serialize(contentInfo));

    const certificates = [pem('a.pem'), pem('b.pem')];
    const options = { trusted: [pem('ca.pem')], certificates };
    expect(failureOf(() => verifyTimeStampToken(issued.token, options))).toBe('none');
    expect(failureOf(() => verifyTimeStampToken(swapped, options))).toBe('certificate');
  });

  it('garbage, trailing bytes, and a response where a token is due: malformed', async () => {
    const { token, response } = await issue();
    const withTrailing = new Uint8Array([...token, 0]);
    expect(
      failureOf(() => verifyTimeStampToken(new Uint8Array(randomBytes(200)), { trusted: [localCa] })),
    ).toBe('malformed');
    expect(failureOf(() => verifyTimeStampToken(new Uint8Array(), { trusted: [localCa] }))).toBe('malformed');
    expect(failureOf(() => verifyTimeStampToken(withTrailing, { trusted: [localCa] }))).toBe('malformed');
    expect(failureOf(() => verifyTimeStampToken(response, { trusted: [localCa] }))).toBe('malformed');
    expect(failureOf(() => tokenFromResponse(new Uint8Array([...response, 0])))).toBe('malformed');
    expect(failureOf(() => tokenFromResponse(token))).toBe('malformed');
  });

  it('never throws anything but a TimeStampError, whatever the bytes', async () => {
    const { token } = await issue({ nonce: 9n });
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const copy = token.slice();
        copy[at] = byte;
        failureOf(() => verifyTimeStampToken(copy, { trusted: [localCa], nonce: 9n }));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        failureOf(() => tokenFromResponse(bytes));
      }),
    );
  });
});

describe('tokenFromResponse and certificatesFromPem', () => {
  it('a rejection, ours or OpenSSL’s: rejected, with the status text and failure bits', async () => {
    let message = '';
    try {
      tokenFromResponse(rejectTimeStamp('unacceptedPolicy', 'the only policy is 1.2.3'));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'the TSA did not grant a token (rejection): the only policy is 1.2.3; unacceptedPolicy',
    );
    expect(failureOf(() => tokenFromResponse(rejectTimeStamp('badAlg')))).toBe('rejected');

    const refused = await post(external.url, new Uint8Array(randomBytes(40)));
    expect(() => tokenFromResponse(refused)).toThrow(/badDataFormat/);
    expect(failureOf(() => tokenFromResponse(refused))).toBe('rejected');
  });

  it('reads every certificate of a PEM bundle, and refuses text without one', () => {
    expect(certificatesFromPem(local.certificatesPem())).toHaveLength(2);
    expect(failureOf(() => certificatesFromPem('no certificate here'))).toBe('certificate');
    expect(
      failureOf(() => certificatesFromPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')),
    ).toBe('certificate');
    expect(failureOf(() => verifyTimeStampToken(new Uint8Array(), { trusted: ['not PEM'] }))).toBe(
      'malformed',
    );
  });
});
