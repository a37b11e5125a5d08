import type * as z from 'zod/mini';
import type { Role } from '../core/roles';
import * as s from './schemas';

/** Lambda functions, one per route group; each has an entry file functions/<group>.ts. */
export const FUNCTION_GROUPS = [
  'auth',
  'users',
  'notarizations',
  'log',
  'tsa',
  'audit',
  'reports',
  'privacy',
  'webhooks',
  'public',
] as const;
export type FunctionGroup = (typeof FUNCTION_GROUPS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResponseDefinition {
  readonly description: string;
  readonly schema?: z.ZodMiniType;
  /** Defaults to application/json. */
  readonly contentType?: string;
}

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  readonly path: string;
  readonly group: FunctionGroup;
  /** `public`: no token; `signed-in`: any valid token; otherwise the caller needs one of these roles. */
  readonly access: 'public' | 'signed-in' | readonly Role[];
  /** Whether a user who must change their password may still call it. */
  readonly duringPasswordChange?: boolean;
  readonly summary: string;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly params?: z.ZodMiniType;
  /**
   * Also (`also`) or only (`only`) on the binary API, which passes every body
   * through as bytes whatever the Accept header: the C2SP tlog-tiles and the
   * RFC 3161 routes.
   */
  readonly binary?: 'also' | 'only';
  /** The body is bytes of this media type (the handler gets them as they are), not JSON. */
  readonly rawBody?: { readonly contentType: string };
  /**
   * Each call writes an audit event with this action (docs/audit.md); its
   * target is `<target>:<path id>` unless the operation names one.
   */
  readonly audit?: { readonly action: string; readonly target?: 'user' | 'notarization' | 'webhook' };
  readonly responses: Readonly<Record<number, ResponseDefinition>>;
}

export const CSV = 'text/csv; charset=utf-8; header=present';

export const TIMESTAMP_QUERY = 'application/timestamp-query';
export const TIMESTAMP_REPLY = 'application/timestamp-reply';
export const CERTIFICATE_PDF = 'application/pdf';

const route = <const R extends RouteDefinition>(r: R): R => r;

/** An RFC 9457 problem answer, documented. */
const problem = (description: string): ResponseDefinition => ({
  description,
  schema: s.problem,
  contentType: 'application/problem+json',
});

/**
 * Every route of the API, in one table: the handlers dispatch and authorize
 * from it, the local runtime routes from it, the CDK stack builds API Gateway
 * resources from it, and the OpenAPI document is generated from it.
 */
export const routes = {
  login: route({
    method: 'POST',
    path: '/v1/auth/login',
    group: 'auth',
    audit: { action: 'auth.login' },
    access: 'public',
    summary: 'Exchange username and password for an access token',
    body: s.loginRequest,
    responses: { 200: { description: 'Signed in', schema: s.loginResponse } },
  }),
  refresh: route({
    method: 'POST',
    path: '/v1/auth/refresh',
    group: 'auth',
    audit: { action: 'auth.refresh' },
    access: 'public',
    summary: 'Exchange a refresh token for a new token pair (the old refresh token is spent)',
    body: s.refreshRequest,
    responses: { 200: { description: 'New token pair', schema: s.loginResponse } },
  }),
  logout: route({
    method: 'POST',
    path: '/v1/auth/logout',
    group: 'auth',
    audit: { action: 'auth.logout' },
    access: 'signed-in',
    duringPasswordChange: true,
    summary: 'Revoke this access token and its whole session',
    responses: { 204: { description: 'Signed out' } },
  }),
  otpSetup: route({
    method: 'POST',
    path: '/v1/auth/otp/setup',
    group: 'auth',
    audit: { action: 'auth.otp_setup' },
    access: 'signed-in',
    summary: 'Start TOTP enrolment (re-enter your password): a new secret and otpauth URI',
    body: s.otpSetupRequest,
    responses: { 200: { description: 'Secret to scan', schema: s.otpSetupResponse } },
  }),
  otpConfirm: route({
    method: 'POST',
    path: '/v1/auth/otp/confirm',
    group: 'auth',
    audit: { action: 'auth.otp_confirm' },
    access: 'signed-in',
    summary: 'Finish TOTP enrolment with a code from the app; login then needs `otp`',
    body: s.otpConfirmRequest,
    responses: { 204: { description: 'Two-factor authentication is on' } },
  }),
  changePassword: route({
    method: 'POST',
    path: '/v1/auth/password',
    group: 'auth',
    audit: { action: 'auth.password_change' },
    access: 'signed-in',
    duringPasswordChange: true,
    summary: 'Change your own password',
    body: s.changePasswordRequest,
    responses: { 204: { description: 'Password changed' } },
  }),
  me: route({
    method: 'GET',
    path: '/v1/me',
    group: 'auth',
    access: 'signed-in',
    duringPasswordChange: true,
    summary: 'Who am I',
    responses: { 200: { description: 'The signed-in user', schema: s.meResponse } },
  }),
  createUser: route({
    method: 'POST',
    path: '/v1/admin/users',
    group: 'users',
    audit: { action: 'user.create' },
    access: ['admin'],
    summary: 'Create a user with a temporary password',
    body: s.createUserRequest,
    responses: { 201: { description: 'Created', schema: s.createUserResponse } },
  }),
  listUsers: route({
    method: 'GET',
    path: '/v1/admin/users',
    group: 'users',
    audit: { action: 'user.list' },
    access: ['admin'],
    summary: 'List users by username',
    query: s.listQuery,
    responses: { 200: { description: 'One page of users', schema: s.userList } },
  }),
  getUser: route({
    method: 'GET',
    path: '/v1/admin/users/{id}',
    group: 'users',
    audit: { action: 'user.get', target: 'user' },
    access: ['admin'],
    summary: 'Get one user',
    params: s.idParams,
    responses: { 200: { description: 'The user', schema: s.userView } },
  }),
  updateUser: route({
    method: 'PATCH',
    path: '/v1/admin/users/{id}',
    group: 'users',
    audit: { action: 'user.update_roles', target: 'user' },
    access: ['admin'],
    summary: "Replace a user's roles",
    params: s.idParams,
    body: s.updateUserRequest,
    responses: { 200: { description: 'The user', schema: s.userView } },
  }),
  disableUser: route({
    method: 'POST',
    path: '/v1/admin/users/{id}/disable',
    group: 'users',
    audit: { action: 'user.disable', target: 'user' },
    access: ['admin'],
    summary: 'Disable a user and end all their sessions',
    params: s.idParams,
    responses: { 200: { description: 'The user', schema: s.userView } },
  }),
  enableUser: route({
    method: 'POST',
    path: '/v1/admin/users/{id}/enable',
    group: 'users',
    audit: { action: 'user.enable', target: 'user' },
    access: ['admin'],
    summary: 'Enable a disabled user',
    params: s.idParams,
    responses: { 200: { description: 'The user', schema: s.userView } },
  }),
  unlockUser: route({
    method: 'POST',
    path: '/v1/admin/users/{id}/unlock',
    group: 'users',
    audit: { action: 'user.unlock', target: 'user' },
    access: ['admin'],
    summary: 'Lift a login lockout',
    params: s.idParams,
    responses: { 204: { description: 'Unlocked' } },
  }),
  resetUserOtp: route({
    method: 'POST',
    path: '/v1/admin/users/{id}/otp/reset',
    group: 'users',
    audit: { action: 'user.otp_reset', target: 'user' },
    access: ['admin'],
    summary: "Turn off a user's two-factor authentication (lost device)",
    params: s.idParams,
    responses: { 200: { description: 'The user', schema: s.userView } },
  }),
  deleteUser: route({
    method: 'DELETE',
    path: '/v1/admin/users/{id}',
    group: 'users',
    audit: { action: 'user.delete', target: 'user' },
    access: ['admin'],
    summary: 'Delete a user (their notarizations stay, under an opaque id)',
    params: s.idParams,
    responses: { 204: { description: 'Deleted' } },
  }),
  notarize: route({
    method: 'POST',
    path: '/v1/notarizations',
    group: 'notarizations',
    audit: { action: 'notarization.create' },
    access: ['uploader'],
    summary: 'Notarize a document by its SHA-256, or an upload once its bytes are checked',
    body: s.notarizeRequest,
    responses: {
      201: { description: 'Accepted for the log', schema: s.notarization },
      200: {
        description: 'You notarized this hash before; the existing notarization',
        schema: s.notarization,
      },
      202: {
        description:
          'The upload is being read through to check its SHA-256 (multipart uploads); ask again with the same body for the outcome',
        schema: s.verifyingResponse,
      },
      404: problem('No such upload of yours (upload_not_found)'),
      409: problem('The upload was used (upload_used) or is being checked (upload_busy)'),
      410: problem('The upload expired (upload_expired)'),
      422: problem(
        'The stored bytes are not the declared ones (hash_mismatch, size_mismatch: deleted, nothing notarized), or parts are missing (upload_incomplete: upload them and retry)',
      ),
      503: problem('The log is catching up (code log_backpressure); retry after Retry-After'),
    },
  }),
  createUpload: route({
    method: 'POST',
    path: '/v1/uploads',
    group: 'notarizations',
    audit: { action: 'upload.create' },
    access: ['uploader'],
    summary: 'Start an upload: presigned requests that put the document straight into S3',
    body: s.uploadRequest,
    responses: {
      201: {
        description: 'Upload the bytes with these requests, then POST /v1/notarizations {uploadId}',
        schema: s.uploadResponse,
      },
      413: problem('Larger than the configured maximum (upload_too_large)'),
    },
  }),
  listNotarizations: route({
    method: 'GET',
    path: '/v1/notarizations',
    group: 'notarizations',
    audit: { action: 'notarization.list' },
    access: ['uploader', 'admin'],
    summary: 'Your notarizations, newest first (admins: all, unordered)',
    query: s.listQuery,
    responses: { 200: { description: 'One page', schema: s.notarizationList } },
  }),
  getNotarization: route({
    method: 'GET',
    path: '/v1/notarizations/{id}',
    group: 'notarizations',
    audit: { action: 'notarization.get', target: 'notarization' },
    access: ['uploader', 'verifier', 'admin'],
    summary: 'Get a notarization (owner, verifier or admin)',
    params: s.idParams,
    responses: { 200: { description: 'The notarization', schema: s.notarization } },
  }),
  getReceipt: route({
    method: 'GET',
    path: '/v1/notarizations/{id}/receipt',
    group: 'notarizations',
    audit: { action: 'notarization.receipt', target: 'notarization' },
    access: ['uploader', 'verifier', 'admin'],
    summary: 'The receipt of a sealed notarization (owner, verifier or admin)',
    params: s.idParams,
    responses: {
      200: { description: 'Sealed: the receipt', schema: s.receiptResponse },
      202: { description: 'Not in the log yet; try again shortly', schema: s.pendingResponse },
    },
  }),
  getCertificate: route({
    method: 'GET',
    path: '/v1/notarizations/{id}/certificate',
    group: 'notarizations',
    audit: { action: 'notarization.certificate', target: 'notarization' },
    access: ['uploader', 'verifier', 'admin'],
    // PDF bytes: on the binary API only (the main API would hand them out base64-encoded).
    binary: 'only',
    summary:
      'A one-page PDF certificate of a sealed notarization, with a QR code carrying its receipt (owner, verifier or admin)',
    params: s.idParams,
    responses: {
      200: { description: 'The certificate', contentType: CERTIFICATE_PDF },
      409: problem('Not in the log yet (not_sealed); try again shortly'),
    },
  }),
  getFile: route({
    method: 'GET',
    path: '/v1/notarizations/{id}/file',
    group: 'notarizations',
    audit: { action: 'notarization.file', target: 'notarization' },
    access: ['uploader', 'verifier', 'admin'],
    summary: 'A short-lived download of the notarized file (owner or admin; anyone else gets 404)',
    params: s.idParams,
    responses: {
      200: { description: 'Send this request to download the file', schema: s.downloadResponse },
      410: problem("The owner's files were erased (file_erased)"),
    },
  }),
  verify: route({
    method: 'POST',
    path: '/v1/verify',
    group: 'notarizations',
    audit: { action: 'notarization.verify' },
    access: ['verifier', 'admin'],
    summary: 'Was this hash notarized, and when?',
    body: s.verifyRequest,
    responses: { 200: { description: 'Verification result', schema: s.verifyResponse } },
  }),
  checkpoint: route({
    method: 'GET',
    path: '/v1/log/checkpoint',
    group: 'log',
    access: 'public',
    binary: 'also',
    summary: 'The latest signed checkpoint (C2SP tlog-checkpoint signed note)',
    responses: {
      200: { description: 'Signed note', contentType: 'text/plain; charset=utf-8', schema: s.textBody },
    },
  }),
  tile: route({
    method: 'GET',
    path: '/v1/log/tile/{path+}',
    group: 'log',
    access: 'public',
    binary: 'only',
    summary:
      'A C2SP tlog-tiles tile (`tile/<L>/<N>[.p/<W>]`) or entry bundle (`tile/entries/<N>[.p/<W>]`); immutable',
    params: s.tileParams,
    responses: {
      200: {
        description: 'The tile: W (or 256) hashes of 32 bytes; or the entry bundle',
        contentType: 'application/octet-stream',
      },
    },
  }),
  timestamp: route({
    method: 'POST',
    path: '/v1/tsa',
    group: 'tsa',
    audit: { action: 'tsa.stamp' },
    access: ['uploader'],
    binary: 'only',
    rawBody: { contentType: TIMESTAMP_QUERY },
    summary:
      'RFC 3161 time-stamp request (§3.4 HTTP transport): a DER TimeStampReq in, a DER TimeStampResp out; every token granted is a log entry',
    responses: {
      200: {
        description:
          "A TimeStampResp: granted with a token, or an RFC 3161 rejection (status 2 and the PKIFailureInfo bit). `Stempel-Log-Entry` names the token's log entry, whose receipt is at /v1/notarizations/{id}/receipt",
        contentType: TIMESTAMP_REPLY,
      },
      415: problem('The body is not application/timestamp-query (unsupported_media_type)'),
      503: problem('The log is catching up (code log_backpressure); retry after Retry-After'),
    },
  }),
  tsaCertificates: route({
    method: 'GET',
    path: '/v1/tsa/certificates',
    group: 'tsa',
    access: 'public',
    summary: "The TSA's certificate chain, TSA certificate first, as PEM (RFC 8555 §9.1)",
    responses: {
      200: {
        description: 'PEM certificates',
        contentType: 'application/pem-certificate-chain',
        schema: s.textBody,
      },
    },
  }),
  getTimestamp: route({
    method: 'GET',
    path: '/v1/notarizations/{id}/timestamp',
    group: 'tsa',
    audit: { action: 'notarization.timestamp', target: 'notarization' },
    access: ['uploader', 'verifier', 'admin'],
    binary: 'only',
    summary:
      "An RFC 3161 token for the notarized document's SHA-256 (owner, verifier or admin): issued on the first request, the same one after",
    params: s.idParams,
    responses: {
      200: {
        description: 'A TimeStampResp (granted), with `Stempel-Log-Entry`',
        contentType: TIMESTAMP_REPLY,
      },
      503: problem('The log is catching up (code log_backpressure); retry after Retry-After'),
    },
  }),
  logKey: route({
    method: 'GET',
    path: '/v1/log/key',
    group: 'log',
    access: 'public',
    summary: "The log's verifier key",
    responses: { 200: { description: 'Verifier key', schema: s.logKeyResponse } },
  }),
  consistency: route({
    method: 'GET',
    path: '/v1/log/consistency',
    group: 'log',
    access: 'public',
    summary: 'RFC 9162 consistency proof between two tree sizes',
    query: s.consistencyQuery,
    responses: { 200: { description: 'Consistency proof', schema: s.consistencyResponse } },
  }),
  auditEvents: route({
    method: 'GET',
    path: '/v1/audit/events',
    group: 'audit',
    audit: { action: 'audit.query' },
    access: ['auditor', 'admin'],
    summary:
      'Audit events, newest first: a time range (at most 366 days) and exact actor, action or target; from indexes, with sealed cursors',
    query: s.auditQuery,
    responses: { 200: { description: 'One page of events', schema: s.auditEventList } },
  }),
  auditErasure: route({
    method: 'POST',
    path: '/v1/audit/erasures',
    group: 'audit',
    access: ['admin'],
    audit: { action: 'audit.erase' },
    summary:
      "Erase a user's personal fields (IP, user agent, usernames) from every audit event naming them; every proof still holds",
    body: s.auditErasureRequest,
    responses: { 200: { description: 'How many events were erased', schema: s.auditErasureResponse } },
  }),
  exportUser: route({
    method: 'GET',
    path: '/v1/admin/users/{id}/export',
    group: 'privacy',
    access: ['admin'],
    audit: { action: 'user.export', target: 'user' },
    summary:
      'Everything held about a person (GDPR access): the account, sessions, notarizations and the audit events naming them, as JSON',
    params: s.idParams,
    responses: {
      200: { description: 'The export', schema: s.userExport },
      404: problem('No such user'),
    },
  }),
  eraseUser: route({
    method: 'POST',
    path: '/v1/admin/users/{id}/erasure',
    group: 'privacy',
    access: ['admin'],
    audit: { action: 'user.erase', target: 'user' },
    summary:
      'Erase a person (GDPR erasure): the account, sessions and 2FA go, document names are removed, files crypto-shredded, audit personal fields erased; log entries keep the opaque id, so every receipt still verifies',
    params: s.idParams,
    responses: {
      200: { description: 'What was erased', schema: s.userErasure },
      404: problem('No such user'),
      409: problem('The last active admin cannot be erased'),
    },
  }),
  kpiReport: route({
    method: 'GET',
    path: '/v1/reports/kpis',
    group: 'reports',
    access: ['admin'],
    audit: { action: 'report.kpis' },
    summary:
      'Key figures per day, ISO week or month (notarizations, verifications, receipts, active users, logins, 2FA adoption), in total and per user; from counters, never a scan',
    query: s.kpiQuery,
    responses: {
      200: { description: 'The figures', schema: s.kpiReport },
      400: problem('A reversed range, too many periods, or an unknown granularity'),
    },
  }),
  kpiReportCsv: route({
    method: 'GET',
    path: '/v1/reports/kpis.csv',
    group: 'reports',
    access: ['admin'],
    audit: { action: 'report.kpis' },
    summary: 'The key figures in total per period, as RFC 4180 CSV',
    query: s.kpiQuery,
    responses: {
      200: { description: 'One row per period', contentType: CSV, schema: s.textBody },
      400: problem('A reversed range, too many periods, or an unknown granularity'),
    },
  }),
  notarizationsReportCsv: route({
    method: 'GET',
    path: '/v1/reports/notarizations.csv',
    group: 'reports',
    access: ['admin'],
    audit: { action: 'report.notarizations' },
    summary:
      "Notarizations received in a time range (of one owner, or all), oldest first, as RFC 4180 CSV pages: follow the Link header's rel=next (the header row is on the first page only)",
    query: s.notarizationsReportQuery,
    responses: {
      200: { description: 'One page of rows', contentType: CSV, schema: s.textBody },
      400: problem('A reversed or too long range, a bad limit, or a cursor this report did not issue'),
    },
  }),
  auditKey: route({
    method: 'GET',
    path: '/v1/audit/key',
    group: 'audit',
    access: 'public',
    summary: "The audit log's verifier key",
    responses: { 200: { description: 'Verifier key', schema: s.logKeyResponse } },
  }),
  auditCheckpoint: route({
    method: 'GET',
    path: '/v1/audit/checkpoint',
    group: 'audit',
    access: 'public',
    summary: "The audit log's latest signed checkpoint",
    responses: {
      200: { description: 'Signed note', contentType: 'text/plain; charset=utf-8', schema: s.textBody },
    },
  }),
  createWebhook: route({
    method: 'POST',
    path: '/v1/admin/webhooks',
    group: 'webhooks',
    audit: { action: 'webhook.create' },
    access: ['admin'],
    summary: 'Register a webhook endpoint (https, public address); answers its signing secret once',
    body: s.createWebhookRequest,
    responses: {
      201: { description: 'Registered', schema: s.createWebhookResponse },
      400: problem(
        'Not https (webhook_url_not_https), resolving to a non-public address (webhook_url_private), not resolving (webhook_url_unresolvable), or not a URL (webhook_url_invalid)',
      ),
      409: problem('Too many webhooks (too_many_webhooks)'),
    },
  }),
  listWebhooks: route({
    method: 'GET',
    path: '/v1/admin/webhooks',
    group: 'webhooks',
    audit: { action: 'webhook.list' },
    access: ['admin'],
    summary: 'Every webhook endpoint with its delivery status',
    responses: { 200: { description: 'The endpoints', schema: s.webhookList } },
  }),
  getWebhook: route({
    method: 'GET',
    path: '/v1/admin/webhooks/{id}',
    group: 'webhooks',
    audit: { action: 'webhook.get', target: 'webhook' },
    access: ['admin'],
    summary: 'One webhook endpoint with its delivery status',
    params: s.idParams,
    responses: {
      200: { description: 'The endpoint', schema: s.webhookView },
      404: problem('No such webhook (webhook_not_found)'),
    },
  }),
  updateWebhook: route({
    method: 'PATCH',
    path: '/v1/admin/webhooks/{id}',
    group: 'webhooks',
    audit: { action: 'webhook.update', target: 'webhook' },
    access: ['admin'],
    summary: 'Enable or disable a webhook endpoint',
    params: s.idParams,
    body: s.updateWebhookRequest,
    responses: {
      200: { description: 'The endpoint', schema: s.webhookView },
      404: problem('No such webhook (webhook_not_found)'),
    },
  }),
  deleteWebhook: route({
    method: 'DELETE',
    path: '/v1/admin/webhooks/{id}',
    group: 'webhooks',
    audit: { action: 'webhook.delete', target: 'webhook' },
    access: ['admin'],
    summary: 'Remove a webhook endpoint (deliveries still queued for it are dropped)',
    params: s.idParams,
    responses: {
      204: { description: 'Removed' },
      404: problem('No such webhook (webhook_not_found)'),
    },
  }),
  health: route({
    method: 'GET',
    path: '/v1/health',
    group: 'public',
    access: 'public',
    summary: 'Service health and its backends',
    responses: {
      200: { description: 'Healthy', schema: s.healthResponse },
      503: { description: 'A backend is failing', schema: s.healthResponse },
    },
  }),
  openapi: route({
    method: 'GET',
    path: '/v1/openapi.json',
    group: 'public',
    access: 'public',
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
  }),
} as const;

export type Routes = typeof routes;
export type OperationId = keyof Routes;

export const routeList = (): [OperationId, RouteDefinition][] =>
  Object.entries(routes) as [OperationId, RouteDefinition][];
