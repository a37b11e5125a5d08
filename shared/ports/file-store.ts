/** A request the client sends itself, straight to the object store: exactly these headers. */
export interface PresignedRequest {
  readonly url: string;
  readonly method: 'PUT' | 'GET';
  readonly headers: Readonly<Record<string, string>>;
}

/** What the store says about a stored object. */
export interface StoredObject {
  readonly size: number;
  /** Lower-case hex SHA-256 of the whole object, when the store computed and checked one on upload. */
  readonly sha256?: string;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
}

/**
 * Document bytes in S3. Every object is encrypted by the store under the
 * 32-byte `fileKey` given with each call (SSE-C); without it nothing reads.
 */
export interface FileStore {
  presignPut(
    key: string,
    fileKey: Uint8Array,
    options: { sha256: string; contentType: string; expiresInSeconds: number },
  ): Promise<PresignedRequest>;
  /** Starts a multipart upload; returns its id. */
  startMultipart(key: string, fileKey: Uint8Array, contentType: string): Promise<string>;
  /** Presigned UploadPart requests for parts 1..`parts` (same headers for each). */
  presignParts(
    key: string,
    fileKey: Uint8Array,
    multipartId: string,
    parts: number,
    expiresInSeconds: number,
  ): Promise<{ urls: readonly string[]; method: 'PUT'; headers: Readonly<Record<string, string>> }>;
  listParts(key: string, multipartId: string): Promise<readonly UploadedPart[]>;
  completeMultipart(
    key: string,
    fileKey: Uint8Array,
    multipartId: string,
    parts: readonly UploadedPart[],
  ): Promise<void>;
  abortMultipart(key: string, multipartId: string): Promise<void>;
  head(key: string, fileKey: Uint8Array): Promise<StoredObject | undefined>;
  /** SHA-256 (hex) of the object's `size` bytes, streamed: memory stays flat whatever the size. */
  sha256(key: string, fileKey: Uint8Array, size: number): Promise<string>;
  /** Keeps the object (uploads never notarized expire after a day). */
  markNotarized(key: string): Promise<void>;
  /** Deletes the object and every version of it. */
  delete(key: string): Promise<void>;
  presignGet(
    key: string,
    fileKey: Uint8Array,
    options: { contentDisposition: string; contentType: string; expiresInSeconds: number },
  ): Promise<PresignedRequest>;
}
