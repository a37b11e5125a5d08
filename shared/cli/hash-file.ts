import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';

/** Files larger than this get a progress bar while hashing (on a terminal). */
export const PROGRESS_THRESHOLD = 32 * 1024 * 1024;

/** Bytes read at a time: large enough that the per-read cost vanishes, small enough for flat memory. */
const CHUNK = 4 * 1024 * 1024;

/**
 * The SHA-256 (or SHA-384/512) of a file in constant memory. Two buffers take turns: the next
 * chunk is read (on libuv's thread pool) while this one is hashed, so
 * reading and hashing overlap and the file is hashed at the disk's or the
 * CPU's speed, whichever is lower.
 */
export async function hashFile(
  path: string,
  algorithm: 'sha256' | 'sha384' | 'sha512' = 'sha256',
  progress = process.stderr.isTTY,
): Promise<string> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const bar =
      progress && size > PROGRESS_THRESHOLD
        ? new SingleBar({ format: 'hashing [{bar}] {percentage}% {eta}s' })
        : undefined;
    bar?.start(size, 0);
    const hash = createHash(algorithm);
    let [current, next] = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let reading = file.read(current, 0, CHUNK, null);
    for (;;) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      [current, next] = [next, current];
      reading = file.read(current, 0, CHUNK, null);
      hash.update(bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead));
      bar?.increment(bytesRead);
    }
    bar?.stop();
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}
