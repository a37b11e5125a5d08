import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';

export interface S3Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts the s3rver S3 emulator on 127.0.0.1:`port`, storing objects under `directory`. */
export async function startS3Emulator(port: number, directory: string): Promise<S3Emulator> {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () => server.close(),
  };
}
