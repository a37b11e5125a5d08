import { createHash, createPublicKey, verify } from 'node:crypto';
import type { Signer } from '../ports/signer';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys: a text
 * body, a blank line, then signature lines `— <name> <base64(key hash ‖ sig)>`.
 * Verifier keys are `<name>+<8 hex key hash>+<base64(0x01 ‖ public key)>`.
 */

const ED25519 = 0x01;
const EM_DASH = '\u2014';

export class NoteError extends Error {
  override readonly name = 'NoteError';
}

export interface VerifierKey {
  readonly name: string;
  readonly keyHash: number;
  readonly publicKey: Uint8Array;
}

/** Key names are non-empty and free of spaces, control characters and '+'. */
const validName = (name: string) =>
  name.length > 0 && !/\s/u.test(name) && [...name].every((c) => (c.codePointAt(0) ?? 0) > 0x20 && c !== '+');

/** First four bytes (big-endian) of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). */
export function keyHash(name: string, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(name)
    .update('\n')
    .update(Uint8Array.of(ED25519))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!validName(name)) throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
  const hash = keyHash(name, publicKey).toString(16).padStart(8, '0');
  return `${name}+${hash}+${Buffer.concat([Uint8Array.of(ED25519), publicKey]).toString('base64')}`;
}

export function parseVerifierKey(text: string): VerifierKey {
  // Name and hash never contain '+'; the base64 key may.
  const m = /^([^+]+)\+([^+]*)\+(.*)$/.exec(text.trim());
  if (!m) throw new NoteError('the verifier key is not of the form name+hash+key');
  const [, name, hashHex, keyB64] = m as unknown as [string, string, string, string];
  if (!validName(name) || !/^[0-9a-f]{8}$/.test(hashHex))
    throw new NoteError('the verifier key is malformed');
  const raw = Buffer.from(keyB64, 'base64');
  if (raw.toString('base64') !== keyB64) throw new NoteError('the verifier key is not valid base64');
  if (raw.length !== 33 || raw[0] !== ED25519) throw new NoteError('the verifier key is not an Ed25519 key');
  const publicKey = new Uint8Array(raw.subarray(1));
  const computed = keyHash(name, publicKey);
  if (computed !== Number.parseInt(hashHex, 16))
    throw new NoteError('the verifier key hash does not match its key');
  return { name, keyHash: computed, publicKey };
}

/** Signs `body` (which must end in a newline) and returns the whole note. */
export async function signNote(body: string, name: string, signer: Signer): Promise<string> {
  if (!body.endsWith('\n') || body.includes('\n\n'))
    throw new NoteError('a note body ends with one newline and has no blank line');
  const publicKey = await signer.publicKey();
  const signature = await signer.sign(new TextEncoder().encode(body));
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(keyHash(name, publicKey));
  return `${body}\n${EM_DASH} ${name} ${Buffer.concat([prefix, signature]).toString('base64')}\n`;
}

/**
 * Returns the body of `note` if it carries a valid signature by `key`;
 * signatures by other keys are ignored, as the spec requires.
 */
export function openNote(note: string, key: VerifierKey): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed note: no signature block');
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const ed25519 = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.publicKey).toString('base64url') },
    format: 'jwk',
  });
  let sawOurKey = false;
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new NoteError('malformed signature line');
    const raw = Buffer.from(m[2] as string, 'base64');
    if (m[1] !== key.name || raw.length < 4 || raw.readUInt32BE(0) !== key.keyHash) continue;
    sawOurKey = true;
    if (raw.toString('base64') !== m[2]) continue; // non-canonical encodings would make one signature many
    if (raw.length === 68 && verify(null, Buffer.from(body), ed25519, raw.subarray(4))) return body;
  }
  throw new NoteError(sawOurKey ? 'the signature is invalid' : 'the note is not signed by this key');
}
