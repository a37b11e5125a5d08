import type { Page } from './page';

export type NotarizationStatus = 'pending' | 'sealed';

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
}

export interface NotarizationStore {
  /**
   * Stores the notarization unless this owner already notarized this hash; in
   * that case nothing is written and the existing one is returned. Safe under
   * concurrent identical requests: exactly one is created. Its id must be
   * `notarizationId(owner, sha256)` (core/notarization-id.ts).
   */
  createOnce(notarization: Notarization): Promise<{ created: boolean; notarization: Notarization }>;
  get(id: string): Promise<Notarization | undefined>;
  /** Attaches the file to the owner's notarization unless it has one already; false if so. */
  attachFile(id: string, owner: string, file: NotarizedFile): Promise<boolean>;
  /** All notarizations of a hash, oldest first, at most `limit`. */
  findBySha256(sha256: string, limit: number): Promise<readonly Notarization[]>;
  /** One owner's notarizations, newest first. */
  listByOwner(owner: string, limit: number, cursor?: string): Promise<Page<Notarization>>;
  /** Every notarization, unordered (operators). */
  listAll(limit: number, cursor?: string): Promise<Page<Notarization>>;
}
