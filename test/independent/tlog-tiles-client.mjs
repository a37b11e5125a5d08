// @ts-check
/**
 * An independent auditor for a transparency log served as C2SP tlog-tiles.
 *
 * It deliberately imports nothing from the Stempel code base and no npm
 * package: only node:crypto, node:url (for the CLI guard) and the global
 * fetch. It is written from the public specifications alone:
 *
 *   - https://c2sp.org/signed-note      (note format, Ed25519 signatures, key IDs)
 *   - https://c2sp.org/tlog-checkpoint  (checkpoint note text)
 *   - https://c2sp.org/tlog-tiles       (tiles, partial tiles, entry bundles)
 *   - RFC 9162 / RFC 6962 section 2.1   (Merkle Tree Hash)
 *
 * so that it shows a third party can audit the log from its static files.
 *
 * Usage as a program:
 *
 *   node test/independent/tlog-tiles-client.mjs <prefix> <verifier key> [--full]
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const HASH_SIZE = 32;
const TILE_HEIGHT = 8;
const TILE_WIDTH = 1 << TILE_HEIGHT; // 256 hashes per full tile
const ED25519_TYPE = 0x01;
const ED25519_SIGNATURE_SIZE = 64;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** How many level-0 tiles (each with its entry bundle) are checked at once in a full audit. */
const LEAF_TILE_CONCURRENCY = 16;

/**
 * @typedef {object} VerifierKey
 * @property {string} name
 * @property {number} keyId      the uint32 key ID (first four bytes of the key hash)
 * @property {Uint8Array} publicKey  the 32-byte Ed25519 public key
 */

/**
 * @typedef {object} Checkpoint
 * @property {string} origin
 * @property {number} size
 * @property {Uint8Array} rootHash
 * @property {string[]} extensions  extension lines, if any (opaque)
 */

/**
 * @typedef {object} AuditResult
 * @property {string} origin
 * @property {number} size
 * @property {Uint8Array} rootHash
 * @property {number} entries  entries whose leaf hash was checked (0 unless `full`)
 */

/** @typedef {(url: string) => Promise<Response>} FetchLike */

// ---------------------------------------------------------------------------
// Hashing (RFC 9162 section 2.1.1)

/** @param {...Uint8Array} parts */
const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
/** @param {Uint8Array} entry */
const leafHash = (entry) => sha256(LEAF_PREFIX, entry);
/** @param {Uint8Array} left @param {Uint8Array} right */
const nodeHash = (left, right) => sha256(NODE_PREFIX, left, right);

/** @param {Uint8Array} a @param {Uint8Array} b */
const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
/** @param {Uint8Array} b */
const b64 = (b) => Buffer.from(b).toString('base64');

/**
 * The Merkle Tree Hash of `count` consecutive hashes (count a power of two)
 * starting at hash number `offset` of a tile: the hashes are the leaves of a
 * perfect subtree, so hash them pairwise up to one.
 * @param {Uint8Array} tile @param {number} offset @param {number} count
 */
function perfectSubtreeHash(tile, offset, count) {
  /** @type {Uint8Array[]} */
  let level = [];
  for (let i = 0; i < count; i++)
    level.push(tile.subarray((offset + i) * HASH_SIZE, (offset + i + 1) * HASH_SIZE));
  while (level.length > 1) {
    /** @type {Uint8Array[]} */
    const up = [];
    for (let i = 0; i < level.length; i += 2)
      up.push(nodeHash(/** @type {Uint8Array} */ (level[i]), /** @type {Uint8Array} */ (level[i + 1])));
    level = up;
  }
  return /** @type {Uint8Array} */ (level[0]);
}

// ---------------------------------------------------------------------------
// Signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint)

/**
 * Strict standard base64 (RFC 4648 section 4): padded and canonical, so that
 * one byte string has exactly one accepted encoding.
 * @param {string} text @param {string} what
 */
function decodeBase64(text, what) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error(`${what} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new Error(`${what} is not canonical base64`);
  return new Uint8Array(bytes);
}

/** Key names are non-empty, without Unicode spaces or '+'. @param {string} name */
const validKeyName = (name) => name.length > 0 && !/[\s+]/u.test(name) && !/\p{Cc}/u.test(name);

/**
 * key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4], big-endian
 * @param {string} name @param {Uint8Array} publicKey
 */
function ed25519KeyId(name, publicKey) {
  const digest = sha256(new TextEncoder().encode(`${name}\n`), Uint8Array.of(ED25519_TYPE), publicKey);
  return new DataView(digest.buffer, digest.byteOffset).getUint32(0);
}

/**
 * Parses a verifier key `<name>+<8 hex digits key ID>+<base64(0x01 || public key)>`.
 * @param {string} text
 * @returns {VerifierKey}
 */
export function parseVerifierKey(text) {
  const parts = text.trim().split('+');
  // The name and ID contain no '+'; the base64 key may.
  if (parts.length < 3) throw new Error('verifier key is not of the form <name>+<key ID>+<key>');
  const [name, idHex, ...rest] = /** @type {[string, string, ...string[]]} */ (parts);
  if (!validKeyName(name)) throw new Error(`verifier key name ${JSON.stringify(name)} is invalid`);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new Error('verifier key ID is not 8 hex digits');
  const raw = decodeBase64(rest.join('+'), 'verifier key');
  if (raw[0] !== ED25519_TYPE) throw new Error('verifier key is not an Ed25519 (type 0x01) key');
  if (raw.length !== 1 + 32) throw new Error('verifier key is not 32 bytes long');
  const publicKey = raw.subarray(1);
  const keyId = ed25519KeyId(name, publicKey);
  if (keyId !== Number.parseInt(idHex, 16)) throw new Error('verifier key ID does not match the key');
  return { name, keyId, publicKey };
}

/**
 * Verifies a signed note against one trusted Ed25519 key and returns the note
 * text (which includes its final newline). Signatures by other keys are
 * ignored, as the spec requires; the note is rejected if a signature by this
 * key fails to verify (the spec's SHOULD) or if none verifies (MUST).
 * @param {string} note @param {string | VerifierKey} verifierKey
 */
export function openNote(note, verifierKey) {
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  // ASCII control characters other than newline are forbidden anywhere in a note.
  for (let i = 0; i < note.length; i++) {
    const c = note.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) throw new Error('note contains a control character');
  }
  if (!note.endsWith('\n')) throw new Error('note does not end with a newline');
  // The text is separated from the signatures by the last empty line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('note has no signature block (no blank line)');
  const text = note.slice(0, split + 1);
  const signatureLines = note.slice(split + 2, -1).split('\n');
  const publicKey = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, key.publicKey]),
    format: 'der',
    type: 'spki',
  });
  const message = new TextEncoder().encode(text);
  let verified = 0;
  for (const line of signatureLines) {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/u.exec(line);
    if (!m) throw new Error(`malformed signature line ${JSON.stringify(line)}`);
    const [, name, signatureText] = /** @type {[string, string, string]} */ (/** @type {unknown} */ (m));
    const raw = decodeBase64(signatureText, 'signature');
    if (raw.length < 4) throw new Error('signature is shorter than its key ID');
    const keyId = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
    if (name !== key.name || keyId !== key.keyId) continue; // someone else's signature
    const signature = raw.subarray(4);
    if (signature.length !== ED25519_SIGNATURE_SIZE || !verify(null, message, publicKey, signature)) {
      throw new Error(`the signature by ${key.name} does not verify`);
    }
    verified++;
  }
  if (verified === 0)
    throw new Error(
      `the note carries no signature by ${key.name}+${key.keyId.toString(16).padStart(8, '0')}`,
    );
  return text;
}

/**
 * Parses checkpoint note text (already verified): origin, tree size, root hash, extension lines.
 * @param {string} text
 * @returns {Checkpoint}
 */
export function parseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('checkpoint text does not end with a newline');
  if (lines.length < 3) throw new Error('checkpoint has fewer than three lines');
  if (lines.some((l) => l === '')) throw new Error('checkpoint has an empty line');
  const [origin, sizeText, rootText, ...extensions] = /** @type {[string, string, string, ...string[]]} */ (
    lines
  );
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText))
    throw new Error(`checkpoint tree size ${JSON.stringify(sizeText)} is not a decimal number`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new Error('checkpoint tree size is too large for this client');
  const rootHash = decodeBase64(rootText, 'checkpoint root hash');
  if (rootHash.length !== HASH_SIZE) throw new Error('checkpoint root hash is not 32 bytes');
  return { origin, size, rootHash, extensions };
}

// ---------------------------------------------------------------------------
// Tiles (c2sp.org/tlog-tiles)

/**
 * `<N>` as zero-padded 3-digit path elements, all but the last prefixed by 'x':
 * 1234067 → x001/x234/067.
 * @param {number} index
 */
export function tileIndexPath(index) {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`bad tile index ${index}`);
  const groups = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** @param {number} width */
const widthSuffix = (width) => (width === TILE_WIDTH ? '' : `.p/${width}`);
/** `tile/<L>/<N>[.p/<W>]` @param {number} level @param {number} index @param {number} width */
export const tilePath = (level, index, width) => `tile/${level}/${tileIndexPath(index)}${widthSuffix(width)}`;
/** `tile/entries/<N>[.p/<W>]` @param {number} index @param {number} width */
export const entriesPath = (index, width) => `tile/entries/${tileIndexPath(index)}${widthSuffix(width)}`;

/** Number of Merkle tree nodes at height 8·level in a tree of `size` leaves. @param {number} size @param {number} level */
const nodesAtLevel = (size, level) => Math.floor(size / TILE_WIDTH ** level);

/**
 * Parses an entry bundle: big-endian uint16 length-prefixed entries.
 * @param {Uint8Array} bundle @param {string} path
 */
function parseEntryBundle(bundle, path) {
  /** @type {Uint8Array[]} */
  const entries = [];
  const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) throw new Error(`${path}: truncated entry length`);
    const length = view.getUint16(at); // big-endian
    at += 2;
    if (at + length > bundle.length) throw new Error(`${path}: truncated entry`);
    entries.push(bundle.subarray(at, at + length));
    at += length;
  }
  return entries;
}

/**
 * A reader of the log's static resources under one prefix.
 * @param {string} prefix @param {FetchLike} fetchFn
 */
function resourceReader(prefix, fetchFn) {
  /** @param {string} path @returns {Promise<{ ok: true, bytes: Uint8Array } | { ok: false, status: number, url: string }>} */
  const get = async (path) => {
    const url = new URL(path, prefix).href;
    let response;
    try {
      response = await fetchFn(url);
    } catch (e) {
      throw new Error(`GET ${url} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return { ok: false, status: response.status, url };
    }
    return { ok: true, bytes: new Uint8Array(await response.arrayBuffer()) };
  };
  /** @param {string} path */
  const must = async (path) => {
    const r = await get(path);
    if (!r.ok) throw new Error(`GET ${r.url}: HTTP ${r.status}, expected 200`);
    return r.bytes;
  };
  /**
   * Fetches a partial resource; if it is gone (404), falls back to the full
   * one, which tlog-tiles lets logs serve instead once it exists.
   * @param {string} partialPath @param {string} fullPath
   * @returns {Promise<{ bytes: Uint8Array, full: boolean }>}
   */
  const partialOrFull = async (partialPath, fullPath) => {
    const r = await get(partialPath);
    if (r.ok) return { bytes: r.bytes, full: false };
    if (r.status !== 404) throw new Error(`GET ${r.url}: HTTP ${r.status}, expected 200`);
    const full = await get(fullPath);
    if (!full.ok) {
      throw new Error(
        `GET ${r.url}: HTTP 404, and the full resource GET ${full.url}: HTTP ${full.status}, expected 200`,
      );
    }
    return { bytes: full.bytes, full: true };
  };

  return {
    async checkpoint() {
      const bytes = await must('checkpoint');
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        throw new Error('checkpoint is not valid UTF-8');
      }
    },

    /**
     * The `width` hashes of tile (level, index), exactly width·32 bytes.
     * @param {number} level @param {number} index @param {number} width
     */
    async tile(level, index, width) {
      const path = tilePath(level, index, width);
      if (width === TILE_WIDTH) {
        const bytes = await must(path);
        if (bytes.length !== TILE_WIDTH * HASH_SIZE)
          throw new Error(`${path}: ${bytes.length} bytes, a full tile has ${TILE_WIDTH * HASH_SIZE}`);
        return bytes;
      }
      const fullPath = tilePath(level, index, TILE_WIDTH);
      const { bytes, full } = await partialOrFull(path, fullPath);
      const expected = (full ? TILE_WIDTH : width) * HASH_SIZE;
      if (bytes.length !== expected)
        throw new Error(`${full ? fullPath : path}: ${bytes.length} bytes, expected ${expected}`);
      return bytes.subarray(0, width * HASH_SIZE);
    },

    /**
     * The `width` entries of bundle `index`.
     * @param {number} index @param {number} width
     */
    async entries(index, width) {
      const path = entriesPath(index, width);
      const fullPath = entriesPath(index, TILE_WIDTH);
      const { bytes, full } =
        width === TILE_WIDTH ? { bytes: await must(path), full: true } : await partialOrFull(path, fullPath);
      const where = full ? fullPath : path;
      const entries = parseEntryBundle(bytes, where);
      const expected = full ? TILE_WIDTH : width;
      if (entries.length !== expected)
        throw new Error(`${where}: ${entries.length} entries, expected ${expected}`);
      return entries.slice(0, width);
    },
  };
}

/** @typedef {ReturnType<typeof resourceReader>} Reader */

/**
 * @typedef {object} EdgeTile  a right-most partial tile of the tree
 * @property {number} level
 * @property {number} index
 * @property {number} width
 * @property {Uint8Array} bytes
 */

/**
 * Fetches the right-most partial tile of every level whose node count is not
 * a multiple of 256 (the tiles a tree of this size needs for its root),
 * highest level first.
 * @param {Reader} reader @param {number} size
 * @returns {Promise<EdgeTile[]>}
 */
async function fetchEdgeTiles(reader, size) {
  /** @type {{ level: number, index: number, width: number }[]} */
  const wanted = [];
  for (let level = 0; nodesAtLevel(size, level) > 0; level++) {
    const count = nodesAtLevel(size, level);
    const width = count % TILE_WIDTH;
    if (width > 0) wanted.unshift({ level, index: Math.floor(count / TILE_WIDTH), width });
  }
  return Promise.all(
    wanted.map(async (t) => ({ ...t, bytes: await reader.tile(t.level, t.index, t.width) })),
  );
}

/**
 * RFC 9162 MTH of the tree from its right-edge tiles: the tree is a sequence of
 * perfect subtrees, one per set bit of its size, largest (left-most) first;
 * each tile's width decomposes into the ones of its level. MTH folds them
 * right to left: H(1 ‖ s0 ‖ H(1 ‖ s1 ‖ … sk)).
 * @param {EdgeTile[]} edgeTiles  highest level first
 */
function rootFromEdgeTiles(edgeTiles) {
  /** @type {Uint8Array[]} */
  const subtrees = [];
  for (const { width, bytes } of edgeTiles) {
    let offset = 0;
    for (let bit = TILE_HEIGHT - 1; bit >= 0; bit--) {
      const count = 1 << bit;
      if (width & count) {
        subtrees.push(perfectSubtreeHash(bytes, offset, count));
        offset += count;
      }
    }
  }
  if (subtrees.length === 0) return sha256(); // the empty tree
  let root = /** @type {Uint8Array} */ (subtrees[subtrees.length - 1]);
  for (let i = subtrees.length - 2; i >= 0; i--)
    root = nodeHash(/** @type {Uint8Array} */ (subtrees[i]), root);
  return root;
}

/**
 * Runs `task` for 0..count-1 with at most `limit` running at once.
 * @param {number} count @param {number} limit @param {(i: number) => Promise<void>} task
 */
async function forEachLimited(count, limit, task) {
  let next = 0;
  let failed = false;
  const worker = async () => {
    try {
      while (!failed && next < count) await task(next++);
    } catch (e) {
      failed = true; // stop the other workers starting more work
      throw e;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/**
 * Full audit below one verified tile: every hash of a tile at level L ≥ 1 must
 * be the MTH of the full tile it stands for at level L-1 (checked recursively
 * down to level 0), and every level-0 hash the leaf hash of its entry. Every
 * tile of the tree is reached exactly once from the right-edge tiles, and
 * each fetched tile's bytes are the ones both checked against the level above
 * and used to check the level below.
 * @param {Reader} reader @param {number} level @param {number} index @param {number} width
 * @param {Uint8Array} bytes  the tile's (already authenticated) hashes
 * @param {{ entries: number }} progress
 * @returns {Promise<void>}
 */
async function auditBelow(reader, level, index, width, bytes, progress) {
  const path = tilePath(level, index, width);
  const hashAt = (/** @type {number} */ i) => bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  if (level === 0) {
    const entries = await reader.entries(index, width);
    entries.forEach((entry, i) => {
      if (!equalBytes(leafHash(entry), hashAt(i))) {
        throw new Error(
          `${entriesPath(index, width)}: entry ${index * TILE_WIDTH + i} does not hash to its leaf hash in ${path}`,
        );
      }
    });
    progress.entries += entries.length;
    return;
  }
  const checkChild = async (/** @type {number} */ i) => {
    const childIndex = index * TILE_WIDTH + i;
    const child = await reader.tile(level - 1, childIndex, TILE_WIDTH);
    if (!equalBytes(perfectSubtreeHash(child, 0, TILE_WIDTH), hashAt(i))) {
      throw new Error(`${tilePath(level - 1, childIndex, TILE_WIDTH)} does not hash to hash ${i} of ${path}`);
    }
    await auditBelow(reader, level - 1, childIndex, TILE_WIDTH, child, progress);
  };
  if (level === 1) {
    await forEachLimited(width, LEAF_TILE_CONCURRENCY, checkChild);
  } else {
    // One subtree at a time keeps memory bounded by the tree height.
    for (let i = 0; i < width; i++) await checkChild(i);
  }
}

/**
 * Audits a C2SP tlog-tiles log: verifies the checkpoint's signature by
 * `verifierKey` (whose name must be the checkpoint origin), recomputes the
 * RFC 9162 root of the checkpoint's tree size from the tiles and compares it
 * with the checkpoint's. With `full`, also fetches every tile and entry
 * bundle and checks that every entry and every tile hashes up to that root.
 * Throws an Error saying what failed.
 *
 * @param {object} options
 * @param {string} options.prefix  URL under which the log is served (`<prefix>checkpoint`, `<prefix>tile/…`)
 * @param {string} options.verifierKey  `<name>+<key ID>+<base64 key>`
 * @param {FetchLike} [options.fetch]
 * @param {boolean} [options.full]
 * @returns {Promise<AuditResult>}
 */
export async function auditLog({ prefix, verifierKey, fetch = globalThis.fetch, full = false }) {
  const key = parseVerifierKey(verifierKey);
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const reader = resourceReader(base, (url) => fetch(url));

  const note = await reader.checkpoint();
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(openNote(note, key));
  } catch (e) {
    throw new Error(`checkpoint: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { origin, size, rootHash } = checkpoint;
  if (origin !== key.name) {
    throw new Error(
      `checkpoint origin ${JSON.stringify(origin)} is not the key name ${JSON.stringify(key.name)}`,
    );
  }

  const edgeTiles = await fetchEdgeTiles(reader, size);
  const computed = rootFromEdgeTiles(edgeTiles);
  if (!equalBytes(computed, rootHash)) {
    const paths = edgeTiles.map((t) => tilePath(t.level, t.index, t.width)).join(', ');
    throw new Error(
      `root hash from the tiles (${paths || 'none: empty tree'}) is ${b64(computed)}, the checkpoint says ${b64(rootHash)}`,
    );
  }

  const progress = { entries: 0 };
  if (full) {
    for (const t of edgeTiles) await auditBelow(reader, t.level, t.index, t.width, t.bytes, progress);
    if (progress.entries !== size)
      throw new Error(`checked ${progress.entries} entries, the tree has ${size}`);
  }
  return { origin, size, rootHash, entries: progress.entries };
}

// ---------------------------------------------------------------------------
// Command line

async function main() {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const positional = args.filter((a) => a !== '--full');
  if (positional.length !== 2 || positional.some((a) => a.startsWith('--'))) {
    console.error('usage: node tlog-tiles-client.mjs <prefix> <verifier key> [--full]');
    process.exitCode = 2;
    return;
  }
  const [prefix, verifierKey] = /** @type {[string, string]} */ (positional);
  try {
    const r = await auditLog({ prefix, verifierKey, full });
    console.log(
      `OK ${r.origin} size ${r.size} root ${b64(r.rootHash)}${full ? `, ${r.entries} entries checked` : ''}`,
    );
  } catch (e) {
    console.error(`FAIL ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
