import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkpointBody } from '../../shared/core/checkpoint';
import { appendNodes, type Hash, hashLeaf, type NodeReader, rootHash } from '../../shared/core/merkle';
import { formatVerifierKey, signNote } from '../../shared/core/signed-note';
import {
  entriesPath,
  entryBundle,
  rootFromTiles,
  TILE_WIDTH,
  type TileAddress,
  tileBytes,
  tilePath,
  tilesForRoot,
} from '../../shared/core/tiles';
import type { Signer } from '../../shared/ports/signer';
import {
  auditLog,
  type FetchLike,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  tileIndexPath,
} from '../independent/tlog-tiles-client.mjs';

/*
 * The independent client (test/independent/tlog-tiles-client.mjs) is written
 * from the C2SP specs alone. Here the log's own code builds the static files
 * of a log (tiles, entry bundles, signed checkpoint) in memory, a fake fetch
 * serves them, and the client must agree with the log, and must notice any
 * tampering.
 */

const ORIGIN = 'example.com/stempel-test';
const PREFIX = 'https://log.example.com/stempel-test/';

function memorySigner(): Signer & { privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url'));
  return {
    privateKey,
    sign: async (m) => new Uint8Array(sign(null, m, privateKey)),
    publicKey: async () => raw,
  };
}

const signer = memorySigner();
const VKEY = formatVerifierKey(ORIGIN, await signer.publicKey());

// Entries of assorted lengths: empty, short, and longer than 255 bytes (both bytes of the uint16 length).
const entry = (i: number): Uint8Array =>
  i === 0
    ? new Uint8Array()
    : new TextEncoder().encode(i % 97 === 0 ? `entry ${i} `.repeat(40) : `entry ${i}`);

/** One tree of MAX_SIZE leaves, built by the log's own append code; smaller trees are its prefixes. */
const MAX_SIZE = 70_000;
const nodes = new Map<string, Hash>();
const read: NodeReader = (l, i) => {
  const h = nodes.get(`${l}/${i}`);
  if (!h) throw new Error(`node ${l}/${i} not stored`);
  return h;
};
for (const [l, i, h] of appendNodes(
  read,
  0,
  Array.from({ length: MAX_SIZE }, (_, i) => hashLeaf(entry(i))),
)) {
  nodes.set(`${l}/${i}`, h);
}

type Files = Map<string, Uint8Array>;

/** The tiles and entry bundles a log of `size` serves (no stale partial tiles). */
function tileFiles(size: number): Files {
  const files: Files = new Map();
  for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
    const count = Math.floor(size / TILE_WIDTH ** level);
    const tiles: TileAddress[] = [];
    for (let index = 0; index < Math.floor(count / TILE_WIDTH); index++)
      tiles.push({ level, index, width: TILE_WIDTH });
    if (count % TILE_WIDTH)
      tiles.push({ level, index: Math.floor(count / TILE_WIDTH), width: count % TILE_WIDTH });
    for (const t of tiles) {
      files.set(tilePath(t), tileBytes(read, t));
      if (level === 0) {
        const first = t.index * TILE_WIDTH;
        const bundle = entryBundle(Array.from({ length: t.width }, (_, i) => entry(first + i)));
        files.set(entriesPath(t.index, t.width), bundle);
      }
    }
  }
  return files;
}

const checkpointFile = async (size: number, root: Hash = rootHash(read, size), s: Signer = signer) =>
  new TextEncoder().encode(
    await signNote(checkpointBody({ origin: ORIGIN, size, rootHash: root }), ORIGIN, s),
  );

/** All the files of a log of `size`: its checkpoint, tiles and entry bundles. */
async function logFiles(size: number): Promise<Files> {
  const files = tileFiles(size);
  files.set('checkpoint', await checkpointFile(size));
  return files;
}

/** A fetch that serves `files` under PREFIX, recording the paths asked for. */
function serve(files: Files) {
  const requested: string[] = [];
  const fetch: FetchLike = async (url) => {
    if (!url.startsWith(PREFIX)) return new Response('wrong host', { status: 404 });
    const path = url.slice(PREFIX.length);
    requested.push(path);
    const body = files.get(path);
    return body ? new Response(body) : new Response('not found', { status: 404 });
  };
  return { fetch, requested };
}

const audit = (files: Files, full = false, verifierKey = VKEY) =>
  auditLog({ prefix: PREFIX, verifierKey, fetch: serve(files).fetch, full });

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

const withFile = (files: Files, path: string, bytes: Uint8Array | undefined): Files => {
  const copy = new Map(files);
  if (bytes) copy.set(path, bytes);
  else copy.delete(path);
  return copy;
};

describe('independent tlog-tiles client: building blocks', () => {
  it('encodes tile indexes as the spec does', () => {
    expect(tileIndexPath(0)).toBe('000');
    expect(tileIndexPath(999)).toBe('999');
    expect(tileIndexPath(1000)).toBe('x001/000');
    expect(tileIndexPath(1234067)).toBe('x001/x234/067');
  });

  it('opens the Go reference note (golang.org/x/mod/sumdb/note) and rejects tampering', () => {
    const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
    const text =
      "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const note = `${text}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
    expect(openNote(note, vkey)).toBe(text);
    expect(parseVerifierKey(vkey).keyId).toBe(0xc74f20a3);
    expect(() => openNote(note.replace('problem,', 'problem!'), vkey)).toThrow(/does not verify/);
    // An unknown key's signature is ignored, but alone it is not enough.
    expect(() => openNote(note, VKEY)).toThrow(/no signature by/);
    expect(openNote(`${note}— ${ORIGIN} AAAAAAAA\n`, vkey)).toBe(text);
    expect(() => parseVerifierKey(vkey.replace('c74f20a3', 'c74f20a4'))).toThrow(/does not match/);
    expect(() => openNote(note.replace('problem,', 'problem,\r'), vkey)).toThrow(/control character/);
    expect(() => openNote(note.replace('\n\n', '\n'), vkey)).toThrow(/no signature block/);
  });

  it('parses checkpoint text strictly', () => {
    const root = Buffer.alloc(32, 7).toString('base64');
    expect(parseCheckpoint(`o\n12\n${root}\next one\n`)).toMatchObject({
      origin: 'o',
      size: 12,
      extensions: ['ext one'],
    });
    expect(() => parseCheckpoint(`o\n012\n${root}\n`)).toThrow(/size/);
    expect(() => parseCheckpoint(`o\n-1\n${root}\n`)).toThrow(/size/);
    expect(() => parseCheckpoint(`o\n1\n${Buffer.alloc(31).toString('base64')}\n`)).toThrow(/32 bytes/);
    expect(() => parseCheckpoint(`o\n1\n${root.slice(0, -1)}\n`)).toThrow(/base64/);
    expect(() => parseCheckpoint(`o\n1\n`)).toThrow(/three lines/);
    expect(() => parseCheckpoint(`o\n1\n${root}`)).toThrow(/newline/);
  });
});

describe('independent tlog-tiles client: roots', () => {
  it('computes the RFC 6962 reference roots (certificate-transparency test vectors)', async () => {
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ];
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    const data = leaves.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    for (let size = 1; size <= 8; size++) {
      const files: Files = new Map([
        [`tile/0/000.p/${size}`, Buffer.concat(data.slice(0, size).map(hashLeaf))],
        [`tile/entries/000.p/${size}`, entryBundle(data.slice(0, size))],
        ['checkpoint', await checkpointFile(size, Buffer.from(roots[size - 1] as string, 'hex'))],
      ]);
      const result = await audit(files, true);
      expect(hex(result.rootHash)).toBe(roots[size - 1]);
      expect(result.entries).toBe(size);
    }
  });

  it.each([0, 1, 2, 7, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 70_000])(
    'agrees with the log on the root of size %i, fetching only the tiles the spec names',
    async (size) => {
      const files = await logFiles(size);
      const { fetch, requested } = serve(files);
      const result = await auditLog({ prefix: PREFIX, verifierKey: VKEY, fetch });
      expect(result).toMatchObject({ origin: ORIGIN, size, entries: 0 });
      expect(hex(result.rootHash)).toBe(
        hex(size === 0 ? createHash('sha256').digest() : rootHash(read, size)),
      );
      expect(requested.sort()).toEqual(['checkpoint', ...tilesForRoot(size).map(tilePath)].sort());
    },
  );

  it.each([256 ** 3 + 5, 1_234_067 * 256 + 77, 2 ** 40 + 12_345, 2 ** 53 - 1])(
    'agrees with the log on the root of the huge size %i (synthetic tiles, x-prefixed paths)',
    async (size) => {
      // Only the right-edge tiles are ever fetched for a root, so random hashes stand in for a real tree.
      const files: Files = new Map();
      for (const t of tilesForRoot(size)) {
        const seed = createHash('sha256').update(tilePath(t)).digest();
        const hashes = Array.from({ length: t.width }, (_, i) =>
          createHash('sha256').update(seed).update(String(i)).digest(),
        );
        files.set(tilePath(t), new Uint8Array(Buffer.concat(hashes)));
      }
      const expected = rootFromTiles(size, (t) => files.get(tilePath(t)) as Uint8Array);
      files.set('checkpoint', await checkpointFile(size, expected));
      const { fetch, requested } = serve(files);
      const result = await auditLog({ prefix: PREFIX, verifierKey: VKEY, fetch });
      expect(hex(result.rootHash)).toBe(hex(expected));
      expect(requested.some((p) => p.includes('/x'))).toBe(true);
    },
  );
});

describe('independent tlog-tiles client: full audit', () => {
  it.each([0, 1, 2, 255, 256, 257, 511, 512, 513, 600])(
    'checks every entry and tile of a log of size %i, fetching each exactly once',
    async (size) => {
      const files = await logFiles(size);
      const { fetch, requested } = serve(files);
      const result = await auditLog({ prefix: PREFIX, verifierKey: VKEY, fetch, full: true });
      expect(result.entries).toBe(size);
      expect(requested.sort()).toEqual([...files.keys()].sort());
    },
  );

  it('checks a log of 70000 entries', async () => {
    const files = await logFiles(70_000);
    const { fetch, requested } = serve(files);
    const result = await auditLog({ prefix: PREFIX, verifierKey: VKEY, fetch, full: true });
    expect(result.entries).toBe(70_000);
    expect(new Set(requested).size).toBe(files.size);
    expect(requested.length).toBe(files.size);
  });

  it('falls back to the full tile when the log has deleted a partial one, as tlog-tiles allows', async () => {
    // The log published a checkpoint at 257, grew to 600, and deleted the partial
    // tiles and bundles whose full version now exists.
    const files = new Map([...tileFiles(257), ...tileFiles(600)]);
    files.delete('tile/0/001.p/1');
    files.delete('tile/entries/001.p/1');
    files.set('checkpoint', await checkpointFile(257));
    const result = await audit(files, true);
    expect(result).toMatchObject({ size: 257, entries: 257 });
    expect(hex(result.rootHash)).toBe(hex(rootHash(read, 257)));
  });
});

describe('independent tlog-tiles client: rejections', () => {
  it('rejects a flipped byte anywhere in any tile or bundle of a full audit', async () => {
    const files = await logFiles(600);
    const edge = new Set(tilesForRoot(600).map(tilePath));
    for (const [path, bytes] of files) {
      if (path === 'checkpoint') continue;
      for (const at of [0, 1, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const tampered = withFile(files, path, flipped(bytes, at));
        await expect(audit(tampered, true), `${path} @${at}`).rejects.toThrow();
        // Without `full`, only the right-edge tiles are fetched, and so checked.
        if (edge.has(path)) await expect(audit(tampered), `${path} @${at}`).rejects.toThrow(/root hash/);
      }
    }
  });

  it('names the tile that does not hash up in a full audit', async () => {
    const files = await logFiles(600);
    const tile = files.get('tile/0/000') as Uint8Array;
    await expect(audit(withFile(files, 'tile/0/000', flipped(tile, 100)), true)).rejects.toThrow(
      /tile\/0\/000 does not hash to hash 0 of tile\/1\/000\.p\/2/,
    );
    const bundle = files.get('tile/entries/002.p/88') as Uint8Array;
    await expect(
      audit(withFile(files, 'tile/entries/002.p/88', flipped(bundle, bundle.length - 1)), true),
    ).rejects.toThrow(
      /tile\/entries\/002\.p\/88: entry 599 does not hash to its leaf hash in tile\/0\/002\.p\/88/,
    );
  });

  it('rejects a flipped byte in any right-edge tile of a large log', async () => {
    const files = await logFiles(70_000);
    for (const path of tilesForRoot(70_000).map(tilePath)) {
      const bytes = files.get(path) as Uint8Array;
      await expect(audit(withFile(files, path, flipped(bytes, bytes.length - 1)))).rejects.toThrow(
        /root hash from the tiles/,
      );
    }
  });

  it('rejects truncated, overlong and missing tiles and bundles', async () => {
    const files = await logFiles(600);
    for (const [path, bytes] of files) {
      if (path === 'checkpoint') continue;
      await expect(
        audit(withFile(files, path, bytes.subarray(0, bytes.length - 1)), true),
        path,
      ).rejects.toThrow(/bytes|truncated/);
      if (!path.startsWith('tile/entries/'))
        await expect(
          audit(withFile(files, path, bytes.subarray(0, bytes.length - 32)), true),
        ).rejects.toThrow(/bytes, (a full tile has|expected)/);
      await expect(
        audit(withFile(files, path, Buffer.concat([bytes, bytes.subarray(0, 32)])), true),
      ).rejects.toThrow();
      await expect(audit(withFile(files, path, undefined), true)).rejects.toThrow(/HTTP 404/);
    }
    // A bundle with one entry too many.
    await expect(
      audit(
        withFile(
          files,
          'tile/entries/002.p/88',
          entryBundle(Array.from({ length: 89 }, (_, i) => entry(512 + i))),
        ),
        true,
      ),
    ).rejects.toThrow(/89 entries, expected 88/);
  });

  it('reports the URL and status of a failed fetch', async () => {
    const files = await logFiles(300);
    const failing: FetchLike = async (url) =>
      url.endsWith('tile/0/001.p/44') ? new Response('oops', { status: 500 }) : serve(files).fetch(url);
    await expect(auditLog({ prefix: PREFIX, verifierKey: VKEY, fetch: failing })).rejects.toThrow(
      `GET ${PREFIX}tile/0/001.p/44: HTTP 500`,
    );
    await expect(audit(withFile(files, 'checkpoint', undefined))).rejects.toThrow(
      `GET ${PREFIX}checkpoint: HTTP 404`,
    );
  });

  it('rejects a wrong signature', async () => {
    const files = await logFiles(300);
    const note = new TextDecoder().decode(files.get('checkpoint'));
    const [text, sigLine] = note.split('\n\n') as [string, string];
    const [dash, name, sig] = sigLine.trimEnd().split(' ') as [string, string, string];
    const raw = Buffer.from(sig, 'base64');
    raw[10] = (raw[10] ?? 0) ^ 1; // in the signature, not the key ID
    const badSig = `${text}\n\n${dash} ${name} ${raw.toString('base64')}\n`;
    await expect(audit(withFile(files, 'checkpoint', Buffer.from(badSig)))).rejects.toThrow(
      /does not verify/,
    );
    // The body changed after signing.
    const badBody = note.replace('\n300\n', '\n299\n');
    await expect(audit(withFile(files, 'checkpoint', Buffer.from(badBody)))).rejects.toThrow(
      /does not verify/,
    );
    // Signed by another key under the log's name.
    const other = await checkpointFile(300, rootHash(read, 300), memorySigner());
    await expect(audit(withFile(files, 'checkpoint', other))).rejects.toThrow(/no signature by/);
    // A wrong key given to the client.
    const otherKey = formatVerifierKey(ORIGIN, await memorySigner().publicKey());
    await expect(audit(files, false, otherKey)).rejects.toThrow(/no signature by/);
    // No signature at all, or a malformed signature line.
    await expect(audit(withFile(files, 'checkpoint', Buffer.from(text)))).rejects.toThrow(/checkpoint/);
    await expect(audit(withFile(files, 'checkpoint', Buffer.from(`${note}garbage\n`)))).rejects.toThrow(
      /malformed signature line/,
    );
    // Not UTF-8.
    await expect(
      audit(withFile(files, 'checkpoint', Buffer.concat([Buffer.from([0xff]), Buffer.from(note)]))),
    ).rejects.toThrow(/not valid UTF-8/);
    // A signed checkpoint whose root is wrong.
    const wrongRoot = await checkpointFile(300, rootHash(read, 299));
    await expect(audit(withFile(files, 'checkpoint', wrongRoot))).rejects.toThrow(/root hash from the tiles/);
    // Extra signatures by unknown keys (witnesses, say) are ignored.
    const cosigned = `${note}— witness.example/w ${Buffer.alloc(68, 3).toString('base64')}\n`;
    await expect(audit(withFile(files, 'checkpoint', Buffer.from(cosigned)))).resolves.toMatchObject({
      size: 300,
    });
  });

  it('rejects a key whose name is not the checkpoint origin', async () => {
    const files = await logFiles(300);
    const publicKey = await signer.publicKey();
    // The right public key under another name: the signature line names the origin, so it is not this key's.
    await expect(audit(files, false, formatVerifierKey('example.com/other', publicKey))).rejects.toThrow(
      /no signature by example\.com\/other/,
    );
    // A validly signed note under another key name than its origin.
    const body = checkpointBody({ origin: ORIGIN, size: 300, rootHash: rootHash(read, 300) });
    const signedAsOther = await signNote(body, 'example.com/other', signer);
    await expect(
      audit(
        withFile(files, 'checkpoint', Buffer.from(signedAsOther)),
        false,
        formatVerifierKey('example.com/other', publicKey),
      ),
    ).rejects.toThrow(/origin "example.com\/stempel-test" is not the key name "example.com\/other"/);
  });

  it('rejects malformed verifier keys', async () => {
    const files = await logFiles(1);
    await expect(audit(files, false, 'no-plus-signs')).rejects.toThrow(/verifier key/);
    await expect(audit(files, false, VKEY.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).rejects.toThrow(
      /does not match/,
    );
    await expect(audit(files, false, `${VKEY.split('+')[0]}+${VKEY.split('+')[1]}+AQ==`)).rejects.toThrow(
      /32 bytes/,
    );
  });
});

describe('independent tlog-tiles client: command line', () => {
  it('audits a log over HTTP and exits 0, or prints the error and exits 1', async () => {
    const files = await logFiles(600);
    const server = createServer((req, res) => {
      const body = files.get((req.url ?? '').replace(/^\/log\//, ''));
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const prefix = `http://127.0.0.1:${(server.address() as AddressInfo).port}/log/`;
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['test/independent/tlog-tiles-client.mjs', ...args]);
    try {
      const { stdout } = await run(prefix, VKEY, '--full');
      expect(stdout).toMatch(/^OK example\.com\/stempel-test size 600 root \S+, 600 entries checked\n$/);
      const wrongKey = formatVerifierKey(ORIGIN, await memorySigner().publicKey());
      await expect(run(prefix, wrongKey)).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^FAIL /),
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
