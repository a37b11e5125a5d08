import fc from 'fast-check';

/**
 * A small JSON Schema (2020-12) → fast-check arbitrary, for the subset the
 * served OpenAPI document uses: object (properties, required,
 * additionalProperties, propertyNames), string (pattern, enum, minLength,
 * maxLength, format uuid / date-time), integer / number (minimum, maximum,
 * exclusive bounds), array (items, minItems, maxItems), boolean, null,
 * anyOf / oneOf / allOf, const, enum and local `$ref`s. Anything else
 * (an empty schema) is any JSON value.
 *
 * `validValue` generates values the schema accepts; `mutatedValue` starts from
 * such a value and breaks it in one place (missing or extra fields, wrong
 * types, prototype keys, out-of-range numbers, huge strings, deep nesting).
 */

export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly propertyNames?: JsonSchema;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
}

/** The document `$ref`s point into. */
export type RefRoot = Record<string, unknown>;

/** Keys that mean something to Object.prototype; handlers must treat them as plain data. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf'] as const;

/** Above the API's default body limit (16 KiB), below anything that strains the runner. */
const HUGE_MIN = 17_000;
const HUGE_MAX = 40_000;

/** Marks a place where the serializer writes `depth` nested arrays (JSON.stringify would recurse). */
const DEEP_MARK = '\u0000stempel-fuzz-deep:';
export const deepMarker = (depth: number) => `${DEEP_MARK}${depth}`;

/** JSON text of a generated value, with deep-nesting markers expanded. */
export function toJsonText(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  return text.replace(/"\\u0000stempel-fuzz-deep:(\d+)"/g, (_, n: string) => {
    const depth = Number(n);
    return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  });
}

/** Sets an own, enumerable property, even for `__proto__` (plain assignment would set the prototype). */
export function withKey(target: object, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) {
    Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const without = (target: Record<string, unknown>, key: string): Record<string, unknown> =>
  Object.entries(target)
    .filter(([k]) => k !== key)
    .reduce<Record<string, unknown>>((acc, [k, v]) => withKey(acc, k, v), {});

export function resolveSchema(schema: JsonSchema, root: RefRoot): JsonSchema {
  let s = schema;
  for (let hops = 0; s.$ref !== undefined && hops < 16; hops++) {
    const ref = s.$ref;
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) {
      target = (target as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    }
    if (typeof target !== 'object' || target === null) throw new Error(`dangling $ref ${ref}`);
    s = target as JsonSchema;
  }
  return s;
}

const typesOf = (s: JsonSchema): string[] => {
  if (Array.isArray(s.type)) return [...s.type];
  if (typeof s.type === 'string') return [s.type];
  if (s.properties || s.additionalProperties !== undefined || s.propertyNames) return ['object'];
  if (s.items) return ['array'];
  if (s.pattern !== undefined || s.minLength !== undefined || s.maxLength !== undefined) return ['string'];
  if (s.minimum !== undefined || s.maximum !== undefined) return ['number'];
  return [];
};

const lengthFits = (s: JsonSchema) => (x: string) =>
  x.length >= (s.minLength ?? 0) && x.length <= (s.maxLength ?? Number.POSITIVE_INFINITY);

function stringArbitrary(s: JsonSchema): fc.Arbitrary<string> {
  if (s.format === 'uuid')
    return fc.oneof(
      fc.uuid(),
      fc.uuid().map((u) => u.toUpperCase()),
    );
  if (s.format === 'date-time') {
    return fc
      .date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('2200-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  }
  const fits = lengthFits(s);
  if (s.pattern !== undefined) return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Number.POSITIVE_INFINITY;
  const cap = Math.min(max, Math.max(min + 24, 48));
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: cap }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: cap }).filter(fits) },
  ];
  if (Number.isFinite(max) && max > 0) options.push({ weight: 1, arbitrary: fc.constant('m'.repeat(max)) });
  // Cross-shrinking lets a failing long string shrink to a short one.
  return fc.oneof({ withCrossShrink: true }, ...options);
}

function integerArbitrary(s: JsonSchema): fc.Arbitrary<number> {
  const lo = Math.ceil(s.minimum ?? (s.exclusiveMinimum === undefined ? -1_000_000 : s.exclusiveMinimum + 1));
  const hi = Math.floor(s.maximum ?? (s.exclusiveMaximum === undefined ? 1_000_000 : s.exclusiveMaximum - 1));
  const low = Math.max(lo, Number.MIN_SAFE_INTEGER);
  const high = Math.min(hi, Number.MAX_SAFE_INTEGER);
  return fc.oneof(
    { weight: 3, arbitrary: fc.bigInt(BigInt(low), BigInt(Math.min(high, low + 10))).map(Number) },
    { weight: 1, arbitrary: fc.bigInt(BigInt(low), BigInt(high)).map(Number) },
    { weight: 1, arbitrary: fc.constantFrom(low, high) },
  );
}

function numberArbitrary(s: JsonSchema): fc.Arbitrary<number> {
  const min = s.minimum ?? s.exclusiveMinimum ?? -1e9;
  const max = s.maximum ?? s.exclusiveMaximum ?? 1e9;
  return fc
    .double({ min, max, noNaN: true, noDefaultInfinity: true })
    .filter(
      (x) =>
        (s.exclusiveMinimum === undefined || x > s.exclusiveMinimum) &&
        (s.exclusiveMaximum === undefined || x < s.exclusiveMaximum),
    );
}

/** Keys for a record (`additionalProperties` schema): mostly from `propertyNames`, often prototype keys. */
function recordKeyArbitrary(s: JsonSchema, root: RefRoot): fc.Arbitrary<string> {
  const names = s.propertyNames ? resolveSchema(s.propertyNames, root) : undefined;
  const base = names ? (validValue(names, root) as fc.Arbitrary<string>) : fc.string({ maxLength: 16 });
  const matches = (k: string) =>
    !names || ((names.pattern === undefined || new RegExp(names.pattern).test(k)) && lengthFits(names)(k));
  const prototypeKeys = PROTOTYPE_KEYS.filter(matches);
  if (prototypeKeys.length === 0) return base;
  return fc.oneof(
    { weight: 2, arbitrary: base },
    { weight: 1, arbitrary: fc.constantFrom(...prototypeKeys) },
  );
}

function objectArbitrary(s: JsonSchema, root: RefRoot, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.entries(s.properties ?? {});
  const required = new Set(s.required ?? []);
  const known = fc.tuple(
    ...properties.map(([name, schema]) => {
      const value = validValue(schema, root, depth + 1).map((v) => [name, v] as const);
      // Optional properties are present three times out of four.
      return required.has(name)
        ? value
        : fc.oneof({ weight: 3, arbitrary: value }, { weight: 1, arbitrary: fc.constant(undefined) });
    }),
  );
  const extra =
    typeof s.additionalProperties === 'object' && depth < 4
      ? fc.uniqueArray(
          fc.tuple(recordKeyArbitrary(s, root), validValue(s.additionalProperties, root, depth + 1)),
          { selector: ([k]) => k, maxLength: 5 },
        )
      : fc.constant([] as [string, unknown][]);
  return fc.tuple(known, extra).map(([entries, more]) => {
    let out: Record<string, unknown> = {};
    for (const entry of entries) if (entry) out = withKey(out, entry[0], entry[1]);
    for (const [k, v] of more) if (!(k in (s.properties ?? {}))) out = withKey(out, k, v);
    return out;
  });
}

/** Values the schema accepts. */
export function validValue(schema: JsonSchema, root: RefRoot, depth = 0): fc.Arbitrary<unknown> {
  const s = resolveSchema(schema, root);
  if ('const' in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives && alternatives.length > 0) {
    return fc.oneof(...alternatives.map((a) => validValue(a, root, depth + 1)));
  }
  if (s.allOf && s.allOf.length > 0) {
    const parts = s.allOf.map((p) => resolveSchema(p, root));
    const { allOf: _parts, ...rest } = s;
    let merged: JsonSchema = rest;
    for (const p of parts) {
      merged = {
        ...merged,
        ...p,
        properties: { ...merged.properties, ...p.properties },
        required: [...(merged.required ?? []), ...(p.required ?? [])],
      };
    }
    return validValue(merged, root, depth);
  }
  const types = typesOf(s);
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'string':
          return stringArbitrary(s);
        case 'integer':
          return integerArbitrary(s);
        case 'number':
          return numberArbitrary(s);
        case 'boolean':
          return fc.boolean();
        case 'null':
          return fc.constant(null);
        case 'array': {
          const minLength = s.minItems ?? 0;
          const maxLength = Math.min(s.maxItems ?? minLength + 4, minLength + 6);
          return fc.array(s.items ? validValue(s.items, root, depth + 1) : fc.jsonValue({ maxDepth: 1 }), {
            minLength,
            maxLength,
          });
        }
        case 'object':
          return objectArbitrary(s, root, depth);
        default:
          return fc.jsonValue({ maxDepth: 2 });
      }
    }),
  );
}

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** A JSON value of another JSON type than `value` has. */
const wrongType = (value: unknown): fc.Arbitrary<unknown> =>
  fc
    .oneof(
      fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, '', 'x', [], {}, ['x'], { a: 1 }),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .filter((v) => jsonType(v) !== jsonType(value));

/** Strings that stress a string field: too long, huge, empty, control characters, odd Unicode. */
const stringEdges = (s: JsonSchema): fc.Arbitrary<unknown> => {
  const options: fc.Arbitrary<string>[] = [
    fc.integer({ min: HUGE_MIN, max: HUGE_MAX }).map((n) => 'h'.repeat(n)),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\ud800',
      '\u202e',
      '𝄞'.repeat(40),
      'a\nb',
      '../../etc/passwd',
      '{{x}}',
    ),
  ];
  if (s.maxLength !== undefined) options.push(fc.constant('o'.repeat(s.maxLength + 1)));
  if (s.minLength !== undefined && s.minLength > 0) options.push(fc.constant('u'.repeat(s.minLength - 1)));
  return fc.oneof(...options);
};

const numberEdges = (s: JsonSchema): fc.Arbitrary<unknown> => {
  const edges: number[] = [0, -1, 0.5, -0.5, 1e308, -1e308, 2 ** 53, -(2 ** 53), 2 ** 31, -0];
  if (s.minimum !== undefined) edges.push(s.minimum - 1, s.minimum - 0.5);
  if (s.maximum !== undefined) edges.push(s.maximum + 1, s.maximum + 0.5);
  return fc.constantFrom(...edges);
};

/**
 * `value` with two to four prototype keys added to every record in it (an
 * object whose `additionalProperties` is a schema) whose key schema allows
 * them: still a valid value, but one that trips code using `obj[key]` lookups
 * or `{}` as a map.
 */
export function withPrototypeKeys(schema: JsonSchema, value: unknown, root: RefRoot): fc.Arbitrary<unknown> {
  const s = resolveSchema(schema, root);
  if (Array.isArray(value)) {
    return fc.tuple(...value.map((v) => withPrototypeKeys(s.items ?? {}, v, root)));
  }
  if (typeof value !== 'object' || value === null) return fc.constant(value);
  const record = value as Record<string, unknown>;
  const children = fc
    .tuple(
      ...Object.entries(record).map(([k, v]) =>
        withPrototypeKeys(
          s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : {}),
          v,
          root,
        ).map((nv) => [k, nv] as const),
      ),
    )
    .map((entries) => entries.reduce<Record<string, unknown>>((acc, [k, v]) => withKey(acc, k, v), {}));
  if (typeof s.additionalProperties !== 'object') return children;
  const names = s.propertyNames ? resolveSchema(s.propertyNames, root) : undefined;
  const allowed = PROTOTYPE_KEYS.filter(
    (k) =>
      !names || ((names.pattern === undefined || new RegExp(names.pattern).test(k)) && lengthFits(names)(k)),
  );
  if (allowed.length === 0) return children;
  const additional = s.additionalProperties;
  return fc
    .tuple(
      children,
      fc.uniqueArray(fc.tuple(fc.constantFrom(...allowed), validValue(additional, root)), {
        selector: ([k]) => k,
        minLength: Math.min(2, allowed.length),
        maxLength: 4,
      }),
    )
    .map(([base, extra]) => extra.reduce((acc, [k, v]) => withKey(acc, k, v), base));
}

/** `value` (valid for `schema`) with one thing broken, or left alone. */
export function mutate(schema: JsonSchema, value: unknown, root: RefRoot, depth = 0): fc.Arbitrary<unknown> {
  const s = resolveSchema(schema, root);
  const options: fc.WeightedArbitrary<unknown>[] = [
    { weight: depth === 0 ? 4 : 1, arbitrary: fc.constant(value) },
    { weight: 1, arbitrary: wrongType(value) },
    { weight: 1, arbitrary: fc.integer({ min: 64, max: 6000 }).map(deepMarker) },
  ];
  if (depth === 0) options.push({ weight: 5, arbitrary: withPrototypeKeys(s, value, root) });
  if (typeof value === 'string') options.push({ weight: 2, arbitrary: stringEdges(s) });
  if (typeof value === 'number') options.push({ weight: 2, arbitrary: numberEdges(s) });
  if (Array.isArray(value)) {
    const items = s.items ?? {};
    options.push(
      { weight: 1, arbitrary: fc.constant([]) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: (s.maxItems ?? 50) + 1, max: (s.maxItems ?? 50) + 40 })
          .chain((n) => fc.array(validValue(items, root, depth + 1), { minLength: n, maxLength: n })),
      },
    );
    if (value.length > 0) {
      options.push({
        weight: 2,
        arbitrary: fc
          .nat(value.length - 1)
          .chain((i) =>
            mutate(items, value[i], root, depth + 1).map((v) => value.map((old, j) => (j === i ? v : old))),
          ),
      });
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    const childSchema = (k: string): JsonSchema =>
      s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : {});
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom(...PROTOTYPE_KEYS),
            fc.string({ maxLength: 12 }),
            fc.constantFrom(...Object.keys(s.properties ?? { x: 0 })).map((k) => `${k} `),
          ),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .map(([k, v]) => withKey(record, k, v)),
    });
    for (const missing of s.required ?? []) {
      if (keys.includes(missing))
        options.push({ weight: 1, arbitrary: fc.constant(without(record, missing)) });
    }
    if (keys.length > 0 && depth < 4) {
      options.push({
        weight: 4,
        arbitrary: fc
          .constantFrom(...keys)
          .chain((k) => mutate(childSchema(k), record[k], root, depth + 1).map((v) => withKey(record, k, v))),
      });
    }
    if (typeof s.additionalProperties === 'object') {
      // Too many entries for a record.
      options.push({
        weight: 1,
        arbitrary: fc
          .integer({ min: 21, max: 40 })
          .map((n) =>
            Array.from({ length: n }, (_, i) => `k${i}`).reduce((acc, k) => withKey(acc, k, 'v'), record),
          ),
      });
    }
  }
  return fc.oneof(...options);
}

/** A valid value with (usually) one thing broken. */
export const mutatedValue = (schema: JsonSchema, root: RefRoot): fc.Arbitrary<unknown> =>
  validValue(schema, root).chain((v) => mutate(schema, v, root));
