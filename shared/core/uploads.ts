import { randomUUID } from 'node:crypto';
import type { FileStore, UploadedPart } from '../ports/file-store';
import type { Notarization, NotarizationStore, NotarizedFile } from '../ports/notarization-store';
import type { Rejection, Upload, UploadStore } from '../ports/upload-store';
import { type AuditFor, newAuditEvent } from './audit-event';
import { StempelError } from './errors';
import { allowedContentType, contentDisposition } from './file-names';
import type { Notary } from './notary';
import type { OwnerKeys } from './owner-keys';
import { hasAnyRole, type Principal } from './roles';
import type { Settings } from './settings';

const MiB = 2 ** 20;
/** Parts are at least this big (S3's minimum is 5 MiB; bigger parts mean fewer URLs to hand out)… */
export const MIN_PART_BYTES = 16 * MiB;
/** …and at most this many (S3's maximum). */
const MAX_PARTS = 10_000;
/** A verification that has not finished after this long crashed: the upload may be claimed again. */
const VERIFICATION_LEASE_MS = 15 * 60 * 1000;

export type UploadSettings = Pick<
  Settings,
  'maxUploadBytes' | 'multipartThresholdBytes' | 'uploadExpirySeconds' | 'downloadUrlSeconds'
>;

export interface UploadsDeps {
  readonly uploads: UploadStore;
  readonly files: FileStore;
  readonly ownerKeys: OwnerKeys;
  readonly notary: Pick<Notary, 'admit' | 'notarizeFor' | 'get'>;
  readonly notarizations: Pick<NotarizationStore, 'attachFile'>;
  readonly settings: () => Promise<UploadSettings>;
  readonly now?: () => Date;
}

export interface UploadRequest {
  readonly sha256: string;
  readonly size: number;
  readonly name?: string;
  readonly contentType?: string;
}

export interface NotarizeUploadRequest {
  readonly uploadId: string;
  /** If given, must be the upload's declared hash. */
  readonly sha256?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Parts of `partSize` bytes, the last one holding the rest. */
export function partLayout(size: number): { partSize: number; parts: number } {
  const partSize = Math.max(MIN_PART_BYTES, Math.ceil(size / MAX_PARTS / MiB) * MiB);
  return { partSize, parts: Math.max(1, Math.ceil(size / partSize)) };
}

const uploadNotFound = () => new StempelError('not_found', 'upload_not_found', 'No such upload.');
const HASH_MISMATCH =
  'The uploaded bytes do not hash to the declared sha256; they were deleted and nothing was notarized.';

/** A notarization (created or found), or: the verifier function is reading the bytes (202). */
export type UploadOutcome =
  | { readonly created: boolean; readonly notarization: Notarization }
  | { readonly verifying: true };

const uploadUsed = () =>
  new StempelError('conflict', 'upload_used', 'This upload was used already; start a new one.');

/**
 * Documents in the file store: an upload is declared (hash, size), its bytes
 * go straight to the store by presigned requests, and it is notarized only
 * once the stored bytes are shown to have that size and that SHA-256.
 * Anything else deletes the object and notarizes nothing.
 */
export class Uploads {
  private readonly now: () => Date;

  constructor(private readonly deps: UploadsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** `audit`: the creation's audit event, written with the upload. */
  async create(principal: Principal, request: UploadRequest, audit?: AuditFor) {
    const settings = await this.deps.settings();
    if (request.size > settings.maxUploadBytes) {
      throw new StempelError(
        'too_large',
        'upload_too_large',
        `Documents of at most ${settings.maxUploadBytes} bytes are accepted.`,
      );
    }
    const owner = principal.userId;
    const id = randomUUID();
    const objectKey = `owners/${owner}/${id}`;
    const contentType = allowedContentType(request.contentType);
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + settings.uploadExpirySeconds * 1000).toISOString();
    const fileKey = await this.deps.ownerKeys.fileKey(owner, objectKey);
    const base = {
      id,
      owner,
      sha256: request.sha256,
      size: request.size,
      ...(request.name === undefined ? {} : { name: request.name }),
      contentType,
      objectKey,
      createdAt: createdAt.toISOString(),
      expiresAt,
      state: 'open' as const,
    };
    if (request.size < settings.multipartThresholdBytes) {
      const put = await this.deps.files.presignPut(objectKey, fileKey, {
        sha256: request.sha256,
        contentType,
        expiresInSeconds: settings.uploadExpirySeconds,
      });
      await this.deps.uploads.create(base, audit?.({ target: `upload:${id}` }));
      return { uploadId: id, kind: 'single' as const, expiresAt, ...put };
    }
    const { partSize, parts } = partLayout(request.size);
    const multipartId = await this.deps.files.startMultipart(objectKey, fileKey, contentType);
    const signed = await this.deps.files.presignParts(
      objectKey,
      fileKey,
      multipartId,
      parts,
      settings.uploadExpirySeconds,
    );
    await this.deps.uploads.create(
      { ...base, multipart: { id: multipartId, partSize, parts } },
      audit?.({ target: `upload:${id}` }),
    );
    return {
      uploadId: id,
      kind: 'multipart' as const,
      expiresAt,
      method: signed.method,
      headers: signed.headers,
      partSize,
      parts: signed.urls.map((url, i) => ({ partNumber: i + 1, url })),
    };
  }

  /**
   * Notarizes an upload of the caller's after checking the stored bytes.
   * Usable once, by its uploader, before it expires; asking again returns the
   * same answer (the notarization, the rejection, or "still verifying"). A
   * missing part leaves the upload usable; different bytes reject it for good.
   *
   * What is cheap happens here: completing a multipart upload, the size, and
   * the SHA-256 that S3 computed and checked on upload (single-part objects
   * have one). An object without one must be read through, which can take
   * longer than an API request may: it is handed to the verifier function
   * (`verifyHandedOver`) and the answer is `{ verifying: true }` (202).
   *
   * `audit` builds the audit events written with the outcome: the
   * notarization's (with it), or the upload's rejection (with that).
   */
  async notarize(
    principal: Principal,
    request: NotarizeUploadRequest,
    audit?: AuditFor,
  ): Promise<UploadOutcome> {
    const upload = await this.deps.uploads.get(request.uploadId);
    if (!upload || upload.owner !== principal.userId) throw uploadNotFound();
    if (request.sha256 !== undefined && request.sha256 !== upload.sha256) {
      throw new StempelError(
        'invalid',
        'upload_hash_differs',
        'sha256 differs from the hash declared for this upload.',
      );
    }
    const now = this.now();
    const staleBefore = new Date(now.getTime() - VERIFICATION_LEASE_MS).toISOString();
    const answered = await this.earlierAnswer(principal, upload, staleBefore);
    if (answered) return answered;
    if (now.toISOString() >= upload.expiresAt) {
      throw new StempelError('gone', 'upload_expired', 'This upload expired; start a new one.');
    }
    // Before reading gigabytes: a lagging log would refuse the notarization at the end anyway.
    await this.deps.notary.admit();
    const claimedAt = now.toISOString();
    if (!(await this.deps.uploads.claim(upload.id, upload.owner, claimedAt, staleBefore))) {
      const current = (await this.deps.uploads.get(upload.id)) as Upload;
      const again = await this.earlierAnswer(principal, current, staleBefore);
      if (again) return again;
      throw new StempelError('conflict', 'upload_busy', 'This upload is being checked by another request.');
    }
    try {
      return await this.checkClaimed(upload, claimedAt, request.metadata, audit);
    } catch (err) {
      // Anything but a verdict on the bytes leaves the upload usable for a retry.
      if (!(err instanceof StempelError && err.kind === 'unprocessable' && err.code !== 'upload_incomplete'))
        await this.deps.uploads.release(upload.id, claimedAt);
      throw err;
    }
  }

  /**
   * The verifier function's part: hashes an upload handed over by
   * `notarize` and notarizes or rejects it. Repeated or late deliveries
   * change nothing: only an upload still `hashing` is looked at, and both
   * outcomes are idempotent.
   */
  async verifyHandedOver(uploadId: string): Promise<void> {
    const upload = await this.deps.uploads.get(uploadId);
    if (upload?.state !== 'hashing') return;
    // The verdict's audit event: the owner's notarization, by the verifier on their behalf.
    const audit: AuditFor = (details = {}) =>
      newAuditEvent(
        {
          action: 'notarization.create',
          actor: upload.owner,
          target: `upload:${upload.id}`,
          outcome: 'success',
          ...details,
          requestId: `verifier:${upload.id}`,
          personal: {},
        },
        this.now(),
      );
    try {
      const fileKey = await this.deps.ownerKeys.existingFileKey(upload.owner, upload.objectKey);
      if (!fileKey)
        await this.reject(upload, 'hash_mismatch', "The owner's key was destroyed before the check.", audit);
      const digest = await this.deps.files.sha256(upload.objectKey, fileKey as Uint8Array, upload.size);
      if (digest !== upload.sha256) await this.reject(upload, 'hash_mismatch', HASH_MISMATCH, audit);
      await this.notarizeChecked(upload, upload.metadata, audit);
    } catch (err) {
      // A verdict is recorded on the upload (with its audit event) for its owner to read; only
      // failures are worth a retry.
      if (!(err instanceof StempelError && err.kind === 'unprocessable')) throw err;
    }
  }

  /** What an earlier request settled for this upload, if anything. */
  private async earlierAnswer(
    principal: Principal,
    upload: Upload,
    staleBefore: string,
  ): Promise<UploadOutcome | undefined> {
    switch (upload.state) {
      case 'notarized':
        return {
          created: upload.created === true,
          notarization: await this.deps.notary.get(principal, upload.notarizationId as string),
        };
      case 'rejected':
        if (upload.rejection)
          throw new StempelError('unprocessable', upload.rejection.code, upload.rejection.detail);
        throw uploadUsed();
      case 'hashing':
        return (upload.claimedAt ?? '') >= staleBefore ? { verifying: true } : undefined;
      default:
        return undefined;
    }
  }

  private async checkClaimed(
    upload: Upload,
    claimedAt: string,
    metadata: NotarizeUploadRequest['metadata'],
    audit: AuditFor | undefined,
  ) {
    const { files } = this.deps;
    const fileKey = await this.deps.ownerKeys.existingFileKey(upload.owner, upload.objectKey);
    if (!fileKey) throw new StempelError('gone', 'upload_expired', "The owner's files were erased.");
    // A retry after a crash may find the multipart upload completed already.
    let stored = await files.head(upload.objectKey, fileKey);
    if (!stored && upload.multipart) {
      await this.complete(upload, fileKey, audit);
      stored = await files.head(upload.objectKey, fileKey);
    }
    if (!stored) {
      throw new StempelError(
        'unprocessable',
        'upload_incomplete',
        'Nothing was uploaded for this upload yet.',
      );
    }
    if (stored.size !== upload.size) {
      await this.reject(
        upload,
        'size_mismatch',
        `The uploaded document has ${stored.size} bytes, not the ${upload.size} declared; it was deleted.`,
        audit,
      );
    }
    if (stored.sha256 === undefined) {
      if (!(await this.deps.uploads.handOver(upload.id, claimedAt, this.now().toISOString(), metadata)))
        throw new Error(`upload ${upload.id} was taken from its claim`);
      return { verifying: true } as const;
    }
    if (stored.sha256 !== upload.sha256) await this.reject(upload, 'hash_mismatch', HASH_MISMATCH, audit);
    return this.notarizeChecked(upload, metadata, audit);
  }

  /**
   * The bytes are the declared ones: keep them, and notarize. The audit event
   * goes with the new notarization, or, where the owner had notarized this
   * hash already, with the upload's outcome: written once either way.
   */
  private async notarizeChecked(
    upload: Upload,
    metadata: NotarizeUploadRequest['metadata'],
    audit: AuditFor | undefined,
  ) {
    // Kept from here on; tagging first means a crash never lets the lifecycle delete a notarized file.
    await this.deps.files.markNotarized(upload.objectKey);
    const file: NotarizedFile = {
      objectKey: upload.objectKey,
      size: upload.size,
      contentType: upload.contentType,
    };
    const event = (id: string) => audit?.({ target: `notarization:${id}` });
    const result = await this.deps.notary.notarizeFor(
      upload.owner,
      {
        sha256: upload.sha256,
        ...(upload.name === undefined ? {} : { name: upload.name }),
        ...(metadata === undefined ? {} : { metadata }),
        file,
      },
      event,
    );
    const notarization = await this.withFile(result.notarization, file, upload);
    await this.deps.uploads.finish(
      upload.id,
      { notarizationId: notarization.id, created: result.created },
      result.created ? undefined : event(notarization.id),
    );
    return { created: result.created, notarization };
  }

  /** A short-lived download of the notarized file: its owner and admins only; anyone else gets 404. */
  async download(principal: Principal, notarizationId: string) {
    const notarization = await this.deps.notary.get(principal, notarizationId);
    const noFile = new StempelError('not_found', 'file_not_found', 'This notarization has no stored file.');
    if (notarization.owner !== principal.userId && !hasAnyRole(principal, ['admin'])) throw noFile;
    if (!notarization.file) throw noFile;
    const { objectKey, contentType, size } = notarization.file;
    const fileKey = await this.deps.ownerKeys.existingFileKey(notarization.owner, objectKey);
    if (!fileKey) throw new StempelError('gone', 'file_erased', "The owner's files were erased.");
    const { downloadUrlSeconds } = await this.deps.settings();
    const link = await this.deps.files.presignGet(objectKey, fileKey, {
      contentDisposition: contentDisposition(notarization.name),
      contentType,
      expiresInSeconds: downloadUrlSeconds,
    });
    return {
      ...link,
      expiresAt: new Date(this.now().getTime() + downloadUrlSeconds * 1000).toISOString(),
      ...(notarization.name === undefined ? {} : { name: notarization.name }),
      contentType,
      size,
    };
  }

  /**
   * The owner notarized this hash before: the earlier notarization keeps its
   * file if it has one (this copy is deleted), or takes this one.
   */
  private async withFile(notarization: Notarization, file: NotarizedFile, upload: Upload) {
    if (notarization.file?.objectKey === file.objectKey) return notarization;
    if (!notarization.file && (await this.deps.notarizations.attachFile(notarization.id, upload.owner, file)))
      return { ...notarization, file };
    await this.deps.files.delete(upload.objectKey);
    return notarization;
  }

  /** Completes a multipart upload whose parts are all there, each of the agreed size. */
  private async complete(upload: Upload, fileKey: Uint8Array, audit: AuditFor | undefined) {
    const multipart = upload.multipart as NonNullable<Upload['multipart']>;
    const listed = await this.deps.files.listParts(upload.objectKey, multipart.id);
    const byNumber = new Map(listed.map((p) => [p.partNumber, p]));
    const parts: UploadedPart[] = [];
    const missing: number[] = [];
    for (let n = 1; n <= multipart.parts; n++) {
      const part = byNumber.get(n);
      if (part) parts.push(part);
      else missing.push(n);
    }
    if (missing.length > 0) {
      throw new StempelError(
        'unprocessable',
        'upload_incomplete',
        `Part${missing.length > 1 ? 's' : ''} ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''} of ${multipart.parts} ${missing.length > 1 ? 'are' : 'is'} missing.`,
      );
    }
    const lastSize = upload.size - (multipart.parts - 1) * multipart.partSize;
    const wrong = parts.find(
      (p) => p.size !== (p.partNumber === multipart.parts ? lastSize : multipart.partSize),
    );
    if (wrong || listed.length !== multipart.parts) {
      await this.reject(
        upload,
        'size_mismatch',
        `Part ${wrong?.partNumber ?? multipart.parts + 1} is not of the agreed size; the upload was deleted.`,
        audit,
      );
    }
    await this.deps.files.completeMultipart(upload.objectKey, fileKey, multipart.id, parts);
  }

  /** Deletes the bytes, records why (with the rejection's audit event), and throws that verdict. */
  private async reject(
    upload: Upload,
    code: Rejection['code'],
    detail: string,
    audit: AuditFor | undefined,
  ): Promise<never> {
    if (upload.multipart) await this.deps.files.abortMultipart(upload.objectKey, upload.multipart.id);
    await this.deps.files.delete(upload.objectKey);
    const event = audit?.({
      action: 'upload.rejected',
      target: `upload:${upload.id}`,
      outcome: 'failure',
      reason: code,
    });
    await this.deps.uploads.finish(upload.id, { rejection: { code, detail } }, event);
    throw new StempelError('unprocessable', code, detail);
  }
}
