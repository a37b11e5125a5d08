// 'buffer/' is the npm package even under Node (bare 'buffer' would be Node's own there).
import { Buffer } from 'buffer/';

/**
 * The `buffer` package's Buffer, taught the one encoding Node has and it lacks:
 * `base64url` (signed-note.ts writes Ed25519 JWKs with it). Patched on the
 * package's own class, once, before the browser uses it;
 * test/unit/node-crypto-shim.test.ts compares it with Node's Buffer.
 */
const from = Buffer.from.bind(Buffer) as (...args: unknown[]) => Buffer;
const encode = Buffer.prototype.toString;

const toBase64 = (text: string) => text.replace(/-/g, '+').replace(/_/g, '/');
const toBase64Url = (text: string) => text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

Buffer.from = ((...args: unknown[]) => {
  const [value, encoding] = args;
  if (typeof value === 'string' && encoding === 'base64url') return from(toBase64(value), 'base64');
  return from(...args);
}) as typeof Buffer.from;

Buffer.prototype.toString = function (this: Buffer, encoding?: string, start?: number, end?: number) {
  if (encoding === 'base64url') return toBase64Url(encode.call(this, 'base64', start, end));
  return encode.call(this, encoding, start, end);
};

export { Buffer };
