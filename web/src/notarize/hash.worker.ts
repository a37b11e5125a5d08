/// <reference lib="webworker" />
import { createSHA256 } from 'hash-wasm';
import type { HashReply, HashRequest } from './hash-messages';

/** Progress at most this often: a 2 GB file in 64 KiB chunks would otherwise flood the page. */
const PROGRESS_EVERY_BYTES = 4 * 2 ** 20;

const scope = self as unknown as DedicatedWorkerGlobalScope;
const reply = (message: HashReply) => scope.postMessage(message);

/** SHA-256 of the file as it streams from disk: memory stays at one chunk, whatever the size. */
scope.onmessage = async (event: MessageEvent<HashRequest>) => {
  const { file } = event.data;
  try {
    const hasher = await createSHA256();
    hasher.init();
    const reader = file.stream().getReader();
    let bytes = 0;
    let reported = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hasher.update(value);
      bytes += value.byteLength;
      if (bytes - reported >= PROGRESS_EVERY_BYTES) {
        reported = bytes;
        reply({ type: 'progress', bytes });
      }
    }
    reply({ type: 'done', sha256: hasher.digest('hex'), bytes });
  } catch (err) {
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
