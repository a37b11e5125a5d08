import { signal } from '@preact/signals';
import { api } from '../api/client';
import type { Notarization } from '../api/types';
import { describeError } from '../components/errors';
import { hashFile } from './hash-file';
import { uploadAndNotarize } from './upload';

/** One dropped file on its way to a notarization. */
export interface Job {
  readonly key: number;
  readonly name: string;
  readonly size: number;
  readonly phase: 'queued' | 'hashing' | 'uploading' | 'verifying' | 'submitting' | 'done' | 'failed';
  /** Bytes hashed or uploaded in the current phase. */
  readonly bytes: number;
  readonly sha256?: string;
  readonly error?: string;
}

export const jobs = signal<readonly Job[]>([]);

/** Two files at a time: the machine's cores, not the number of files, bound the work. */
const CONCURRENCY = 2;
let nextKey = 1;
const waiting: { key: number; file: File; store: boolean; done: (n: Notarization) => void }[] = [];
let running = 0;

function update(key: number, change: Partial<Job>) {
  jobs.value = jobs.value.map((job) => (job.key === key ? { ...job, ...change } : job));
}

async function run(key: number, file: File, store: boolean): Promise<Notarization> {
  update(key, { phase: 'hashing', bytes: 0 });
  const sha256 = await hashFile(file, (bytes) => update(key, { bytes }));
  update(key, { sha256 });
  if (store) {
    update(key, { phase: 'uploading', bytes: 0 });
    return await uploadAndNotarize(
      file,
      sha256,
      (bytes) => update(key, { bytes }),
      () => update(key, { phase: 'verifying' }),
    );
  }
  update(key, { phase: 'submitting' });
  return await api<Notarization>('POST', '/v1/notarizations', {
    body: { sha256, ...(file.name ? { name: file.name } : {}) },
  });
}

function pump() {
  while (running < CONCURRENCY) {
    const next = waiting.shift();
    if (!next) return;
    running += 1;
    run(next.key, next.file, next.store)
      .then((notarization) => {
        update(next.key, { phase: 'done' });
        next.done(notarization);
      })
      .catch((err: unknown) => update(next.key, { phase: 'failed', error: describeError(err) }))
      .finally(() => {
        running -= 1;
        pump();
      });
  }
}

/** Hashes each file (and stores it, if asked) and notarizes it; `done` gets each notarization. */
export function enqueue(files: readonly File[], store: boolean, done: (n: Notarization) => void) {
  const added = files.map((file) => {
    const key = nextKey++;
    waiting.push({ key, file, store, done });
    return { key, name: file.name, size: file.size, phase: 'queued', bytes: 0 } satisfies Job;
  });
  jobs.value = [...added, ...jobs.value];
  pump();
}
