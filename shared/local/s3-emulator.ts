import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { freePort } from './free-port';
import { startSseCProxy } from './sse-c-proxy';

export interface S3Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts the s3rver S3 emulator, storing objects under `directory`, behind the SSE-C layer
 * (./sse-c-proxy.ts) on 127.0.0.1:`port`: `endpoint` is the layer, s3rver listens on a free
 * internal port, so every client gets S3's SSE-C behaviour.
 */
export async function startS3Emulator(port: number, directory: string): Promise<S3Emulator> {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const server = new S3rver({ address: '127.0.0.1', port: await freePort(), directory, silent: true });
  const address = (await server.run()) as AddressInfo;
  try {
    const proxy = await startSseCProxy(port, address.port, directory);
    return {
      endpoint: proxy.endpoint,
      stop: async () => {
        await proxy.stop();
        await server.close();
      },
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}
