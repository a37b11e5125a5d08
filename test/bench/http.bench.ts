/**
 * `npm run bench` (part): the API over HTTP on the local runtime, each route
 * against a baseline measured in the same run on the same machine:
 * - POST /v1/notarizations (concurrency 32) against raw conditional PutItems
 *   on the same DynamoDB Local (concurrency 32);
 * - authenticated GET /v1/me against the public GET /v1/log/key, and against
 *   the one consistent GetItem of the user item its authorizer makes (the
 *   floor: DynamoDB Local's read rate on this machine caps the route);
 * - POST /v1/tsa (RFC 3161 tokens, each also a log entry) against raw ECDSA
 *   P-256 signatures with the same key, in the same process;
 * - accept→sealed latency at an offered load of BENCH_RATE notarizations/s
 *   (open loop: sent on a fixed schedule, not as answers come back).
 * BENCH_SECONDS sets each closed-loop phase (default 5).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { userKey } from '../../shared/adapters/dynamo-user-store';
import { LocalTsaSigner } from '../../shared/adapters/local-tsa-signer';
import { issueTimeStamp, randomSerialNumber, timeStampRequest } from '../../shared/core/tsa';
import { startLocalRuntime } from '../../shared/local/runtime';
import { identityTable, notarizationsTable, resourceName } from '../../shared/tables';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 32;
const RATE = Number(process.env.BENCH_RATE ?? 200);
const OPEN_LOOP_SECONDS = Number(process.env.BENCH_OPEN_LOOP_SECONDS ?? 10);

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const dataDir = mkdtempSync(join(tmpdir(), 'stempel-http-bench-'));
const password = 'bench-Initial-pass-1';
const runtime = await startLocalRuntime({
  dataDir,
  port: 0,
  bootstrapAdminPassword: password,
  authRatePerMinute: 1_000_000,
});

const post = async (path: string, body: unknown, token?: string) =>
  fetch(`${runtime.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
const login = async (username: string, pw: string) => {
  const res = await post('/v1/auth/login', { username, password: pw });
  const body = (await res.json()) as { accessToken?: string };
  if (!body.accessToken)
    throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.accessToken;
};

// An admin past the forced change, and an uploader.
const newAdminPassword = 'bench-Changed-pass-2026';
await post(
  '/v1/auth/password',
  { currentPassword: password, newPassword: newAdminPassword },
  await login('admin', password),
);
const admin = await login('admin', newAdminPassword);
const created = (await (
  await post('/v1/admin/users', { username: 'bench-uploader', roles: ['uploader'] }, admin)
).json()) as {
  temporaryPassword: string;
};
const uploaderPassword = 'notarize-all-the-things-77';
await post(
  '/v1/auth/password',
  { currentPassword: created.temporaryPassword, newPassword: uploaderPassword },
  await login('bench-uploader', created.temporaryPassword),
);
const uploader = await login('bench-uploader', uploaderPassword);
if (!uploader || !admin) throw new Error('could not sign in the bench users');

interface Phase {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
}
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? Number.NaN;

/** `CONCURRENCY` workers calling `once` back to back for `SECONDS`. */
async function closedLoop(once: () => Promise<boolean>): Promise<Phase> {
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        // A refused connection counts as a failure, as a wrong status does.
        if (await once().catch(() => false)) latencies.push(performance.now() - started);
        else failures++;
      }
    }),
  );
  return {
    perSecond: latencies.length / SECONDS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failures,
  };
}

const db = dynamoDocumentClient();
const notarizations = resourceName(notarizationsTable);
const sha = () => randomBytes(32).toString('hex');

const rawPut = await closedLoop(async () => {
  const id = randomUUID();
  await db.send(
    new PutCommand({
      TableName: notarizations,
      Item: { pk: `BENCH#${id}`, sk: 'BENCH', id, sha256: sha(), receivedAt: new Date().toISOString() },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return true;
});
const notarize = await closedLoop(async () => {
  const res = await post('/v1/notarizations', { sha256: sha() }, uploader);
  await res.arrayBuffer();
  return res.status === 201;
});
const publicKey = await closedLoop(async () => {
  const res = await fetch(`${runtime.url}/v1/log/key`);
  await res.arrayBuffer();
  return res.status === 200;
});
const uploaderId = (
  (await (
    await fetch(`${runtime.url}/v1/me`, { headers: { authorization: `Bearer ${uploader}` } })
  ).json()) as { id: string }
).id;
const rawGet = await closedLoop(async () => {
  const { Item } = await db.send(
    new GetCommand({
      TableName: resourceName(identityTable),
      Key: userKey(uploaderId),
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
});
const me = await closedLoop(async () => {
  const res = await fetch(`${runtime.url}/v1/me`, { headers: { authorization: `Bearer ${uploader}` } });
  await res.arrayBuffer();
  return res.status === 200;
});

// RFC 3161: tokens over HTTP against raw ECDSA P-256 signatures with the very key that signs them.
const stamp = await closedLoop(async () => {
  const { der } = timeStampRequest({
    hashAlgorithm: 'SHA-256',
    hashedMessage: randomBytes(32),
    certReq: false,
  });
  const res = await fetch(`${runtime.url}/v1/tsa`, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query', authorization: `Bearer ${uploader}` },
    body: der,
  });
  await res.arrayBuffer();
  return res.status === 200 && res.headers.has('stempel-log-entry');
});

// Let the log catch up with the closed-loop phase before the open-loop one.
const waitUntilSealed = async (ids: string[], deadline: number) => {
  for (const id of ids) {
    for (;;) {
      const { Item } = await db.send(
        new GetCommand({ TableName: notarizations, Key: { pk: `NOTARIZATION#${id}`, sk: 'NOTARIZATION' } }),
      );
      if (Item?.sealedAt) break;
      if (performance.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return true;
};

// Open loop: one request every 1/RATE s, whatever the answers do.
const accepted: string[] = [];
let refused = 0;
const sends: Promise<void>[] = [];
const start = performance.now();
for (let i = 0; i < RATE * OPEN_LOOP_SECONDS; i++) {
  const due = start + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  sends.push(
    post('/v1/notarizations', { sha256: sha() }, uploader).then(async (res) => {
      const body = (await res.json()) as { id?: string };
      if (res.status === 201 && body.id) accepted.push(body.id);
      else refused++;
    }),
  );
}
await Promise.all(sends);
const sealedInTime = await waitUntilSealed(accepted, performance.now() + 120_000);
const sealLatencies: number[] = [];
for (const id of accepted) {
  const { Item } = await db.send(
    new GetCommand({ TableName: notarizations, Key: { pk: `NOTARIZATION#${id}`, sk: 'NOTARIZATION' } }),
  );
  if (Item?.sealedAt) sealLatencies.push(Date.parse(Item.sealedAt) - Date.parse(Item.receivedAt));
}

// In process, after every HTTP phase: these keep the event loop busy, and the runtime's idle
// keep-alive sockets would time out under a later phase's feet.
const tsaSigner = new LocalTsaSigner(join(dataDir, 'keys'));
const rawSign = await closedLoop(async () => (await tsaSigner.sign(randomBytes(200))).length > 0);
// The token itself (TSTInfo, CMS, the signature and its check against the certificate), in process.
const issueAlone = await closedLoop(async () => {
  const { request } = timeStampRequest({
    hashAlgorithm: 'SHA-256',
    hashedMessage: randomBytes(32),
    certReq: false,
  });
  const issued = await issueTimeStamp({
    request,
    policyOid: '1.2.3.4',
    serialNumber: randomSerialNumber(),
    genTime: new Date(),
    accuracy: { seconds: 1 },
    signer: tsaSigner,
  });
  return issued.token.length > 0;
});

await runtime.close();
rmSync(dataDir, { recursive: true, force: true });

const fmt = (p: Phase) =>
  `${p.perSecond.toFixed(0).padStart(6)}/s  p50 ${p.p50.toFixed(0).padStart(4)} ms  p99 ${p.p99.toFixed(0).padStart(5)} ms${p.failures ? `  (${p.failures} failed)` : ''}`;
console.log(`\nThe API over HTTP (local runtime, concurrency ${CONCURRENCY}, ${SECONDS} s per phase)`);
console.log(`POST /v1/notarizations     ${fmt(notarize)}`);
console.log(
  `  raw conditional PutItem  ${fmt(rawPut)}   → ${(notarize.perSecond / rawPut.perSecond).toFixed(2)}× raw`,
);
console.log(`GET /v1/me (signed in)     ${fmt(me)}`);
console.log(
  `  GET /v1/log/key (public) ${fmt(publicKey)}   → ${(me.perSecond / publicKey.perSecond).toFixed(2)}× the public route`,
);
console.log(
  `  raw consistent GetItem   ${fmt(rawGet)}   → ${(me.perSecond / rawGet.perSecond).toFixed(2)}× the one read it makes`,
);
console.log(
  `POST /v1/tsa (tokens)      ${fmt(stamp)}   → ${(stamp.perSecond / notarize.perSecond).toFixed(2)}× POST /v1/notarizations (both write one log entry)`,
);
console.log(
  `  a token, in process      ${fmt(issueAlone)}   → ${(issueAlone.perSecond / rawSign.perSecond).toFixed(2)}× raw signatures`,
);
console.log(`  raw P-256 signature      ${fmt(rawSign)}   (the same key)`);
console.log(
  `accept→sealed at ${RATE}/s offered for ${OPEN_LOOP_SECONDS} s (open loop): ${accepted.length} accepted, ${refused} refused; ` +
    `p50 ${quantile(sealLatencies, 0.5)} ms, p99 ${quantile(sealLatencies, 0.99)} ms, max ${Math.max(...sealLatencies)} ms` +
    (sealedInTime ? '' : ' (not all sealed within 120 s)'),
);
