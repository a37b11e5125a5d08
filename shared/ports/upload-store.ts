import type { AuditEvent } from '../core/audit-event';
/**
 * `open` → `verifying` (a request checks it) → `notarized` | `rejected` | back to `open` (a part was missing),
 * or → `hashing` (handed to the verifier function, which reads the whole object) → `notarized` | `rejected`.
 */
export type UploadState = 'open' | 'verifying' | 'hashing' | 'notarized' | 'rejected';

/** Why the stored bytes were refused: answered again to anyone who asks about the upload. */
export interface Rejection {
  readonly code: 'hash_mismatch' | 'size_mismatch';
  readonly detail: string;
}

export interface Upload {
  readonly id: string;
  readonly owner: string;
  /** Declared: lower-case hex. */
  readonly sha256: string;
  /** Declared, in bytes. */
  readonly size: number;
  readonly name?: string;
  readonly contentType: string;
  /** `owners/<owner>/<id>`: never the file name. */
  readonly objectKey: string;
  readonly multipart?: { readonly id: string; readonly partSize: number; readonly parts: number };
  /** RFC 3339. */
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly state: UploadState;
  /** When the current verification began (state `verifying`). */
  readonly claimedAt?: string;
  readonly notarizationId?: string;
  /** Whether this upload created its notarization (rather than finding the owner's earlier one). */
  readonly created?: boolean;
  readonly rejection?: Rejection;
  /** The notarization's metadata, kept while the verifier function hashes. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** `audit`: the change's audit event, written in the same transaction. */
export interface UploadStore {
  create(upload: Upload, audit?: AuditEvent): Promise<void>;
  get(id: string): Promise<Upload | undefined>;
  /**
   * Takes the upload for verification: only for its owner, before it
   * expires, while `open`, or `verifying` or `hashing` since before
   * `staleBefore` (a verification that died). False when another holds it or it is used.
   */
  claim(id: string, owner: string, now: string, staleBefore: string): Promise<boolean>;
  /** Gives a claimed upload back (`verifying` → `open`), e.g. when a part is missing. */
  release(id: string, claimedAt: string): Promise<void>;
  /** `verifying` (claimed at `claimedAt`) → `hashing` since `now`, with the notarization's metadata: the verifier function takes over. */
  handOver(
    id: string,
    claimedAt: string,
    now: string,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<boolean>;
  /** Ends the upload for good; the first outcome stands (a repeated verification changes nothing). */
  finish(
    id: string,
    outcome: { notarizationId: string; created: boolean } | { rejection: Rejection },
    audit?: AuditEvent,
  ): Promise<void>;
}
