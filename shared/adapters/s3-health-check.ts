import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { HealthCheck } from '../ports/health-check';

/** Healthy when the bucket exists and this function may reach it. */
export class S3HealthCheck implements HealthCheck {
  readonly name: string;

  constructor(
    name: string,
    private readonly bucket: string,
    private readonly client = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }),
  ) {
    this.name = name;
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }
}
