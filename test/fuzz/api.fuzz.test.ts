/**
 * Property-based fuzzing of the whole HTTP API, generated from the served
 * OpenAPI document (GET /v1/openapi.json): a new route is fuzzed without
 * touching this file. Two properties per operation:
 *
 *  - "every caller": every kind of token (none, garbage, each role's user, a
 *    user who must still change their password, a token voided by a password
 *    change, expired-looking / tampered / alg-none JWTs) with an otherwise
 *    valid request; each token kind is sent once for sure (on public operations,
 *    one of each family), then random ones.
 *  - "fuzzed inputs": a caller the operation admits, with one part of the
 *    request broken (sometimes all at once): a path parameter (random uuids,
 *    random strings, percent-encoding junk, very long), a query parameter
 *    (out-of-range numbers, wrong types, forged / tampered pagination cursors),
 *    unknown query parameters, or the body (schema-valid then mutated: missing
 *    or extra fields, wrong types, prototype keys such as __proto__ and
 *    constructor in objects and records, huge strings, deep nesting; or not
 *    JSON, or empty) with its content type (JSON, text, none, charset, multipart…).
 *
 * Both assert: never a 5xx, and every 4xx is application/problem+json with
 * type, title, status (= the HTTP status), detail, code and requestId. A last
 * test checks the server stays healthy: GET /v1/health is 200 and real logins work.
 * Generators: ./request-arbitrary.ts (requests) and ./schema-arbitrary.ts (JSON Schema → fast-check).
 *
 * Knobs (environment variables):
 *   FUZZ_RUNS=<n>  multiplies the random runs of every property (default 1: 10 "every caller"
 *                  runs + 36 "fuzzed inputs" runs per operation, a quarter of those for
 *                  operations without parameters or body); FUZZ_RUNS=10 for a long local
 *                  run, fractions allowed (0.25 for a smoke run).
 *   FUZZ_SEED=<n>  the fast-check seed (default fixed, so runs are reproducible). A
 *                  failure prints seed, path and the shrunk request (method, path,
 *                  decoded cursors, headers, body) and the response that broke the rule.
 *   FUZZ_COLLECT=1 do not stop at a property's first failure: report every distinct one
 *                  (by operation, status and problem code) when the property ends.
 *   FUZZ_STATS=1   print, per operation, how often each status and problem code came back.
 * e.g. FUZZ_RUNS=10 FUZZ_SEED=$RANDOM npx vitest run test/fuzz
 *
 * Safety for the test files running alongside: the shared bootstrap admin only
 * creates this suite's own "keeper" admin and is never named in a request; the
 * fuzzed tokens belong to users created here and are renewed (unlock by the
 * keeper, then a real login) when a fuzzed logout revokes them; requests other
 * than GET only target ids this suite created (its "victim" users, its own
 * notarizations) or random ones.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, apiUrl, call, createUser, login, randomSha256, uniqueName } from '../support/http';
import {
  cursorPayload,
  describeRequest,
  everyTokenKind,
  type FuzzFixtures,
  type FuzzMode,
  type FuzzRequest,
  type Operation,
  operationsOf,
  requestArbitrary,
} from './request-arbitrary';
import { resolveSchema } from './schema-arbitrary';

/**
 * Random runs per operation and property, before FUZZ_RUNS. The callers property
 * also sends one example per token kind; operations that declare no inputs (no
 * parameters, no body) get a quarter of the input runs: only unknown query
 * parameters and stray bodies are left to try there.
 */
const CALLER_RUNS = 10;
const INPUT_RUNS = 36;
const multiplier = Number(process.env.FUZZ_RUNS ?? '1');
if (!(multiplier > 0)) throw new Error(`FUZZ_RUNS must be a positive number, not ${process.env.FUZZ_RUNS}`);
const callerRuns = Math.max(1, Math.round(CALLER_RUNS * multiplier));
const inputRuns = Math.max(1, Math.round(INPUT_RUNS * multiplier));
const seed = process.env.FUZZ_SEED === undefined ? 20_260_101 : Number(process.env.FUZZ_SEED);
if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);
const collect = process.env.FUZZ_COLLECT === '1';
const stats = process.env.FUZZ_STATS === '1';

// The document decides what is fuzzed, so it is read before the tests are declared.
const document = (await (await fetch(`${apiUrl()}/v1/openapi.json`)).json()) as Record<string, unknown>;
const operations = operationsOf(document);

interface Principal {
  readonly name: string;
  readonly id: string;
  readonly username: string;
  readonly password: string;
  token: string;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const fromB64url = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe(`API fuzz from the OpenAPI document (seed ${seed}, ${callerRuns}+${inputRuns} runs per operation)`, () => {
  const principals = new Map<string, Principal>();
  /** Usernames of accounts other test files rely on (the bootstrap admin): no request may name them. */
  const protectedUsernames = new Set<string>();
  let keeper: Principal;
  let sentinel: Principal;
  let fixtures: FuzzFixtures;

  /** Ids the fuzz may target with requests other than GET, and those it may read; kept live (see replaceDeleted). */
  const mutableIds: string[] = [];
  const readableIds: string[] = [];
  const victimIds = new Set<string>();

  /** A user of this suite's own that admin routes may disable, re-role, unlock or delete. */
  const newVictim = async (roles: string[]) => {
    const res = await asKeeper('POST', '/v1/admin/users', { username: uniqueName('fuzz-victim'), roles });
    if (res.status !== 201) throw new Error(`could not create a victim: ${res.status}`);
    victimIds.add(res.body.user.id);
    return res.body.user.id as string;
  };

  /** A fuzzed DELETE used up a victim: put a new one in its place, so later operations still find users. */
  const replaceDeleted = async (req: FuzzRequest, status: number) => {
    if (req.method !== 'DELETE' || status < 200 || status >= 300) return;
    const pathOnly = req.path.split('?')[0] ?? '';
    for (const id of victimIds) {
      if (!pathOnly.split('/').includes(id)) continue;
      const fresh = await newVictim(['verifier']);
      for (const ids of [mutableIds, readableIds]) {
        const at = ids.indexOf(id);
        if (at >= 0) ids[at] = fresh;
      }
    }
  };

  /** Admin calls of the suite itself (never fuzzed); renews the keeper's token if it has expired. */
  const asKeeper = async (method: string, path: string, body?: unknown) => {
    let res = await call(method, path, { token: keeper.token, body });
    if (res.status === 401) {
      keeper.token = await login(keeper.username, keeper.password);
      res = await call(method, path, { token: keeper.token, body });
    }
    return res;
  };

  const toPrincipal = (name: string, u: Awaited<ReturnType<typeof createUser>>): Principal => ({
    name,
    id: u.id,
    username: u.username,
    password: u.password,
    token: u.token,
  });

  beforeAll(async () => {
    console.info(
      `API fuzz: seed ${seed}, ${callerRuns} (callers) + ${inputRuns} (inputs) runs × ${operations.length} operations (FUZZ_SEED / FUZZ_RUNS to change)`,
    );
    const bootstrap = await adminToken();
    keeper = toPrincipal('keeper', await createUser(['admin'], bootstrap));

    // One fuzzed user per role the document mentions.
    const roles = [...new Set(operations.flatMap((op) => op.roles ?? []))].sort();
    for (const role of roles) principals.set(role, toPrincipal(role, await createUser([role], keeper.token)));

    // A user still on their temporary password (everything but a few routes is 403 for them).
    const freshName = uniqueName('fuzz-fresh');
    const fresh = await asKeeper('POST', '/v1/admin/users', { username: freshName, roles });
    if (fresh.status !== 201) throw new Error(`could not create the fresh user: ${fresh.status}`);
    const temporary = fresh.body.temporaryPassword as string;
    principals.set('mustChangePassword', {
      name: 'mustChangePassword',
      id: fresh.body.user.id,
      username: freshName,
      password: temporary,
      token: await login(freshName, temporary),
    });

    // A token whose session a password change has since voided.
    const changer = await createUser(['uploader', 'verifier'], keeper.token);
    const second = await login(changer.username, changer.password);
    const changed = await call('POST', '/v1/auth/password', {
      token: second,
      body: { currentPassword: changer.password, newPassword: `${changer.password}-Changed9` },
    });
    if (changed.status !== 204) throw new Error(`password change failed: ${changed.status}`);

    // Forged JWTs from a real one: expired-looking with a broken signature, a flipped signature, alg none.
    const [h, p, s] = (principals.get('admin') ?? keeper).token.split('.') as [string, string, string];
    const claims = fromB64url(p);
    const flip = (sig: string) => `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    const rawTokens = [
      { label: 'token of a user whose password was then changed', header: `Bearer ${changer.token}` },
      {
        label: 'expired-looking admin JWT with a tampered signature',
        header: `Bearer ${h}.${b64url({ ...claims, exp: 1_000_000_000, iat: 999_999_000, nbf: 999_999_000 })}.${flip(s)}`,
      },
      { label: 'admin JWT with one signature character changed', header: `Bearer ${h}.${p}.${flip(s)}` },
      {
        label: 'admin JWT re-signed with alg none',
        header: `Bearer ${b64url({ ...fromB64url(h), alg: 'none' })}.${p}.`,
      },
      { label: 'admin JWT without its signature', header: `Bearer ${h}.${p}` },
    ];

    // Users that admin requests other than GET may disable, re-role, unlock or delete.
    const victims: string[] = [];
    for (const roles of [['verifier'], ['uploader'], ['admin', 'uploader'], ['verifier']]) {
      victims.push(await newVictim(roles));
    }

    // Notarizations of our uploader, enough for a second page.
    const notarizations: string[] = [];
    const uploader = principals.get('uploader');
    if (uploader) {
      for (let i = 0; i < 3; i++) {
        const res = await call('POST', '/v1/notarizations', {
          token: uploader.token,
          body: { sha256: randomSha256(), name: `fuzz-${i}`, metadata: { origin: 'fuzz' } },
        });
        if (res.status === 201) notarizations.push(res.body.id);
      }
    }

    // Real cursors: every listing (an operation with a page token), asked for the smallest page it allows.
    const cursors: { operationId: string; principal: string; cursor: string }[] = [];
    for (const op of operations) {
      if (op.method !== 'GET' || op.pathParameters.length > 0 || !op.pageToken) continue;
      const next = `next${op.pageToken.charAt(0).toUpperCase()}${op.pageToken.slice(1)}`;
      const smallest = new URLSearchParams();
      for (const q of op.queryParameters) {
        const schema = resolveSchema(q.schema, document);
        if (schema.type === 'integer' && schema.minimum !== undefined)
          smallest.set(q.name, String(schema.minimum));
      }
      for (const principal of principals.values()) {
        const res = await call('GET', `${op.path}?${smallest}`, { token: principal.token });
        if (res.status === 200 && typeof res.body?.[next] === 'string') {
          cursors.push({ operationId: op.operationId, principal: principal.name, cursor: res.body[next] });
        }
      }
    }

    // Values for forged cursors: what real cursors hold, and other users' ids in the same shapes.
    const bootstrapMe = (await call('GET', '/v1/me', { token: bootstrap })).body;
    const bootstrapId = bootstrapMe.id as string;
    protectedUsernames.add(String(bootstrapMe.username).toLowerCase());
    const otherIds = [bootstrapId, keeper.id, ...victims, ...[...principals.values()].map((x) => x.id)];
    const realKeys = cursors.map(({ cursor }) => cursorPayload(cursor)?.key ?? {});
    const realValues = realKeys.flatMap((key) =>
      Object.values(key).filter((v): v is string => typeof v === 'string'),
    );
    const prefixes = [
      ...new Set(realValues.map((v) => /^([A-Z_]+#)/.exec(v)?.[1]).filter((x) => x !== undefined)),
    ];
    const cursorValues = [
      ...new Set([
        ...realValues,
        ...otherIds,
        ...notarizations,
        ...prefixes.flatMap((prefix) =>
          [...otherIds, ...notarizations, crypto.randomUUID(), ''].map((id) => `${prefix}${id}`),
        ),
        new Date().toISOString(),
      ]),
    ];
    const cursorKeyNames = [
      ...new Set([
        ...realKeys.flatMap((key) => Object.keys(key)),
        'pk',
        'sk',
        'owner',
        'receivedAt',
        'listPk',
        'listSk',
      ]),
    ];

    sentinel = toPrincipal('sentinel', await createUser(['verifier'], keeper.token));

    mutableIds.push(...victims, ...notarizations);
    readableIds.push(...mutableIds, ...[...principals.values()].map((x) => x.id), keeper.id);

    fixtures = {
      root: document,
      principalNames: [...principals.keys()],
      roleNames: roles,
      rawTokens,
      mutableIds,
      readableIds,
      cursors,
      cursorValues,
      cursorKeyNames,
    };
  });

  /** Whether a request names a protected account as its username (a failed login would count toward its lockout). */
  const touchesProtectedAccount = (req: FuzzRequest) =>
    [...(req.body ?? '').matchAll(/"username"\s*:\s*"([^"]*)"/gi)].some((m) =>
      protectedUsernames.has((m[1] ?? '').toLowerCase()),
    );

  /** A revoked principal token (a fuzzed logout) is renewed: unlock by the keeper, then a real login. */
  const renew = async (principal: Principal) => {
    await asKeeper('POST', `/v1/admin/users/${principal.id}/unlock`);
    principal.token = await login(principal.username, principal.password);
  };

  interface Outcome {
    readonly status: number;
    readonly contentType: string | null;
    readonly text: string;
  }

  const send = async (req: FuzzRequest): Promise<Outcome> => {
    const headers: Record<string, string> = {};
    let authorization: string | undefined;
    if (req.token.kind === 'principal') {
      const principal = principals.get(req.token.name);
      if (!principal) throw new Error(`no principal ${req.token.name}`);
      authorization = `Bearer ${principal.token}`;
    } else if (req.token.kind === 'raw') {
      authorization = req.token.header;
    }
    if (authorization !== undefined) headers.authorization = authorization;
    if (req.contentType !== undefined) headers['content-type'] = req.contentType;
    const res = await fetch(`${apiUrl()}${req.path}`, {
      method: req.method,
      headers,
      // Bytes, so that fetch adds no content type of its own.
      body: req.body === undefined ? undefined : Buffer.from(req.body, 'utf8'),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  };

  /** Why the response breaks the contract, or undefined. */
  const violation = (outcome: Outcome): string | undefined => {
    if (outcome.status >= 500) return `server error ${outcome.status}`;
    if (outcome.status < 400) return undefined;
    if (!/^application\/problem\+json\s*(;|$)/i.test(outcome.contentType ?? '')) {
      return `4xx with content type ${outcome.contentType}, not application/problem+json`;
    }
    let body: unknown;
    try {
      body = JSON.parse(outcome.text);
    } catch {
      return '4xx body is not JSON';
    }
    if (typeof body !== 'object' || body === null) return '4xx body is not a JSON object';
    const problem = body as Record<string, unknown>;
    for (const field of ['type', 'title', 'detail', 'code', 'requestId']) {
      if (typeof problem[field] !== 'string' || problem[field] === '')
        return `problem without a string "${field}"`;
    }
    if (problem.status !== outcome.status)
      return `problem status ${problem.status} ≠ HTTP status ${outcome.status}`;
    return undefined;
  };

  const report = (req: FuzzRequest, outcome: Outcome, why: string) =>
    [
      `${why} — request:`,
      describeRequest(req),
      '— response:',
      `HTTP ${outcome.status} (${outcome.contentType})`,
      outcome.text.length > 1500 ? `${outcome.text.slice(0, 1500)}…` : outcome.text,
    ].join('\n');

  const problemCode = (outcome: Outcome) => {
    try {
      return String(JSON.parse(outcome.text)?.code ?? '');
    } catch {
      return ''; // not JSON
    }
  };

  const signature = (req: FuzzRequest, outcome: Outcome) =>
    `${req.operationId} ${outcome.status} ${problemCode(outcome)}`;

  const exercise = async (req: FuzzRequest, found: Map<string, string>, seen: Map<string, number>) => {
    let outcome = await send(req);
    let why = violation(outcome);
    // A fuzzed logout revoked this principal's session: renew the token and send the request again.
    const revoked = outcome.status === 401 && problemCode(outcome) === 'unauthorized';
    if (why === undefined && revoked && req.token.kind === 'principal') {
      const principal = principals.get(req.token.name);
      if (principal) {
        await renew(principal);
        outcome = await send(req);
        why = violation(outcome);
      }
    }
    await replaceDeleted(req, outcome.status);
    const key = signature(req, outcome);
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (why === undefined) return;
    const message = report(req, outcome, why);
    if (!collect) throw new Error(message);
    if (!found.has(key)) found.set(key, message);
  };

  const byId = (op: Operation) => `${op.method} ${op.path} (${op.operationId})`;

  const property = async (op: Operation, mode: FuzzMode) => {
    const found = new Map<string, string>();
    const seen = new Map<string, number>();
    // Callers: every token kind once for sure, then random ones.
    const examples =
      mode === 'callers'
        ? everyTokenKind(op, fixtures).map((token): [FuzzRequest] => {
            const [req] = fc.sample(requestArbitrary(op, fixtures, mode, token), { seed, numRuns: 1 });
            if (!req) throw new Error('no example');
            return [req];
          })
        : [];
    const declaresInputs =
      op.pathParameters.length + op.queryParameters.length > 0 || op.bodySchema !== undefined;
    const runs =
      mode === 'callers' ? callerRuns : declaresInputs ? inputRuns : Math.max(1, Math.round(inputRuns / 4));
    try {
      await fc.assert(
        fc.asyncProperty(requestArbitrary(op, fixtures, mode), async (req) => {
          fc.pre(!touchesProtectedAccount(req));
          await exercise(req, found, seen);
        }),
        // Examples count toward numRuns in fast-check.
        { numRuns: runs + examples.length, seed, examples },
      );
    } finally {
      if (stats) {
        const lines = [...seen.entries()].sort(([a], [b]) => a.localeCompare(b));
        console.info(
          `${byId(op)} [${mode}]\n${lines.map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`).join('\n')}`,
        );
      }
    }
    if (found.size > 0) {
      throw new Error(
        `${found.size} distinct failure(s):\n\n${[...found.entries()].map(([k, m]) => `[${k}]\n${m}`).join('\n\n')}`,
      );
    }
  };

  const timeout = Math.max(120_000, 120_000 * multiplier);
  for (const op of operations) {
    it(`${byId(op)} — every caller: no 5xx, every 4xx a problem`, () => property(op, 'callers'), timeout);
    it(`${byId(op)} — fuzzed inputs: no 5xx, every 4xx a problem`, () => property(op, 'inputs'), timeout);
  }

  it('the server stays healthy afterwards: health is 200 and a real login works', async () => {
    const health = await call('GET', '/v1/health');
    expect(health.status).toBe(200);
    const token = await login(sentinel.username, sentinel.password);
    expect((await call('GET', '/v1/me', { token })).status).toBe(200);
    // The fuzzed users can still sign in too (after the lockouts the fuzz earned them are lifted).
    for (const principal of principals.values()) {
      await renew(principal);
      expect((await call('GET', '/v1/me', { token: principal.token })).status).toBe(200);
    }
  });
});
