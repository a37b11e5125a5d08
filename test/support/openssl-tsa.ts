import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Certificates for a CA and a TSA it issued, with the critical timeStamping EKU RFC 3161 §2.3 asks for. */
const CERTIFICATES = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = External TSA Root (test)
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
`;

/** OpenSSL's own TSA (openssl ts -reply), as a third party would run it. */
const TSA_CONFIG = `[tsa]
default_tsa = tsa_config
[tsa_config]
dir = .
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./ca.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1
other_policies = 1.3.6.1.4.1.55555.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;

export interface OpensslTsa {
  /** POST `application/timestamp-query` here (RFC 3161 §3.4). */
  readonly url: string;
  /** The root to verify its tokens against (`openssl ts -verify -CAfile`). */
  readonly caPem: string;
  /** Its signing certificate (`-untrusted`, when a reply does not carry it). */
  readonly tsaPem: string;
  /** Requests answered so far. */
  readonly answered: () => number;
  /** From now on, answer 503 (an outage), or serve again. */
  setDown(down: boolean): void;
  stop(): Promise<void>;
}

/**
 * A real RFC 3161 time-stamp authority that is not Stempel's: OpenSSL's
 * `openssl ts -reply`, behind a small HTTP server on 127.0.0.1, with its own
 * CA and key made for the run. Tests use it as the external TSAs Stempel
 * anchors its checkpoints with.
 */
export async function startOpensslTsa(): Promise<OpensslTsa> {
  const dir = mkdtempSync(join(tmpdir(), 'stempel-openssl-tsa-'));
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  writeFileSync(join(dir, 'certs.cnf'), CERTIFICATES);
  writeFileSync(join(dir, 'tsa.cnf'), TSA_CONFIG);
  writeFileSync(join(dir, 'serial'), '01\n');
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  await openssl(
    ...['req', '-x509', '-new', '-key', 'ca.key', '-config', 'certs.cnf', '-extensions', 'ca'],
    ...['-days', '3650', '-out', 'ca.pem'],
  );
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tsa.key');
  await openssl('req', '-new', '-key', 'tsa.key', '-subj', '/CN=External TSA (test)', '-out', 'tsa.csr');
  await openssl(
    ...['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-extfile', 'certs.cnf', '-extensions', 'tsa', '-days', '3650', '-out', 'tsa.pem'],
  );

  let answered = 0;
  let down = false;
  // openssl ts keeps its serial number in a file: one request at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const reply = (query: Buffer) => {
    const next = queue.then(async () => {
      const n = answered++;
      writeFileSync(join(dir, `${n}.tsq`), query);
      await openssl('ts', '-reply', '-config', 'tsa.cnf', '-queryfile', `${n}.tsq`, '-out', `${n}.tsr`);
      return readFileSync(join(dir, `${n}.tsr`));
    });
    queue = next.catch(() => undefined);
    return next;
  };

  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer((req, res) => {
    (async () => {
      const query = await body(req);
      if (down) return res.writeHead(503).end();
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query')
        return res.writeHead(415).end();
      // openssl answers a malformed query with a rejection (status 2), as RFC 3161 asks.
      const tsr = await reply(query);
      res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': tsr.length });
      res.end(tsr);
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    tsaPem: readFileSync(join(dir, 'tsa.pem'), 'utf8'),
    answered: () => answered,
    setDown: (value) => {
      down = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
