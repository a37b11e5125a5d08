import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  NoSuchUpload,
  NotFound,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FileStore, PresignedRequest, StoredObject, UploadedPart } from '../ports/file-store';
import { documentsBucket, resourceName } from '../tables';

/** Tag read by the bucket's lifecycle rule: objects still tagged `uploaded` after a day are removed. */
const STATE_TAG = 'stempel-state';
const UPLOADED = `${STATE_TAG}=uploaded`;
/**
 * Ranged GETs in flight while hashing, and their size: memory stays flat whatever the object
 * (about 100 MiB above idle, measured by `npm run bench`: each range is collected, then copied).
 */
const HASH_WINDOW = 4;
const HASH_RANGE_BYTES = 8 * 2 ** 20;

/** SSE-C: S3 encrypts with this key and keeps only a salted HMAC of it. */
const sse = (fileKey: Uint8Array) => ({
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: Buffer.from(fileKey).toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(fileKey).digest('base64'),
});
const sseHeaders = (fileKey: Uint8Array): Record<string, string> => {
  const p = sse(fileKey);
  return {
    'x-amz-server-side-encryption-customer-algorithm': p.SSECustomerAlgorithm,
    'x-amz-server-side-encryption-customer-key': p.SSECustomerKey,
    'x-amz-server-side-encryption-customer-key-md5': p.SSECustomerKeyMD5,
  };
};

/** Headers that must reach S3 as headers, signed (not hoisted into the query string). */
const SIGNED_HEADERS = new Set(['x-amz-checksum-sha256', 'x-amz-tagging']);

/** Documents in the S3 bucket, every object under SSE-C with its own file key. */
export class S3FileStore implements FileStore {
  constructor(
    private readonly s3 = new S3Client({
      forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
      // Presigned requests carry only the checksums we put in them (the SDK would add a CRC of no body).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    private readonly bucket = resourceName(documentsBucket),
  ) {}

  async presignPut(
    key: string,
    fileKey: Uint8Array,
    options: { sha256: string; contentType: string; expiresInSeconds: number },
  ): Promise<PresignedRequest> {
    const checksum = Buffer.from(options.sha256, 'hex').toString('base64');
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: options.contentType,
      ChecksumSHA256: checksum,
      Tagging: UPLOADED,
      ...sse(fileKey),
    });
    const url = await getSignedUrl(this.s3, command, {
      expiresIn: options.expiresInSeconds,
      unhoistableHeaders: SIGNED_HEADERS,
    });
    return {
      url,
      method: 'PUT',
      headers: {
        'content-type': options.contentType,
        'x-amz-checksum-sha256': checksum,
        'x-amz-tagging': UPLOADED,
        ...sseHeaders(fileKey),
      },
    };
  }

  async startMultipart(key: string, fileKey: Uint8Array, contentType: string): Promise<string> {
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: contentType,
        Tagging: UPLOADED,
        ...sse(fileKey),
      }),
    );
    if (!UploadId) throw new Error('S3 returned no multipart upload id');
    return UploadId;
  }

  async presignParts(
    key: string,
    fileKey: Uint8Array,
    multipartId: string,
    parts: number,
    expiresIn: number,
  ) {
    const urls = await Promise.all(
      Array.from({ length: parts }, (_, i) =>
        getSignedUrl(
          this.s3,
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: multipartId,
            PartNumber: i + 1,
            ...sse(fileKey),
          }),
          { expiresIn },
        ),
      ),
    );
    return { urls, method: 'PUT' as const, headers: sseHeaders(fileKey) };
  }

  async listParts(key: string, multipartId: string): Promise<readonly UploadedPart[]> {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListPartsCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: multipartId,
          PartNumberMarker: marker,
        }),
      );
      for (const p of page.Parts ?? []) {
        if (p.PartNumber && p.ETag) parts.push({ partNumber: p.PartNumber, size: p.Size ?? 0, etag: p.ETag });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return parts;
  }

  async completeMultipart(
    key: string,
    fileKey: Uint8Array,
    multipartId: string,
    parts: readonly UploadedPart[],
  ) {
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: multipartId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        ...sse(fileKey),
      }),
    );
  }

  async abortMultipart(key: string, multipartId: string): Promise<void> {
    try {
      await this.s3.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: multipartId }),
      );
    } catch (err) {
      // Completed or aborted before: nothing is left to abort.
      if (!(err instanceof NoSuchUpload)) throw err;
    }
  }

  async head(key: string, fileKey: Uint8Array): Promise<StoredObject | undefined> {
    try {
      const head = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED', ...sse(fileKey) }),
      );
      const checksum = head.ChecksumSHA256;
      // A multipart object's SHA-256 is a checksum of the parts' checksums ("…-N"), not of the document.
      const wholeObject = checksum && head.ChecksumType !== 'COMPOSITE' && !checksum.includes('-');
      return {
        size: head.ContentLength ?? 0,
        ...(wholeObject ? { sha256: Buffer.from(checksum, 'base64').toString('hex') } : {}),
      };
    } catch (err) {
      if (err instanceof NotFound || (err as { name?: string }).name === 'NotFound') return undefined;
      throw err;
    }
  }

  async sha256(key: string, fileKey: Uint8Array, size: number): Promise<string> {
    const hash = createHash('sha256');
    const ranges = Math.ceil(size / HASH_RANGE_BYTES);
    const fetchRange = async (i: number) => {
      const first = i * HASH_RANGE_BYTES;
      const last = Math.min(size, first + HASH_RANGE_BYTES) - 1;
      const { Body } = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: `bytes=${first}-${last}`,
          ...sse(fileKey),
        }),
      );
      if (!Body) throw new Error('S3 returned no body');
      const bytes = await Body.transformToByteArray();
      if (bytes.length !== last - first + 1) throw new Error(`range ${first}-${last} came back short`);
      return bytes;
    };
    // Ranges are fetched HASH_WINDOW ahead and hashed in order.
    const inFlight: Promise<Uint8Array>[] = [];
    for (let i = 0; i < Math.min(HASH_WINDOW, ranges); i++) inFlight.push(fetchRange(i));
    for (let i = 0; i < ranges; i++) {
      const bytes = await (inFlight.shift() as Promise<Uint8Array>);
      if (i + HASH_WINDOW < ranges) inFlight.push(fetchRange(i + HASH_WINDOW));
      hash.update(bytes);
    }
    return hash.digest('hex');
  }

  async markNotarized(key: string): Promise<void> {
    await this.s3.send(
      new PutObjectTaggingCommand({
        Bucket: this.bucket,
        Key: key,
        Tagging: { TagSet: [{ Key: STATE_TAG, Value: 'notarized' }] },
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async presignGet(
    key: string,
    fileKey: Uint8Array,
    options: { contentDisposition: string; contentType: string; expiresInSeconds: number },
  ): Promise<PresignedRequest> {
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentDisposition: options.contentDisposition,
        ResponseContentType: options.contentType,
        ...sse(fileKey),
      }),
      { expiresIn: options.expiresInSeconds },
    );
    return { url, method: 'GET', headers: sseHeaders(fileKey) };
  }
}
