export type UploadState = 'open' | 'verifying' | 'notarized' | 'rejected';

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
}

export interface UploadStore {
  create(upload: Upload): Promise<void>;
  get(id: string): Promise<Upload | undefined>;
  /**
   * Takes the upload for verification: only for its owner, before it
   * expires, while `open`, or `verifying` since before `staleBefore` (a
   * verification that crashed). False when another caller holds it or it is used.
   */
  claim(id: string, owner: string, now: string, staleBefore: string): Promise<boolean>;
  /** Gives a claimed upload back (`verifying` → `open`), e.g. when a part is missing. */
  release(id: string, claimedAt: string): Promise<void>;
  /** Ends the upload for good. */
  finish(id: string, state: 'notarized' | 'rejected', notarizationId?: string): Promise<void>;
}
