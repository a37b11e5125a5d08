import type { AuditEvent } from '../core/audit-event';
import type { Page } from './page';

/** `quarantined`: the integrator refused to seal it (its recorded time was out of range). */
export type NotarizationStatus = 'pending' | 'sealed' | 'quarantined';

/** The document's bytes in the file store, when it was uploaded (not for hash-only notarizations). */
export interface NotarizedFile {
  readonly objectKey: string;
  readonly size: number;
  readonly contentType: string;
}

export interface Notarization {
  readonly id: string;
  /** Opaque user id of the uploader. */
  readonly owner: string;
  /** Lower-case hex SHA-256 of the document. */
  readonly sha256: string;
  /** RFC 3339 UTC with milliseconds. */
  readonly receivedAt: string;
  readonly status: NotarizationStatus;
  readonly name?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly file?: NotarizedFile;
  /** Position in the Merkle log, once sealed. */
  readonly logIndex?: number;
  /** RFC 3339 UTC: when the integrator committed it to the log. */
  readonly sealedAt?: string;
  /** Why and when the integrator quarantined it instead. */
  readonly quarantine?: { readonly reason: string; readonly at: string };
  /** On the log entry of an RFC 3161 token (then `sha256` is the token's and `receivedAt` its genTime). */
  readonly timestamp?: IssuedToken;
  /** The log entry of the token issued for this notarization's document, once one was. */
  readonly timestampId?: string;
}

export interface IssuedToken {
  /** Serial number, lower-case hex. */
  readonly serial: string;
  /** The DER TimeStampToken. */
  readonly token: Uint8Array;
}

export interface NotarizationStore {
  /**
   * Stores the notarization unless this owner already notarized this hash; in
   * that case nothing is written and the existing one is returned. Safe under
   * concurrent identical requests: exactly one is created. Its id must be
   * `notarizationId(owner, sha256)` (core/notarization-id.ts).
   */
  createOnce(
    notarization: Notarization,
    /** The audit event of the creation, written in the same transaction (nothing when it exists). */
    audit?: AuditEvent,
  ): Promise<{ created: boolean; notarization: Notarization }>;
  get(id: string): Promise<Notarization | undefined>;
  /**
   * Stores the log entry of an issued token (a new id), and, for a token made
   * for notarization `forNotarization`, records it there in the same
   * transaction unless that one has a token already: then nothing is written
   * and the answer is `taken`.
   */
  createTimestamp(
    entry: Notarization,
    forNotarization?: string,
    /** The audit event of issuing it, written in the same transaction. */
    audit?: AuditEvent,
  ): Promise<'created' | 'taken'>;
  /** Attaches the file to the owner's notarization unless it has one already; false if so. */
  attachFile(id: string, owner: string, file: NotarizedFile): Promise<boolean>;
  /**
   * Removes the document name and metadata the owner gave (personal data the
   * log never held); true if there was any. The entry, its proofs and the file stay.
   */
  eraseDetails(id: string, owner: string): Promise<boolean>;
  /** All notarizations of a hash, oldest first, at most `limit`. */
  findBySha256(sha256: string, limit: number): Promise<readonly Notarization[]>;
  /** One owner's notarizations, newest first. */
  listByOwner(owner: string, limit: number, cursor?: string): Promise<Page<Notarization>>;
  /** Every notarization, unordered (operators). */
  listAll(limit: number, cursor?: string): Promise<Page<Notarization>>;
  /**
   * Notarizations received from `from` to `to` (RFC 3339, inclusive), of one
   * owner or of all, oldest first (by day, then time), from an index; `position`
   * is a page's `nextCursor` as this store issued it (the caller seals it).
   */
  listBetween(
    filter: { readonly owner?: string; readonly from: string; readonly to: string },
    limit: number,
    position?: string,
  ): Promise<Page<Notarization>>;
}
