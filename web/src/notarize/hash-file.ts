import type { HashReply, HashRequest } from './hash-messages';

/**
 * The lower-case hex SHA-256 of `file`, computed in a worker that streams it
 * (the page stays responsive; a 2 GB file is never in memory at once).
 * `onProgress` gets the bytes hashed so far.
 */
export function hashFile(
  file: File,
  onProgress: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module' });
    const stop = () => {
      worker.terminate();
      reject(new DOMException('hashing cancelled', 'AbortError'));
    };
    signal?.addEventListener('abort', stop, { once: true });
    const finish = () => {
      signal?.removeEventListener('abort', stop);
      worker.terminate();
    };
    worker.onmessage = (event: MessageEvent<HashReply>) => {
      const message = event.data;
      if (message.type === 'progress') onProgress(message.bytes);
      else if (message.type === 'done') {
        finish();
        onProgress(message.bytes);
        resolve(message.sha256);
      } else {
        finish();
        reject(new Error(message.message));
      }
    };
    worker.onerror = (event) => {
      finish();
      reject(new Error(event.message || 'the hashing worker failed'));
    };
    const request: HashRequest = { file };
    worker.postMessage(request);
  });
}
