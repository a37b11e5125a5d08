import { GetObjectCommand, ListObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AuditExportSink } from '../core/audit-export';
import { auditExportBucket, resourceName } from '../tables';

/** The S3 client of the audit export: path-style when an endpoint (the local emulator) is configured. */
export const auditExportS3Client = () =>
  new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });

/** Splits `s3://bucket/prefix` into its bucket and key prefix (empty, or ending in `/`). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new Error(`${url} is not an s3://bucket/prefix URL`);
  const rest = m[2] as string;
  return { bucket: m[1] as string, prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
}

/**
 * The audit export in an S3 bucket (write-once in AWS: Object Lock in
 * compliance mode), under `prefix`: writes for the export function, and list
 * and get for auditors' tools (the export function's role has no read).
 */
export class S3AuditExport implements AuditExportSink {
  constructor(
    private readonly s3 = auditExportS3Client(),
    private readonly bucket = resourceName(auditExportBucket),
    private readonly prefix = '',
  ) {}

  async put(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${this.prefix}${key}`,
        Body: body,
        ContentType: contentType,
        // S3 checks the body against it; Object Lock buckets require an integrity checksum anyway.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }

  /**
   * Every key under the prefix, relative to it. ListObjects (v1, paged by
   * marker) rather than v2: the local S3 emulator (s3rver) answers 500 to
   * every truncated ListObjectsV2, i.e. to any export of over 1,000 objects;
   * S3 serves both the same.
   */
  async keys(): Promise<string[]> {
    const keys: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsCommand({ Bucket: this.bucket, Prefix: this.prefix, Marker: marker }),
      );
      const found = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      for (const key of found) keys.push(key.slice(this.prefix.length));
      marker = page.IsTruncated ? (page.NextMarker ?? found.at(-1)) : undefined;
    } while (marker);
    return keys;
  }

  async read(key: string): Promise<string> {
    const { Body } = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${key}` }),
    );
    if (!Body) throw new Error(`s3://${this.bucket}/${this.prefix}${key} has no body`);
    return Body.transformToString('utf8');
  }
}
