/**
 * What went wrong, in domain terms. The HTTP layer maps each kind to a status;
 * the core never speaks HTTP.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable';

/**
 * An expected failure with a stable machine `code` (part of the API contract)
 * and a `detail` that is safe to show to the caller: never a secret, a stack or
 * another user's data.
 */
export class StempelError extends Error {
  override readonly name = 'StempelError';

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    readonly detail: string,
    readonly extra: {
      retryAfterSeconds?: number;
      errors?: readonly FieldError[];
      /** For the audit trail only, never in the answer: the user the failed call was about. */
      auditSubject?: string;
      /** For the audit trail only: what happened, where the answer's code hides it (a lockout, a stolen token). */
      auditReason?: string;
      /** For the audit trail only: fields the failed call changed anyway (a failed login that locked the name). */
      auditChanges?: Readonly<Record<string, { readonly from: unknown; readonly to: unknown }>>;
    } = {},
  ) {
    super(detail);
  }
}

/** One problem with one field of a request, for `invalid` errors. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}
