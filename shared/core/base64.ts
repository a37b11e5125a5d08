/**
 * Decodes standard base64 only in its one canonical spelling (padding
 * present, unused bits zero); undefined otherwise. Lenient decoders accept
 * many spellings of the same bytes, which makes one proof or signature many.
 */
export function decodeCanonicalBase64(text: unknown, length?: number): Uint8Array | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  if (length !== undefined && bytes.length !== length) return undefined;
  return new Uint8Array(bytes);
}
