import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { fileNameProblem, MAX_NAME_BYTES } from '../core/file-names';
import { receiptSchema } from '../core/receipt';
import { ROLES } from '../core/roles';
import { WEBHOOK_EVENT_TYPES } from '../ports/webhooks';

/**
 * Request and response shapes. These zod schemas are the single source of
 * truth: they validate requests in the handlers, type the handlers' inputs,
 * and generate both the OpenAPI document and API Gateway's request models.
 *
 * Written with zod/mini: its functional API is tree-shakable, so a function
 * bundle carries a few KB of zod instead of the ~450 KB of the classic API.
 * Each schema is built the way classic zod builds it (`.int()` is the `int`
 * format as a check, `.transform(f)` a pipe into `transform(f)`, `.meta(m)` a
 * clone registered in the global registry), so validation, error messages and
 * generated JSON Schema are the same.
 */

// zod/mini's only built-in message is "Invalid input"; the English locale that
// classic zod installs is part of this API's problem details (`errors[].message`).
// Like classic zod, install it unless a locale is already configured.
if (!z.config().localeError) z.config(en());

/** Classic `.meta(m)`: a copy of the schema with `m` in the global registry (read by toJSONSchema). */
const meta = <T extends z.ZodMiniType>(schema: T, metadata: z.core.GlobalMeta): T => {
  const copy = schema.clone();
  z.globalRegistry.add(copy as z.ZodMiniType, metadata);
  return copy;
};

/** Classic `z.number().int()`. */
const integer = () => z.number().check(z.int());

/** Classic `z.string().min(min).max(max)`. */
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

export const sha256Hex = meta(
  z.pipe(
    z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 digest: 64 hexadecimal characters')),
    z.transform((s: string) => s.toLowerCase()),
  ),
  {
    description: 'SHA-256 of the document, 64 hex characters',
    example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
);

export const username = z.pipe(
  z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/,
        'must be 3 to 64 letters, digits, dots, dashes or underscores',
      ),
    ),
  z.transform((s: string) => s.toLowerCase()),
);

const secret = (max: number) => text(1, max);

const otpCode = z.string().check(z.regex(/^\d{6}$/, 'must be the 6-digit code from the authenticator app'));

export const loginRequest = z.strictObject({
  username: text(1, 64),
  password: secret(1024),
  otp: z.optional(otpCode),
  refreshTokenDelivery: z.optional(
    meta(z.enum(['body', 'cookie']), {
      description:
        '`cookie` (browsers): the refresh token comes as an HttpOnly, Secure, SameSite=Strict cookie scoped to /v1/auth/refresh, not in the body',
    }),
  ),
});

export const loginResponse = z.object({
  accessToken: z.string(),
  refreshToken: z.optional(
    meta(z.string(), {
      description: 'single use: each refresh returns a new one; absent when it is delivered as a cookie',
    }),
  ),
  tokenType: z.literal('Bearer'),
  expiresIn: meta(integer(), { description: 'seconds until the access token expires' }),
  mustChangePassword: z.boolean(),
});

export const refreshRequest = z.strictObject({
  refreshToken: z.optional(
    meta(text(1, 256), {
      description: 'omit it to refresh from the cookie, with the header `X-Stempel-Refresh: cookie`',
    }),
  ),
});

export const otpSetupResponse = z.object({
  secret: meta(z.string(), { description: 'base32 TOTP secret, shown once' }),
  otpauthUri: z.string(),
});

export const otpSetupRequest = z.strictObject({ currentPassword: secret(1024) });

export const otpConfirmRequest = z.strictObject({ otp: otpCode });

export const changePasswordRequest = z.strictObject({
  currentPassword: secret(1024),
  newPassword: secret(1024),
});

export const role = z.enum(ROLES);

const roleList = () => z.array(role).check(z.minLength(1), z.maxLength(ROLES.length));

export const userView = z.object({
  id: z.uuid(),
  username: z.string(),
  roles: z.array(role),
  mustChangePassword: z.boolean(),
  disabled: z.boolean(),
  otpEnabled: z.boolean(),
  createdAt: z.iso.datetime(),
});

export const meResponse = userView;

export const createUserRequest = z.strictObject({
  username,
  roles: roleList(),
});

export const createUserResponse = z.object({
  user: userView,
  temporaryPassword: meta(z.string(), {
    description: 'shown once; the user must change it at first login',
  }),
});

export const updateUserRequest = z.strictObject({ roles: roleList() });

export const listQuery = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 25),
  cursor: z.optional(text(1, 2048)),
});

export const userList = z.object({ items: z.array(userView), nextCursor: z.optional(z.string()) });

export const idParams = z.strictObject({ id: z.uuid() });

/** Names an object inherits in JavaScript: as map keys they confuse code that reads maps as objects. */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const metadataKey = z.string().check(
  z.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys are 1 to 64 letters, digits, dots, dashes or underscores'),
  z.refine((k: string) => !RESERVED_KEYS.has(k), { message: 'this key is reserved', abort: true }),
);

/** A file name as metadata: shown back and put in Content-Disposition, never in a path or key. */
export const fileName = meta(
  z.string().check(
    z.superRefine((name: string, ctx) => {
      const problem = fileNameProblem(name);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: name });
    }),
  ),
  {
    description: `The document's file name: at most ${MAX_NAME_BYTES} bytes, no control characters or path separators`,
  },
);

const notarizationMetadata = z.optional(
  z.pipe(
    z
      .record(metadataKey, z.string().check(z.maxLength(1024)))
      .check(z.refine((m: Record<string, string>) => Object.keys(m).length <= 20, 'at most 20 entries')),
    // A map without a prototype: no key can ever resolve to an inherited member.
    z.transform((m: Record<string, string>) =>
      Object.assign(Object.create(null) as Record<string, string>, m),
    ),
  ),
);

export const notarizeRequest = meta(
  z
    .strictObject({
      sha256: z.optional(sha256Hex),
      uploadId: z.optional(
        meta(z.uuid(), { description: 'Notarize this upload (POST /v1/uploads) once its bytes are checked' }),
      ),
      name: z.optional(fileName),
      metadata: z.optional(notarizationMetadata),
    })
    .check(
      z.refine(
        (r: { sha256?: string; uploadId?: string }) => r.sha256 !== undefined || r.uploadId !== undefined,
        {
          message: 'give sha256, or uploadId of an upload',
          path: ['sha256'],
        },
      ),
      z.refine(
        (r: { uploadId?: string; name?: string }) => r.uploadId === undefined || r.name === undefined,
        {
          message: "an upload's name is the one declared with the upload",
          path: ['name'],
        },
      ),
    ),
  // The refinements above, for OpenAPI readers: a hash, or an upload (whose name was declared with it).
  { anyOf: [{ required: ['sha256'] }, { required: ['uploadId'], not: { required: ['name'] } }] },
);

export const uploadRequest = z.strictObject({
  sha256: sha256Hex,
  size: meta(z.number().check(z.int(), z.minimum(0), z.maximum(5 * 2 ** 40)), {
    description: 'Exact size of the document in bytes',
  }),
  name: z.optional(fileName),
  contentType: z.optional(
    meta(text(1, 255), {
      description: 'Served with downloads if on the allow-list (README), else application/octet-stream',
    }),
  ),
});

const signedHeaders = meta(z.record(z.string(), z.string()), {
  description: 'Send exactly these headers with the request (they include the SSE-C key of this one file)',
});

export const uploadResponse = z.object({
  uploadId: z.uuid(),
  kind: z.enum(['single', 'multipart']),
  expiresAt: z.iso.datetime(),
  method: z.literal('PUT'),
  headers: signedHeaders,
  url: z.optional(meta(z.string(), { description: 'single: the presigned PUT' })),
  partSize: z.optional(meta(integer(), { description: 'multipart: every part but the last has this size' })),
  parts: z.optional(z.array(z.object({ partNumber: integer(), url: z.string() }))),
});

export const verifyingResponse = z.object({ uploadId: z.uuid(), status: z.literal('verifying') });

export const downloadResponse = z.object({
  url: z.string(),
  method: z.literal('GET'),
  headers: signedHeaders,
  expiresAt: z.iso.datetime(),
  name: z.optional(z.string()),
  contentType: z.string(),
  size: integer(),
});

export const notarization = z.object({
  id: z.uuid(),
  sha256: z.string(),
  receivedAt: z.iso.datetime(),
  status: meta(z.enum(['pending', 'sealed', 'quarantined']), {
    description: '`quarantined`: never sealed, its recorded time was out of range (see `quarantine`)',
  }),
  owner: z.string(),
  name: z.optional(z.string()),
  metadata: z.optional(z.record(z.string(), z.string())),
  file: z.optional(z.object({ size: integer(), contentType: z.string() })),
  logIndex: z.optional(integer()),
  sealedAt: z.optional(z.iso.datetime()),
  quarantine: z.optional(z.object({ reason: z.string(), at: z.iso.datetime() })),
  timestamp: meta(z.optional(z.object({ serial: z.string() })), {
    description: "On the log entry of an RFC 3161 token: `sha256` is the token's, `receivedAt` its genTime",
  }),
  timestampId: meta(z.optional(z.uuid()), {
    description: "The log entry of this document's RFC 3161 token, once GET …/timestamp issued one",
  }),
});

export const receiptResponse = meta(receiptSchema, {
  description: 'Checkable offline with the document and the log verifier key (see README, "Receipts")',
});

export const textBody = z.string();

export const tileParams = z.strictObject({
  path: meta(z.string().check(z.maxLength(64)), {
    description:
      'after `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, N in x-prefixed groups of three digits',
  }),
});

export const pendingResponse = z.object({ status: z.literal('pending') });

export const consistencyQuery = z
  .strictObject({
    from: z.coerce.number().check(z.int(), z.minimum(1)),
    to: z.coerce.number().check(z.int(), z.minimum(1)),
  })
  .check(
    z.refine((q: { from: number; to: number }) => q.from <= q.to, {
      message: 'from must not exceed to',
      path: ['from'],
    }),
  );

export const consistencyResponse = z.object({
  from: integer(),
  to: integer(),
  proof: z.array(z.string()),
});

export const logKeyResponse = z.object({
  origin: z.string(),
  verifierKey: meta(z.string(), {
    description: 'C2SP signed-note verifier key: name+hash+base64(0x01 ‖ key)',
  }),
  algorithm: z.literal('Ed25519'),
  publicKey: meta(z.string(), { description: 'raw 32-byte Ed25519 public key, base64' }),
});

export const notarizationList = z.object({
  items: z.array(notarization),
  nextCursor: z.optional(z.string()),
});

export const verifyRequest = z.strictObject({ sha256: sha256Hex });

export const verifyResponse = z.object({
  sha256: z.string(),
  notarized: z.boolean(),
  notarizations: z.array(
    z.object({ id: z.uuid(), receivedAt: z.iso.datetime(), status: z.enum(['pending', 'sealed']) }),
  ),
});

export const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), z.enum(['ok', 'failing'])),
});

export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: integer(),
  detail: z.string(),
  code: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

export const auditQuery = z.strictObject({
  from: z.optional(meta(z.iso.datetime(), { description: 'inclusive; default: 7 days before `to`' })),
  to: z.optional(meta(z.iso.datetime(), { description: 'inclusive; default: now' })),
  actor: z.optional(text(1, 64)),
  action: z.optional(
    z.string().check(z.regex(/^[a-z_]{1,32}(\.[a-z_]{1,32}){0,3}$/, 'an action like auth.login')),
  ),
  target: z.optional(text(1, 128)),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 25),
  cursor: z.optional(text(1, 2048)),
  proofs: z.optional(
    meta(z.enum(['true', 'false']), { description: "add each sealed event's audit log receipt" }),
  ),
});

const auditEventView = z.object({
  id: z.uuid(),
  at: z.iso.datetime(),
  action: z.string(),
  actor: z.string(),
  target: z.string(),
  outcome: z.enum(['success', 'failure']),
  reason: z.optional(z.string()),
  changes: z.optional(z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() }))),
  requestId: z.string(),
  personal: z.optional(
    meta(
      z.object({
        sourceIp: z.optional(z.string()),
        userAgent: z.optional(z.string()),
        usernames: z.optional(z.array(z.string())),
      }),
      { description: 'personal data: absent once erased' },
    ),
  ),
  personalHash: meta(z.string(), { description: 'what the log commits to: SHA-256(salt ‖ JCS(personal))' }),
  entry: meta(z.string(), { description: 'the audit log leaf (RFC 8785 JSON)' }),
  logIndex: z.optional(integer()),
  sealedAt: z.optional(z.iso.datetime()),
  erasedAt: z.optional(meta(z.iso.datetime(), { description: 'when its personal fields were erased' })),
  receipt: z.optional(receiptSchema),
});

export const auditEventList = z.object({
  items: z.array(auditEventView),
  nextCursor: z.optional(z.string()),
});

export const auditErasureRequest = z.strictObject({ userId: z.uuid() });
export const auditErasureResponse = z.object({ userId: z.uuid(), erased: integer() });

export const kpiQuery = z.strictObject({
  from: meta(z.iso.datetime(), { description: 'inclusive; its period is the first' }),
  to: meta(z.iso.datetime(), { description: 'inclusive; its period is the last' }),
  granularity: z._default(z.enum(['day', 'week', 'month']), 'day'),
});

const kpiCounts = {
  notarizations: z.number(),
  verifications: z.number(),
  receiptsFetched: z.number(),
  logins: z.number(),
  loginFailures: z.number(),
};

export const kpiReport = z.object({
  granularity: z.enum(['day', 'week', 'month']),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  periods: z.array(
    z.object({
      period: meta(z.string(), { description: '2026-11-27, 2026-W48 (ISO week) or 2026-11, in UTC' }),
      ...kpiCounts,
      activeUsers: z.number(),
      users: z.number(),
      usersWith2fa: z.number(),
      twoFactorAdoptionPercent: z.number(),
    }),
  ),
  byUser: z.array(z.object({ period: z.string(), userId: z.uuid(), ...kpiCounts })),
});

export const notarizationsReportQuery = z.strictObject({
  owner: z.optional(meta(z.uuid(), { description: "only this user's notarizations" })),
  from: meta(z.iso.datetime(), { description: 'received at or after' }),
  to: meta(z.iso.datetime(), { description: 'received at or before; at most 366 days after `from`' }),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(10_000)), 1000),
  cursor: z.optional(text(1, 2048)),
});

export const userExport = z.object({
  exportedAt: z.iso.datetime(),
  user: z.object({
    id: z.uuid(),
    username: z.string(),
    roles: z.array(z.string()),
    mustChangePassword: z.boolean(),
    disabled: z.boolean(),
    otpEnabled: z.boolean(),
    otpPending: z.boolean(),
    hasPassword: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    sessions: z.array(
      z.object({
        id: z.uuid(),
        createdAt: z.iso.datetime(),
        idleExpiresAt: z.iso.datetime(),
        absoluteExpiresAt: z.iso.datetime(),
      }),
    ),
  }),
  notarizations: z.array(z.record(z.string(), z.unknown())),
  notarizationsTruncated: meta(z.boolean(), {
    description: 'more than 10,000: the notarizations CSV report with `owner` has them all',
  }),
  auditEvents: z.array(z.record(z.string(), z.unknown())),
});

export const userErasure = z.object({
  userId: z.uuid(),
  erasedAt: z.iso.datetime(),
  fileKeyDestroyed: z.boolean(),
  notarizationDetailsErased: z.number(),
  auditEventsErased: z.number(),
});

export const webhookEventType = z.enum(WEBHOOK_EVENT_TYPES);

export const createWebhookRequest = z.strictObject({
  url: meta(text(9, 2048), {
    description: 'https only; the host must resolve to public addresses only (docs/webhooks.md)',
  }),
  events: z.array(webhookEventType).check(z.minLength(1), z.maxLength(WEBHOOK_EVENT_TYPES.length)),
  description: z.optional(text(1, 200)),
});

export const updateWebhookRequest = z.strictObject({ enabled: z.boolean() });

export const webhookView = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(webhookEventType),
  enabled: z.boolean(),
  description: z.optional(z.string()),
  createdAt: z.iso.datetime(),
  delivery: z.object({
    lastStatus: z.optional(z.enum(['delivered', 'failed'])),
    attempts: integer(),
    lastErrorCode: z.optional(z.string()),
    lastAttemptAt: z.optional(z.iso.datetime()),
    lastDeliveredAt: z.optional(z.iso.datetime()),
  }),
});

export const createWebhookResponse = z.object({
  webhook: webhookView,
  secret: meta(z.string(), {
    description: 'Standard Webhooks signing secret (`whsec_<base64>`), shown once',
  }),
});

export const webhookList = z.object({ items: z.array(webhookView) });
