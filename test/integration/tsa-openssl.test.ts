import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { TimeStampReq } from '@peculiar/asn1-tsp';
import { Extension, Extensions } from '@peculiar/asn1-x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalTsaSigner } from '../../shared/adapters/local-tsa-signer';
import {
  issueTimeStamp,
  MAX_REQUEST_BYTES,
  type PkiFailure,
  parseTimeStampRequest,
  randomSerialNumber,
  rejectTimeStamp,
} from '../../shared/core/tsa';
import type { TsaSigner } from '../../shared/ports/tsa-signer';
import { opensslIn } from '../support/tools';

/**
 * The TSA building block against real OpenSSL: queries made by
 * `openssl ts -query`, answers checked by `openssl ts -verify` and read back
 * by `openssl ts -reply -text`.
 */

const POLICY = '1.3.6.1.4.1.57264.2.1';
const dir = mkdtempSync(join(tmpdir(), 'stempel-tsa-'));
const file = (name: string) => join(dir, name);

const openssl = opensslIn(dir);

function query(name: string, ...args: string[]): Buffer {
  const { status, out } = openssl('ts', '-query', '-data', 'document.bin', ...args, '-out', name);
  expect(status, out).toBe(0);
  return readFileSync(file(name));
}

/** What a TSA handler will do: parse, then grant or reject. */
async function answer(request: Uint8Array, signer: TsaSigner, reply: string) {
  const parsed = parseTimeStampRequest(request, { policyOid: POLICY });
  if (!parsed.ok) {
    writeFileSync(file(reply), rejectTimeStamp(parsed.failure, parsed.reason));
    return { parsed, issued: undefined };
  }
  const issued = await issueTimeStamp({
    request: parsed.request,
    policyOid: POLICY,
    serialNumber: randomSerialNumber(),
    genTime: new Date(),
    accuracy: { seconds: 1, millis: 250 },
    signer,
  });
  writeFileSync(file(reply), issued.response);
  return { parsed, issued };
}

const FAILURE_TEXT: Record<PkiFailure, string> = {
  badAlg: 'unrecognized or unsupported algorithm identifier',
  badRequest: 'transaction not permitted or supported',
  badDataFormat: 'the data submitted has the wrong format',
  timeNotAvailable: "the TSA's time source is not available",
  unacceptedPolicy: 'the requested TSA policy is not supported by the TSA',
  unacceptedExtension: 'the requested extension is not supported by the TSA',
  addInfoNotAvailable: 'the additional information requested could not be understood or is not available',
  systemFailure: 'the request cannot be handled due to system failure',
};

/** The "Failure info:" line of `openssl ts -reply -text`, and the status lines. */
function readRejection(reply: string) {
  const { status, out } = openssl('ts', '-reply', '-in', reply, '-text');
  expect(status, out).toBe(0);
  return {
    status: /Status: (.*)/.exec(out)?.[1],
    description: /Status description: (.*)/.exec(out)?.[1],
    failure: /Failure info: (.*)/.exec(out)?.[1],
    token: /TST info:\n(.*)/.exec(out)?.[1],
  };
}

/** How ASN1_GENERALIZEDTIME_print shows a time: `Nov  6 19:58:41.61 2026 GMT` (fraction as encoded). */
function opensslTime(date: Date): string {
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const [hms] = date.toISOString().slice(11).split('.');
  const millis = String(date.getUTCMilliseconds()).padStart(3, '0').replace(/0+$/, '');
  const day = String(date.getUTCDate()).padStart(2, ' ');
  return `${month} ${day} ${hms}${millis ? `.${millis}` : ''} ${date.getUTCFullYear()} GMT`;
}

const pemToDer = (pem: string) =>
  new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));

let signer: LocalTsaSigner;

beforeAll(async () => {
  signer = new LocalTsaSigner(join(dir, 'keys'));
  const [tsaCertificate, caCertificate] = await signer.certificateChain();
  const pem = (der: Uint8Array | undefined) =>
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(der ?? []).toString('base64')}\n-----END CERTIFICATE-----\n`;
  writeFileSync(file('ca.pem'), pem(caCertificate));
  writeFileSync(file('tsa.pem'), pem(tsaCertificate));
  writeFileSync(file('document.bin'), randomBytes(1000));
  writeFileSync(file('other.bin'), randomBytes(1000));
});

describe('the local TSA key and certificates', () => {
  it('are kept private, made once, and form a chain openssl accepts for time stamping', async () => {
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'keys', 'tsa.pem')).mode & 0o777).toBe(0o600);
    const again = new LocalTsaSigner(join(dir, 'keys'));
    expect(await again.certificateChain()).toEqual(await signer.certificateChain());
    expect(again.certificatesPem()).toBe(signer.certificatesPem());
    expect(signer.certificatesPem().match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    const verified = openssl('verify', '-purpose', 'timestampsign', '-CAfile', 'ca.pem', 'tsa.pem');
    expect(verified.out).toContain('tsa.pem: OK');
    // Not a certificate for anything else.
    expect(openssl('verify', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'tsa.pem').status).not.toBe(0);

    const text = openssl('x509', '-in', 'tsa.pem', '-noout', '-text').out;
    expect(text).toMatch(/X509v3 Extended Key Usage: critical\n\s+Time Stamping\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Non Repudiation\n/);
    expect(text).toContain('Issuer: O = Stempel, CN = Stempel local CA');
    const ca = openssl('x509', '-in', 'ca.pem', '-noout', '-text').out;
    expect(ca).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(ca).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
  });
});

describe('granted tokens, verified by openssl ts -verify', () => {
  const cases = ['sha256', 'sha384', 'sha512'].flatMap((hash) =>
    [true, false].flatMap((nonce) => [true, false].map((cert) => ({ hash, nonce, cert }))),
  );

  it.each(cases)('-$hash, nonce $nonce, certReq $cert', async ({ hash, nonce, cert }) => {
    const name = `${hash}-${nonce}-${cert}`;
    const request = query(
      `${name}.tsq`,
      `-${hash}`,
      ...(nonce ? [] : ['-no_nonce']),
      ...(cert ? ['-cert'] : []),
    );
    const { parsed, issued } = await answer(request, signer, `${name}.tsr`);
    expect(parsed.ok).toBe(true);
    if (!issued) throw new Error('not granted');

    // Without -cert the token carries no certificate: the verifier must be given it.
    const untrusted = cert ? [] : ['-untrusted', 'tsa.pem'];
    for (const against of [
      ['-queryfile', `${name}.tsq`],
      ['-data', 'document.bin'],
    ]) {
      const { status, out } = openssl(
        'ts',
        '-verify',
        '-in',
        `${name}.tsr`,
        ...against,
        '-CAfile',
        'ca.pem',
        ...untrusted,
      );
      expect(out).toContain('Verification: OK');
      expect(status).toBe(0);
    }
    // Not for another document, and not without the TSA certificate when it was left out.
    expect(
      openssl('ts', '-verify', '-in', `${name}.tsr`, '-data', 'other.bin', '-CAfile', 'ca.pem', ...untrusted)
        .out,
    ).toContain('Verification: FAILED');
    if (!cert) {
      expect(
        openssl('ts', '-verify', '-in', `${name}.tsr`, '-data', 'document.bin', '-CAfile', 'ca.pem').out,
      ).toContain('Verification: FAILED');
    }

    const text = openssl('ts', '-reply', '-in', `${name}.tsr`, '-text').out;
    expect(text).toContain('Status: Granted.');
    expect(text).toContain(`Policy OID: ${POLICY}`);
    expect(text).toContain(`Hash Algorithm: ${hash}`);
    expect(BigInt(/Serial number: (0x[0-9A-F]+)\n/.exec(text)?.[1] ?? -1)).toBe(issued.tstInfo.serialNumber);
    expect(text).toContain('Accuracy: 0x01 seconds, 0xFA millis, unspecified micros');
    expect(text).toContain('Ordering: no');
    expect(text).toContain(`Time stamp: ${opensslTime(issued.tstInfo.genTime)}\n`);
    const requestNonce = /Nonce: (.*)/.exec(openssl('ts', '-query', '-in', `${name}.tsq`, '-text').out)?.[1];
    expect(requestNonce).toEqual(nonce ? expect.stringMatching(/^0x[0-9A-F]+$/) : 'unspecified');
    expect(text).toContain(`Nonce: ${requestNonce}`);
    expect(issued.tstInfo.nonce).toBe(nonce ? BigInt(requestNonce ?? -1) : undefined);

    // The token as returned is the one inside the response, and it holds the certificates only on request.
    expect(openssl('ts', '-reply', '-in', `${name}.tsr`, '-token_out', '-out', `${name}.tok`).status).toBe(0);
    expect(readFileSync(file(`${name}.tok`)).equals(Buffer.from(issued.token))).toBe(true);
    const certificates = openssl(
      'pkcs7',
      '-inform',
      'DER',
      '-in',
      `${name}.tok`,
      '-print_certs',
      '-noout',
    ).out;
    expect(certificates.match(/subject=/g)?.length ?? 0).toBe(cert ? 2 : 0);
  });

  it('echoes the policy the request names when it is ours', async () => {
    const request = query('policy.tsq', '-sha256', '-tspolicy', POLICY, '-cert');
    const { parsed } = await answer(request, signer, 'policy.tsr');
    expect(parsed).toMatchObject({ ok: true, request: { reqPolicy: POLICY } });
    expect(
      openssl('ts', '-verify', '-in', 'policy.tsr', '-queryfile', 'policy.tsq', '-CAfile', 'ca.pem').out,
    ).toContain('Verification: OK');
    expect(openssl('ts', '-reply', '-in', 'policy.tsr', '-text').out).toContain(`Policy OID: ${POLICY}`);
  });

  it('grants a request with a non-critical extension, ignoring it', async () => {
    const request = AsnConvert.parse(query('ext.tsq', '-sha256', '-cert'), TimeStampReq);
    request.extensions = new Extensions([
      new Extension({
        extnID: '1.2.3.4.5',
        critical: false,
        extnValue: new OctetString(new Uint8Array([5, 0])),
      }),
    ]);
    const der = new Uint8Array(AsnConvert.serialize(request));
    writeFileSync(file('ext.tsq'), der);
    const { parsed } = await answer(der, signer, 'ext.tsr');
    expect(parsed.ok).toBe(true);
    expect(
      openssl('ts', '-verify', '-in', 'ext.tsr', '-data', 'document.bin', '-CAfile', 'ca.pem').out,
    ).toContain('Verification: OK');
  });

  it('grants a request whose hash algorithm has no NULL parameters, echoing it so', async () => {
    const request = AsnConvert.parse(query('absent.tsq', '-sha384', '-cert'), TimeStampReq);
    request.messageImprint.hashAlgorithm.parameters = undefined;
    const der = new Uint8Array(AsnConvert.serialize(request));
    writeFileSync(file('absent.tsq'), der);
    const { parsed } = await answer(der, signer, 'absent.tsr');
    expect(parsed.ok && parsed.request.messageImprint.length).toBe(49 + 16);
    expect(
      openssl('ts', '-verify', '-in', 'absent.tsr', '-queryfile', 'absent.tsq', '-CAfile', 'ca.pem').out,
    ).toContain('Verification: OK');
  });

  it('signs ES384 with a P-384 key and certificates made by openssl', async () => {
    const run = (...args: string[]) => {
      const { status, out } = openssl(...args);
      expect(status, out).toBe(0);
    };
    const p384 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes'];
    // The CA gets the config's v3_ca extensions (basicConstraints critical CA:TRUE, SKI, AKI).
    run(
      'req',
      '-x509',
      '-new',
      ...p384,
      '-keyout',
      'ca384.key',
      '-out',
      'ca384.pem',
      '-subj',
      '/CN=Test CA 384',
      '-days',
      '30',
    );
    run(
      'req',
      '-new',
      ...p384,
      '-keyout',
      'tsa384.key',
      '-out',
      'tsa384.csr',
      '-subj',
      '/O=Test/CN=Test TSA 384',
    );
    writeFileSync(
      file('tsa384.ext'),
      'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n',
    );
    run(
      'x509',
      '-req',
      '-in',
      'tsa384.csr',
      '-CA',
      'ca384.pem',
      '-CAkey',
      'ca384.key',
      '-set_serial',
      '0x0123456789abcdef',
      '-days',
      '30',
      '-sha384',
      '-extfile',
      'tsa384.ext',
      '-out',
      'tsa384.pem',
    );
    const key = createPrivateKey(readFileSync(file('tsa384.key')));
    const chain = [
      pemToDer(readFileSync(file('tsa384.pem'), 'utf8')),
      pemToDer(readFileSync(file('ca384.pem'), 'utf8')),
    ];
    const es384: TsaSigner = {
      algorithm: 'ES384',
      sign: async (data) => new Uint8Array(sign('sha384', data, key)),
      certificateChain: async () => chain,
    };

    const request = query('es384.tsq', '-sha512', '-cert');
    const { issued } = await answer(request, es384, 'es384.tsr');
    expect(issued).toBeDefined();
    expect(
      openssl('ts', '-verify', '-in', 'es384.tsr', '-queryfile', 'es384.tsq', '-CAfile', 'ca384.pem').out,
    ).toContain('Verification: OK');
    expect(
      openssl('ts', '-verify', '-in', 'es384.tsr', '-queryfile', 'es384.tsq', '-CAfile', 'ca.pem').out,
    ).toContain('Verification: FAILED');
    run('ts', '-reply', '-in', 'es384.tsr', '-token_out', '-out', 'es384.tok');
    const signerInfo = openssl('cms', '-cmsout', '-inform', 'DER', '-in', 'es384.tok', '-print').out;
    expect(signerInfo).toContain('ecdsa-with-SHA384');
    expect(signerInfo).toMatch(/digestAlgorithm: \n\s+algorithm: sha384/);
  });

  it('is not vouched for by another CA', async () => {
    const other = new LocalTsaSigner(join(dir, 'other-keys'));
    const [, otherCa] = await other.certificateChain();
    writeFileSync(
      file('other-ca.pem'),
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(otherCa ?? []).toString('base64')}\n-----END CERTIFICATE-----\n`,
    );
    query('trust.tsq', '-sha256', '-cert');
    await answer(readFileSync(file('trust.tsq')), signer, 'trust.tsr');
    expect(
      openssl('ts', '-verify', '-in', 'trust.tsr', '-queryfile', 'trust.tsq', '-CAfile', 'ca.pem').out,
    ).toContain('Verification: OK');
    expect(
      openssl('ts', '-verify', '-in', 'trust.tsr', '-queryfile', 'trust.tsq', '-CAfile', 'other-ca.pem').out,
    ).toContain('Verification: FAILED');
  });
});

describe('rejections, read back by openssl ts -reply -text', () => {
  const valid = () => query('valid.tsq', '-sha256', '-cert');
  const SHA256_OID = Buffer.from('608648016503040201', 'hex');

  const rejections: { name: string; failure: PkiFailure; request: () => Uint8Array }[] = [
    { name: 'SHA-1', failure: 'badAlg', request: () => query('sha1.tsq', '-sha1') },
    { name: 'MD5', failure: 'badAlg', request: () => query('md5.tsq', '-md5') },
    { name: 'random bytes', failure: 'badDataFormat', request: () => randomBytes(64) },
    { name: 'nothing', failure: 'badDataFormat', request: () => new Uint8Array(0) },
    { name: 'a truncated request', failure: 'badDataFormat', request: () => valid().subarray(0, 40) },
    {
      name: 'trailing bytes',
      failure: 'badDataFormat',
      request: () => Buffer.concat([valid(), Buffer.from([0, 0])]),
    },
    {
      name: 'BER (a long-form length)',
      failure: 'badDataFormat',
      request: () => {
        const der = valid();
        return Buffer.concat([Buffer.from([0x30, 0x81, der[1] as number]), der.subarray(2)]);
      },
    },
    {
      name: `more than ${MAX_REQUEST_BYTES} bytes`,
      failure: 'badDataFormat',
      request: () => new Uint8Array(MAX_REQUEST_BYTES + 1).fill(0x30),
    },
    {
      name: 'a SHA-256 hash under the SHA-384 OID',
      failure: 'badRequest',
      request: () => {
        const der = Buffer.from(valid());
        der[der.indexOf(SHA256_OID) + SHA256_OID.length - 1] = 0x02;
        return der;
      },
    },
    {
      name: 'version 2',
      failure: 'badRequest',
      request: () => {
        const der = Buffer.from(valid());
        expect(der.subarray(2, 5)).toEqual(Buffer.from([2, 1, 1]));
        der[4] = 2;
        return der;
      },
    },
    {
      name: 'another policy',
      failure: 'unacceptedPolicy',
      request: () => query('policy-other.tsq', '-sha256', '-tspolicy', '1.2.3.4'),
    },
    {
      name: 'a critical extension',
      failure: 'unacceptedExtension',
      request: () => {
        const request = AsnConvert.parse(valid(), TimeStampReq);
        request.extensions = new Extensions([
          new Extension({
            extnID: '1.2.3.4.5',
            critical: true,
            extnValue: new OctetString(new Uint8Array([5, 0])),
          }),
        ]);
        return new Uint8Array(AsnConvert.serialize(request));
      },
    },
  ];

  it.each(rejections)('$name: $failure', async ({ name, failure, request }) => {
    const reply = `${name.replace(/\W+/g, '-')}.tsr`;
    const { parsed } = await answer(request(), signer, reply);
    expect(parsed).toMatchObject({ ok: false, failure });
    const read = readRejection(reply);
    expect(read).toEqual({
      status: 'Rejected.',
      description: parsed.ok ? undefined : parsed.reason,
      failure: FAILURE_TEXT[failure],
      token: 'Not included.',
    });
  });

  it.each(Object.keys(FAILURE_TEXT) as PkiFailure[])('sets exactly the %s bit', (failure) => {
    writeFileSync(file(`bit-${failure}.tsr`), rejectTimeStamp(failure));
    expect(readRejection(`bit-${failure}.tsr`)).toMatchObject({
      failure: FAILURE_TEXT[failure],
      description: failure,
    });
    // One bit, the shortest BIT STRING: openssl would print every bit set, comma-separated.
  });
});
