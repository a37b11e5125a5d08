import fc from 'fast-check';
import {
  type JsonSchema,
  mutatedValue,
  PROTOTYPE_KEYS,
  type RefRoot,
  resolveSchema,
  toJsonText,
  validValue,
} from './schema-arbitrary';

/** One operation of the served OpenAPI document. */
export interface Operation {
  readonly operationId: string;
  readonly method: string;
  /** Path template, with `{param}` placeholders. */
  readonly path: string;
  /** `security: []`: no token needed. */
  readonly isPublic: boolean;
  /** `x-stempel-roles`: the roles allowed; undefined for any signed-in user. */
  readonly roles?: readonly string[];
  readonly pathParameters: readonly Parameter[];
  readonly queryParameters: readonly Parameter[];
  readonly bodySchema?: JsonSchema;
  /**
   * The query parameter that continues a listing: `p` when the 200 response
   * has a `next<P>` property (cursor ↔ nextCursor).
   */
  readonly pageToken?: string;
}

export interface Parameter {
  readonly name: string;
  readonly required: boolean;
  readonly schema: JsonSchema;
}

interface OpenApiOperation {
  readonly operationId: string;
  readonly security?: readonly unknown[];
  readonly 'x-stempel-roles'?: readonly string[];
  readonly parameters?: readonly { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  readonly requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  readonly responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

const capitalized = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/** Every operation of the document, so that a new route is fuzzed without touching this suite. */
export function operationsOf(doc: RefRoot): Operation[] {
  const paths = doc.paths as Record<string, Record<string, OpenApiOperation>>;
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      const params = (where: string) =>
        (op.parameters ?? [])
          .filter((p) => p.in === where)
          .map((p) => ({ name: p.name, required: p.required === true, schema: p.schema ?? {} }));
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const ok = op.responses?.['200']?.content?.['application/json']?.schema;
      const returned = Object.keys((ok ? resolveSchema(ok, doc) : {}).properties ?? {});
      const pageToken = params('query').find((p) => returned.includes(`next${capitalized(p.name)}`))?.name;
      out.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        isPublic: Array.isArray(op.security) && op.security.length === 0,
        ...(op['x-stempel-roles'] ? { roles: op['x-stempel-roles'] } : {}),
        pathParameters: params('path'),
        queryParameters: params('query'),
        ...(bodySchema ? { bodySchema } : {}),
        ...(pageToken ? { pageToken } : {}),
      });
    }
  }
  return out;
}

/** Who a request claims to be. Principal tokens are looked up when the request is sent (they get renewed). */
export type TokenChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'principal'; readonly name: string }
  | { readonly kind: 'raw'; readonly label: string; readonly header: string };

export interface FuzzRequest {
  readonly operationId: string;
  readonly method: string;
  /** Path and query, exactly as sent. */
  readonly path: string;
  readonly token: TokenChoice;
  readonly contentType?: string;
  readonly body?: string;
}

/** What the generators need to know about the running system (set up by the suite). */
export interface FuzzFixtures {
  readonly root: RefRoot;
  /** Principals whose tokens requests may carry: one per role, plus one that must change its password. */
  readonly principalNames: readonly string[];
  /** Principal names that are roles of the document (admin, uploader, …). */
  readonly roleNames: readonly string[];
  /** Fixed Authorization headers: a token voided by a password change, tampered and expired-looking JWTs. */
  readonly rawTokens: readonly { label: string; header: string }[];
  /** Ids that requests other than GET may target: only what this suite created for itself (kept up to date). */
  readonly mutableIds: readonly string[];
  /** Ids GET requests may use: the above plus the suite's own principals. */
  readonly readableIds: readonly string[];
  /** Real cursors from listings, by the operation and the principal they were issued to. */
  readonly cursors: readonly { operationId: string; principal: string; cursor: string }[];
  /** Strings to put in forged cursors: real cursor values, ids of other users, key prefixes with other ids. */
  readonly cursorValues: readonly string[];
  readonly cursorKeyNames: readonly string[];
}

const MAX_BODY_SHOWN = 4000;

/** A request as a reader (and curl) needs it: method, path with decoded cursors, headers, body. */
export function describeRequest(req: FuzzRequest): string {
  const lines = [`${req.method} ${req.path}`];
  // Base64url-encoded JSON in the query (cursors): show what it holds.
  const query = req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : '';
  for (const [name, value] of new URLSearchParams(query)) {
    const payload = cursorPayload(value);
    if (payload !== undefined) lines.push(`  (${name} holds base64url of ${JSON.stringify(payload.key)})`);
  }
  const auth =
    req.token.kind === 'principal'
      ? `Bearer <access token of the fuzz "${req.token.name}" user>`
      : req.token.kind === 'raw'
        ? req.token.header
        : undefined;
  if (auth !== undefined) {
    lines.push(
      `Authorization: ${auth.length > 300 ? `${auth.slice(0, 300)}… (${auth.length} chars)` : auth}`,
    );
    if (req.token.kind === 'raw') lines.push(`  (${req.token.label})`);
  }
  if (req.contentType !== undefined) lines.push(`Content-Type: ${req.contentType}`);
  if (req.body !== undefined) {
    const shown = req.body.length > MAX_BODY_SHOWN ? req.body.slice(0, MAX_BODY_SHOWN) : req.body;
    const more = req.body.length > MAX_BODY_SHOWN ? ` … (${req.body.length} chars in all)` : '';
    // Printable ASCII as is; anything else as a JSON string literal, so control characters show.
    lines.push(
      '',
      /^[\x20-\x7e]*$/.test(shown) ? `${shown}${more}` : `${JSON.stringify(shown)}${more}  (JSON-escaped)`,
    );
  }
  return lines.join('\n');
}

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/** encodeURIComponent, but lone surrogates become U+FFFD instead of throwing. */
const encode = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));

const asciiPrintable = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength,
    maxLength,
  });

// ---------------------------------------------------------------- tokens

const garbageToken: fc.Arbitrary<TokenChoice> = fc
  .oneof(
    asciiPrintable(1, 60),
    asciiPrintable(1, 60).map((s) => `Bearer ${s}`),
    fc
      .tuple(...[0, 1, 2].map(() => fc.uint8Array({ maxLength: 48 }).map(b64url)))
      .map((parts) => `Bearer ${parts.join('.')}`),
    fc.constantFrom(
      'Bearer',
      'Basic YWRtaW46eA==',
      'Bearer a.b',
      'Bearer ..',
      'Bearer null',
      'bearer  x.y.z',
    ),
    fc.integer({ min: 1000, max: 3000 }).map((n) => `Bearer ${'t'.repeat(n)}`),
  )
  .map((header) => ({ kind: 'raw', label: 'garbage', header }));

/** Callers mode: every kind of token, each principal equally likely. */
function callerTokenArbitrary(fx: FuzzFixtures): fc.Arbitrary<TokenChoice> {
  const options: fc.WeightedArbitrary<TokenChoice>[] = [
    {
      weight: 2 * fx.principalNames.length,
      arbitrary: fc
        .constantFrom(...fx.principalNames)
        .map((name): TokenChoice => ({ kind: 'principal', name })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' } as const) },
    { weight: 1, arbitrary: garbageToken },
  ];
  if (fx.rawTokens.length > 0) {
    options.push({
      weight: 2,
      arbitrary: fc.constantFrom(...fx.rawTokens).map((t): TokenChoice => ({ kind: 'raw', ...t })),
    });
  }
  return fc.oneof(...options);
}

/**
 * Every token kind, once each: fed to the callers property as examples, so no
 * role is left out by chance. A public operation never looks at the token, so
 * one of each family is enough there (a principal, none, garbage, a forged JWT).
 */
export function everyTokenKind(op: Operation, fx: FuzzFixtures): TokenChoice[] {
  const principals = op.isPublic ? fx.principalNames.slice(0, 1) : fx.principalNames;
  const raw = op.isPublic ? fx.rawTokens.slice(0, 1) : fx.rawTokens;
  return [
    ...principals.map((name): TokenChoice => ({ kind: 'principal', name })),
    { kind: 'none' },
    { kind: 'raw', label: 'garbage', header: 'Bearer not-a-jwt' },
    ...raw.map((t): TokenChoice => ({ kind: 'raw', ...t })),
  ];
}

/** Inputs mode: a caller the operation admits (public operations: mostly nobody). */
function allowedTokenArbitrary(op: Operation, fx: FuzzFixtures): fc.Arbitrary<TokenChoice> {
  const principal = (names: readonly string[]) =>
    fc.constantFrom(...names).map((name): TokenChoice => ({ kind: 'principal', name }));
  const none = fc.constant<TokenChoice>({ kind: 'none' });
  if (op.isPublic)
    return fc.oneof({ weight: 3, arbitrary: none }, { weight: 1, arbitrary: principal(fx.principalNames) });
  const allowed = (op.roles ?? fx.roleNames).filter((r) => fx.principalNames.includes(r));
  return principal(allowed.length > 0 ? allowed : fx.principalNames);
}

// ---------------------------------------------------------------- path parameters

const percentJunk = fc.oneof(
  fc.constantFrom(
    '%',
    '%%',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    '%00',
    '%2F',
    '%2e%2e',
    '%FF%FE',
    '%uD800',
    '%0A',
    '%20',
    '..',
    '.',
    '%25',
  ),
  fc
    .array(fc.constantFrom('%', '%4', '%41', '%ZZ', 'a', '%C3', '%A9', '%ED%A0%80', '%F0%9F'), {
      minLength: 2,
      maxLength: 12,
    })
    .map((parts) => parts.join('')),
);

const idsFor = (op: Operation, fx: FuzzFixtures) => (op.method === 'GET' ? fx.readableIds : fx.mutableIds);

/** One of the ids, read when the request is generated: the suite replaces ids that a fuzzed DELETE used up. */
const liveId = (ids: readonly string[]) => fc.nat().map((i) => encode(ids[i % ids.length] ?? ''));

function validPathSegmentArbitrary(param: Parameter, op: Operation, fx: FuzzFixtures): fc.Arbitrary<string> {
  const ids = idsFor(op, fx);
  const valid = validValue(param.schema, fx.root).map((v) => encode(String(v)));
  if (ids.length === 0) return valid;
  return fc.oneof({ weight: 3, arbitrary: liveId(ids) }, { weight: 1, arbitrary: valid });
}

function pathSegmentArbitrary(param: Parameter, op: Operation, fx: FuzzFixtures): fc.Arbitrary<string> {
  const ids = idsFor(op, fx);
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: validValue(param.schema, fx.root).map((v) => encode(String(v))) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map(encode) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(encode) },
    { weight: 1, arbitrary: percentJunk },
    { weight: 1, arbitrary: fc.integer({ min: 300, max: 4000 }).map((n) => 'l'.repeat(n)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.uuid(), fc.constantFrom(' ', '%00', '.json', '%2F..', '0', ';x=1', '%0a'))
        .map(([u, tail]) => `${u}${tail}`),
    },
  ];
  if (ids.length > 0) options.push({ weight: 5, arbitrary: liveId(ids) });
  return fc.oneof(...options);
}

// ---------------------------------------------------------------- query parameters and cursors

const jsonObjectIn = (base64url: string): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(Buffer.from(base64url, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The JSON object inside a cursor, whatever the cursor looks like around it:
 * the first dot-separated part that is base64url JSON (plain `b64(json)`
 * cursors, or sealed `b64(json).mac` ones). `rebuild` puts another object in
 * its place and leaves the other parts (a MAC) as they were.
 */
export function cursorPayload(
  cursor: string,
): { key: Record<string, unknown>; rebuild: (key: unknown) => string } | undefined {
  const parts = cursor.split('.');
  for (const [i, part] of parts.entries()) {
    const key = jsonObjectIn(part);
    if (key) {
      const rebuild = (next: unknown) =>
        parts.map((p, j) => (j === i ? b64url(JSON.stringify(next)) : p)).join('.');
      return { key, rebuild };
    }
  }
  return undefined;
}

/** The real cursors a caller would hold: its own for this operation, else this operation's, else any. */
function realCursors(op: Operation, fx: FuzzFixtures, principal: string | undefined) {
  const mine = fx.cursors.filter((c) => c.operationId === op.operationId && c.principal === principal);
  const thisOp = fx.cursors.filter((c) => c.operationId === op.operationId);
  const own = (mine.length > 0 ? mine : thisOp.length > 0 ? thisOp : fx.cursors).map((c) => c.cursor);
  return { own, all: fx.cursors.map((c) => c.cursor) };
}

function cursorArbitrary(
  op: Operation,
  fx: FuzzFixtures,
  principal: string | undefined,
): fc.Arbitrary<string> {
  const { own, all } = realCursors(op, fx, principal);
  const payloadsOf = (cursors: string[]) =>
    cursors.map(cursorPayload).filter((p): p is NonNullable<typeof p> => p !== undefined);
  const values = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: fc.constantFrom(...fx.cursorValues, 'x') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(0, null, true, [], {}, ' ') },
  );
  /** A real cursor with one value of its key replaced (the rest, and any MAC, unchanged), or several. */
  const tampered = (payloads: ReturnType<typeof payloadsOf>) =>
    fc.constantFrom(...payloads).chain(({ key, rebuild }) =>
      fc
        .oneof(
          {
            weight: 3,
            arbitrary: fc
              .tuple(fc.constantFrom(...Object.keys(key)), values)
              .map(([k, v]) => ({ ...key, [k]: v })),
          },
          {
            weight: 1,
            arbitrary: fc
              .tuple(
                ...Object.entries(key).map(([k, v]) =>
                  fc
                    .oneof({ weight: 1, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: values })
                    .map((nv) => [k, nv] as const),
                ),
              )
              .map((entries) => Object.fromEntries(entries)),
          },
        )
        .map(rebuild),
    );
  /** A made-up key: some of the key names real cursors use, with made-up values (no MAC). */
  const forged = fc
    .subarray([...fx.cursorKeyNames], { minLength: 1 })
    .chain((names) => fc.tuple(...names.map((n) => values.map((v) => [n, v] as const))))
    .map((entries) => b64url(JSON.stringify(Object.fromEntries(entries))));
  const objects: fc.WeightedArbitrary<string>[] = [{ weight: 1, arbitrary: forged }];
  if (payloadsOf(own).length > 0) objects.push({ weight: 8, arbitrary: tampered(payloadsOf(own)) });
  if (payloadsOf(all).length > 0) objects.push({ weight: 2, arbitrary: tampered(payloadsOf(all)) });
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 11, arbitrary: fc.oneof(...objects) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 96 }).map(b64url) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => b64url(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  ];
  if (all.length > 0) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/';
    options.push(
      { weight: 1, arbitrary: fc.constantFrom(...own, ...all) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom(...own), fc.nat(), fc.constantFrom(...alphabet))
          .map(([c, i, ch]) => {
            const at = i % c.length;
            return `${c.slice(0, at)}${ch}${c.slice(at + 1)}`;
          })
          .filter((c) => !all.includes(c)),
      },
    );
  }
  return fc.oneof(...options);
}

/**
 * Which part of a request the inputs property breaks; the rest stays valid so
 * that the broken part reaches the code behind validation. `none`: nothing
 * (the callers property); `all`: every part at once.
 */
export type Focus =
  | { readonly kind: 'none' | 'all' | 'unknownQuery' | 'body' }
  | { readonly kind: 'path' | 'query'; readonly name: string };

const fuzzes = (focus: Focus, kind: Focus['kind'], name?: string) =>
  focus.kind === 'all' || (focus.kind === kind && (!('name' in focus) || focus.name === name));

function focusArbitrary(op: Operation, fx: FuzzFixtures): fc.Arbitrary<Focus> {
  const options: { weight: number; focus: Focus }[] = [];
  for (const p of op.pathParameters) options.push({ weight: 2, focus: { kind: 'path', name: p.name } });
  for (const p of op.queryParameters) {
    // Page tokens (forged and tampered cursors) and free-form strings hide more than numbers do.
    const free = resolveSchema(p.schema, fx.root).type === 'string';
    const weight = p.name === op.pageToken ? 6 : free ? 2 : 1;
    options.push({ weight, focus: { kind: 'query', name: p.name } });
  }
  options.push({ weight: 1, focus: { kind: 'unknownQuery' } });
  if (op.bodySchema) options.push({ weight: 4, focus: { kind: 'body' } });
  else if (op.method !== 'GET') options.push({ weight: 1, focus: { kind: 'body' } });
  const total = options.reduce((n, o) => n + o.weight, 0);
  options.push({ weight: Math.max(1, Math.round(total / 6)), focus: { kind: 'all' } });
  return fc.oneof(...options.map((o) => ({ weight: o.weight, arbitrary: fc.constant(o.focus) })));
}

/** A valid value for a query parameter; the page token is the caller's own real cursor when there is one. */
function validQueryValue(
  param: Parameter,
  op: Operation,
  fx: FuzzFixtures,
  principal: string | undefined,
): fc.Arbitrary<string> {
  const { own } = realCursors(op, fx, principal);
  return param.name === op.pageToken && own.length > 0
    ? fc.constantFrom(...own)
    : validValue(param.schema, fx.root).map((v) => String(v));
}

function queryValueArbitrary(
  param: Parameter,
  op: Operation,
  fx: FuzzFixtures,
  principal: string | undefined,
): fc.Arbitrary<string> {
  const s = resolveSchema(param.schema, fx.root);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: validQueryValue(param, op, fx, principal) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom('', ' ', 'abc', 'true', 'null', 'undefined', '[]', '{}', '%', '\u0000', '__proto__'),
        fc.string({ maxLength: 20 }),
      ),
    },
  ];
  if (type === 'integer' || type === 'number') {
    const edges = ['0', '-1', '1.5', '1e3', '0x10', ' 5', '5 ', '+5', 'NaN', 'Infinity', '-0', '1_000'];
    edges.push('9'.repeat(400), String(2 ** 53 + 2), String(Number.MAX_VALUE));
    if (s.minimum !== undefined) edges.push(String(s.minimum - 1));
    if (s.maximum !== undefined) edges.push(String(s.maximum + 1));
    options.push({ weight: 3, arbitrary: fc.constantFrom(...edges) });
  }
  if (param.name === op.pageToken)
    options.push({ weight: 10, arbitrary: cursorArbitrary(op, fx, principal) });
  if (type === 'string') {
    options.push(
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }) },
      {
        weight: 1,
        // Longer than allowed, yet short enough for the HTTP server's header limit.
        arbitrary: fc
          .integer({ min: (s.maxLength ?? 2048) + 1, max: Math.max((s.maxLength ?? 2048) + 1, 4000) })
          .map((n) => 'c'.repeat(n)),
      },
    );
  }
  return fc.oneof(...options);
}

function queryArbitrary(
  op: Operation,
  fx: FuzzFixtures,
  principal: string | undefined,
  focus: Focus,
): fc.Arbitrary<string> {
  const declared = op.queryParameters.map((p) => {
    if (fuzzes(focus, 'query', p.name)) {
      const value = queryValueArbitrary(p, op, fx, principal).map((v) => [p.name, v] as const);
      return focus.kind === 'all' ? fc.option(value, { nil: undefined, freq: 4 }) : value;
    }
    const value = validQueryValue(p, op, fx, principal).map((v) => [p.name, v] as const);
    return p.required ? value : fc.option(value, { nil: undefined });
  });
  const names = new Set(op.queryParameters.map((p) => p.name));
  const unknownName = fc
    .oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.string({ minLength: 1, maxLength: 12 }))
    .filter((n) => !names.has(n));
  const someUnknown = fc.array(fc.tuple(unknownName, fc.string({ maxLength: 12 })), {
    minLength: 1,
    maxLength: 3,
  });
  const noUnknown = fc.constant([] as [string, string][]);
  const unknown =
    focus.kind === 'unknownQuery'
      ? someUnknown
      : focus.kind === 'all'
        ? fc.oneof({ weight: 3, arbitrary: noUnknown }, { weight: 1, arbitrary: someUnknown })
        : noUnknown;
  const tails = [
    fc.constantFrom('&', '&&=', '%zz=1', '=', '=x', '[]=1', 'a[b]=c', '%00=%00', '#frag'),
    ...(op.queryParameters.length > 0
      ? [fc.constantFrom(...op.queryParameters.map((p) => p.name)).map((n) => `${n}=1&${n}=x`)]
      : []),
  ];
  const rawTail =
    focus.kind === 'unknownQuery' || focus.kind === 'all'
      ? fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.oneof(...tails) })
      : fc.constant('');
  return fc.tuple(fc.tuple(...declared), unknown, rawTail).map(([known, extra, tail]) => {
    const params = new URLSearchParams();
    for (const entry of known) if (entry) params.append(entry[0], entry[1]);
    for (const [k, v] of extra) params.append(k, v);
    const query = [params.toString(), tail].filter((part) => part !== '').join('&');
    return query === '' ? '' : `?${query}`;
  });
}

// ---------------------------------------------------------------- bodies and content types

const contentTypeArbitrary: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 30, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constant('application/json; charset=utf-8') },
  { weight: 1, arbitrary: fc.constant('text/plain') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant('multipart/form-data; boundary=fuzzboundary') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'APPLICATION/JSON',
      'application/json;charset=latin1',
      'application/jsonx',
      'application/problem+json',
      'application/x-www-form-urlencoded',
      '*/*',
      'application/json, text/plain',
    ),
  },
);

const nestedText = fc.oneof(
  fc.integer({ min: 100, max: 8000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 100, max: 3000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
);

function nonJsonText(schema: JsonSchema, root: RefRoot): fc.Arbitrary<string> {
  const valid = validValue(schema, root).map((v) => toJsonText(v) ?? 'null');
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    valid.map((t) => t.slice(0, Math.max(0, t.length - 1))),
    valid.map((t) => `${t} trailing`),
    valid.map((t) => `\ufeff${t}`),
    valid.map((t) => `${t}${t}`),
    fc.constantFrom(
      'NaN',
      'undefined',
      "{'a':1}",
      '{"a":1,}',
      '[1,]',
      'null',
      '0',
      '"string"',
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '\u0000',
    ),
  );
}

interface Payload {
  readonly contentType?: string;
  readonly body?: string;
}

const multipart = (text: string) =>
  `--fuzzboundary\r\nContent-Disposition: form-data; name="body"\r\n\r\n${text}\r\n--fuzzboundary--\r\n`;

function payloadArbitrary(op: Operation, fx: FuzzFixtures): fc.Arbitrary<Payload> {
  const noBody = fc.constant<Payload>({});
  if (!op.bodySchema) {
    if (op.method === 'GET') return noBody;
    const junk = fc
      .tuple(
        contentTypeArbitrary,
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        ),
      )
      .map(([contentType, body]): Payload => ({ ...(contentType ? { contentType } : {}), body }));
    return fc.oneof({ weight: 4, arbitrary: noBody }, { weight: 1, arbitrary: junk });
  }
  const schema = op.bodySchema;
  const text: fc.Arbitrary<string | undefined> = fc.oneof(
    { weight: 24, arbitrary: mutatedValue(schema, fx.root).map(toJsonText) },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: nonJsonText(schema, fx.root) },
    { weight: 1, arbitrary: nestedText },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.tuple(contentTypeArbitrary, text).map(([contentType, body]): Payload => {
    const out: { contentType?: string; body?: string } = {};
    if (contentType !== undefined) out.contentType = contentType;
    if (body !== undefined) out.body = contentType?.startsWith('multipart/') ? multipart(body) : body;
    return out;
  });
}

// ---------------------------------------------------------------- whole requests

export type FuzzMode = 'callers' | 'inputs';

/**
 * `callers`: who calls, with a valid request otherwise (every token kind against every operation).
 * `inputs`: a caller the operation admits, sending a request with one part broken (sometimes all):
 * a path parameter, a query parameter, unknown query parameters, or the body and its content type.
 * `token` pins the caller (for the callers property's examples).
 */
export function requestArbitrary(
  op: Operation,
  fx: FuzzFixtures,
  mode: FuzzMode,
  token?: TokenChoice,
): fc.Arbitrary<FuzzRequest> {
  const tokens = token
    ? fc.constant(token)
    : mode === 'callers'
      ? callerTokenArbitrary(fx)
      : allowedTokenArbitrary(op, fx);
  const focuses = mode === 'callers' ? fc.constant<Focus>({ kind: 'none' }) : focusArbitrary(op, fx);
  const validPayload: fc.Arbitrary<Payload> = op.bodySchema
    ? validValue(op.bodySchema, fx.root).map((v) => ({
        contentType: 'application/json',
        body: toJsonText(v) ?? 'null',
      }))
    : fc.constant({});
  return fc.tuple(tokens, focuses).chain(([t, focus]) => {
    const principal = t.kind === 'principal' ? t.name : undefined;
    const path = fc
      .tuple(
        ...op.pathParameters.map((p) =>
          (fuzzes(focus, 'path', p.name) ? pathSegmentArbitrary : validPathSegmentArbitrary)(p, op, fx).map(
            (v) => [p.name, v] as const,
          ),
        ),
      )
      .map((values) => values.reduce((acc, [name, v]) => acc.replace(`{${name}}`, v), op.path));
    const query = queryArbitrary(op, fx, principal, focus);
    const payload = fuzzes(focus, 'body') ? payloadArbitrary(op, fx) : validPayload;
    return fc.tuple(path, query, payload).map(([p, q, body]) => {
      const req: FuzzRequest = {
        operationId: op.operationId,
        method: op.method,
        path: `${p}${q}`,
        token: t,
        ...body,
      };
      // fast-check prints counterexamples with this.
      return Object.defineProperty(req, fc.toStringMethod, { value: () => `\n${describeRequest(req)}\n` });
    });
  });
}
