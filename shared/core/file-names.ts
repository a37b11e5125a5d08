/**
 * File names and types are metadata, shown back to people and put in a
 * Content-Disposition header; they never reach a path or an object key.
 */

/** Longest name accepted, in UTF-8 bytes (what common file systems allow). */
export const MAX_NAME_BYTES = 255;

/** Why `name` is not acceptable as a file name, or undefined if it is. */
export function fileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    return `must be at most ${MAX_NAME_BYTES} bytes of UTF-8`;
  // C0, DEL and C1 (Unicode category Cc), and the line and paragraph separators.
  if (/[\p{Cc}\u2028\u2029]/u.test(name)) return 'must not contain control characters';
  if (/[/\\]/.test(name)) return 'must not contain path separators';
  if (name === '.' || name === '..') return 'must be a file name, not a directory reference';
  if (name.trim() !== name) return 'must not start or end with white space';
  return undefined;
}

/** Types a download is served with; any other is served as application/octet-stream. */
export const ALLOWED_CONTENT_TYPES = [
  'application/pdf',
  'application/json',
  'application/xml',
  'application/zip',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/tiff',
  'text/plain',
  'text/csv',
  'audio/mpeg',
  'video/mp4',
] as const;
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The declared type if it is on the allow-list (parameters and case ignored), else octet-stream. */
export function allowedContentType(declared: string | undefined): string {
  const essence = declared?.split(';')[0]?.trim().toLowerCase();
  return (ALLOWED_CONTENT_TYPES as readonly string[]).find((t) => t === essence) ?? DEFAULT_CONTENT_TYPE;
}

/**
 * `attachment` with the name twice (RFC 6266): an ASCII fallback with
 * anything outside printable ASCII, quotes and backslashes replaced, and the
 * exact name as RFC 8187 `filename*` (UTF-8, percent-encoded).
 */
export function contentDisposition(name: string | undefined): string {
  if (!name) return 'attachment';
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
