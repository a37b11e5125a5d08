import { createHash } from 'node:crypto';

/**
 * The id of the notarization of `sha256` by `owner`: the same pair always
 * gets the same id (an RFC 9562 version 8 UUID from SHA-256 of the pair), so
 * "at most one notarization per owner and document" is one conditional write
 * of one item, with no separate reservation and no transaction. The id reveals
 * nothing the public log entry does not already show (it holds id, owner and
 * hash).
 */
export function notarizationId(owner: string, sha256: string): string {
  const bytes = createHash('sha256')
    .update(`stempel/notarization/v1\n${owner}\n${sha256}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80; // version 8: custom
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
