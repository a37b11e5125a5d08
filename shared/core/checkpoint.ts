import type { Signer } from '../ports/signer';
import { HASH_SIZE, type Hash } from './merkle';
import { NoteError, openNote, signNote, type VerifierKey } from './signed-note';

/** A C2SP tlog-checkpoint: the log's origin, size and root hash. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Hash;
}

export const checkpointBody = ({ origin, size, rootHash }: Checkpoint): string =>
  `${origin}\n${size}\n${Buffer.from(rootHash).toString('base64')}\n`;

/** The signed note, signed under the key name `origin` (as logs conventionally do). */
export const signCheckpoint = (checkpoint: Checkpoint, signer: Signer): Promise<string> =>
  signNote(checkpointBody(checkpoint), checkpoint.origin, signer);

/** Verifies the signature, then parses the body; throws NoteError saying what is wrong. */
export function openCheckpoint(note: string, key: VerifierKey): Checkpoint {
  const body = openNote(note, key);
  const [origin, sizeText, rootText] = body.split('\n');
  if (!origin || origin !== key.name) throw new NoteError('the checkpoint is for another log');
  if (!sizeText || !/^(0|[1-9]\d{0,15})$/.test(sizeText))
    throw new NoteError('the checkpoint size is malformed');
  const rootHash = Buffer.from(rootText ?? '', 'base64');
  if (rootHash.length !== HASH_SIZE || rootHash.toString('base64') !== rootText) {
    throw new NoteError('the checkpoint root hash is malformed');
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new NoteError('the checkpoint size is too large');
  return { origin, size, rootHash: new Uint8Array(rootHash) };
}
