import { z } from 'zod';
import { receiptSchema } from '../core/receipt';
import { ROLES } from '../core/roles';

/**
 * Request and response shapes. These zod schemas are the single source of
 * truth: they validate requests in the handlers, type the handlers' inputs,
 * and generate both the OpenAPI document and API Gateway's request models.
 */

export const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 digest: 64 hexadecimal characters')
  .transform((s) => s.toLowerCase())
  .meta({
    description: 'SHA-256 of the document, 64 hex characters',
    example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  });

export const username = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/, 'must be 3 to 64 letters, digits, dots, dashes or underscores')
  .transform((s) => s.toLowerCase());

const secret = (max: number) => z.string().min(1).max(max);

const otpCode = z.string().regex(/^\d{6}$/, 'must be the 6-digit code from the authenticator app');

export const loginRequest = z.strictObject({
  username: z.string().min(1).max(64),
  password: secret(1024),
  otp: otpCode.optional(),
});

export const loginResponse = z.object({
  accessToken: z.string(),
  refreshToken: z.string().meta({ description: 'single use: each refresh returns a new one' }),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().meta({ description: 'seconds until the access token expires' }),
  mustChangePassword: z.boolean(),
});

export const refreshRequest = z.strictObject({ refreshToken: z.string().min(1).max(256) });

export const otpSetupResponse = z.object({
  secret: z.string().meta({ description: 'base32 TOTP secret, shown once' }),
  otpauthUri: z.string(),
});

export const otpSetupRequest = z.strictObject({ currentPassword: secret(1024) });

export const otpConfirmRequest = z.strictObject({ otp: otpCode });

export const changePasswordRequest = z.strictObject({
  currentPassword: secret(1024),
  newPassword: secret(1024),
});

export const role = z.enum(ROLES);

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
  roles: z.array(role).min(1).max(ROLES.length),
});

export const createUserResponse = z.object({
  user: userView,
  temporaryPassword: z.string().meta({ description: 'shown once; the user must change it at first login' }),
});

export const updateUserRequest = z.strictObject({ roles: z.array(role).min(1).max(ROLES.length) });

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(2048).optional(),
});

export const userList = z.object({ items: z.array(userView), nextCursor: z.string().optional() });

export const idParams = z.strictObject({ id: z.uuid() });

/** Names an object inherits in JavaScript: as map keys they confuse code that reads maps as objects. */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const metadataKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys are 1 to 64 letters, digits, dots, dashes or underscores')
  .refine((k) => !RESERVED_KEYS.has(k), { message: 'this key is reserved', abort: true });

export const notarizeRequest = z.strictObject({
  sha256: sha256Hex,
  name: z.string().min(1).max(255).optional(),
  metadata: z
    .record(metadataKey, z.string().max(1024))
    .refine((m) => Object.keys(m).length <= 20, 'at most 20 entries')
    // A map without a prototype: no key can ever resolve to an inherited member.
    .transform((m) => Object.assign(Object.create(null) as Record<string, string>, m))
    .optional(),
});

export const notarization = z.object({
  id: z.uuid(),
  sha256: z.string(),
  receivedAt: z.iso.datetime(),
  status: z.enum(['pending', 'sealed']),
  owner: z.string(),
  name: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  logIndex: z.number().int().optional(),
});

export const receiptResponse = receiptSchema.meta({
  description: 'Checkable offline with the document and the log verifier key (see README, "Receipts")',
});

export const textBody = z.string();

export const pendingResponse = z.object({ status: z.literal('pending') });

export const consistencyQuery = z
  .strictObject({
    from: z.coerce.number().int().min(1),
    to: z.coerce.number().int().min(1),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not exceed to', path: ['from'] });

export const consistencyResponse = z.object({
  from: z.number().int(),
  to: z.number().int(),
  proof: z.array(z.string()),
});

export const logKeyResponse = z.object({
  origin: z.string(),
  verifierKey: z
    .string()
    .meta({ description: 'C2SP signed-note verifier key: name+hash+base64(0x01 ‖ key)' }),
  algorithm: z.literal('Ed25519'),
  publicKey: z.string().meta({ description: 'raw 32-byte Ed25519 public key, base64' }),
});

export const notarizationList = z.object({ items: z.array(notarization), nextCursor: z.string().optional() });

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
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
