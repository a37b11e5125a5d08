import { createHash, hkdfSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalSecretBox } from '../../shared/adapters/local-secret-box';
import {
  allowedContentType,
  contentDisposition,
  DEFAULT_CONTENT_TYPE,
  fileNameProblem,
} from '../../shared/core/file-names';
import { deriveFileKey, OwnerKeys } from '../../shared/core/owner-keys';
import { MIN_PART_BYTES, partLayout } from '../../shared/core/uploads';
import type { OwnerKeyStore } from '../../shared/ports/owner-key-store';

describe('file names', () => {
  it('accepts ordinary names in any script', () => {
    for (const name of [
      'report.pdf',
      'Vertrag “Müller” 2026.pdf',
      '契約書.docx',
      'a',
      `${'x'.repeat(251)}.pdf`,
    ])
      expect(fileNameProblem(name), name).toBeUndefined();
  });

  it('refuses control characters, separators, directory references, padding and over-long names', () => {
    const refused: [string, RegExp][] = [
      ['', /empty/],
      ['a\u0000b', /control/],
      ['a\nb', /control/],
      ['a\u007fb', /control/],
      ['a\u0085b', /control/],
      ['a\u2028b', /control/],
      ['../x', /separators/],
      ['a\\b', /separators/],
      ['..', /directory/],
      [' x.pdf', /white space/],
      [`${'é'.repeat(128)}`, /255 bytes/],
    ];
    for (const [name, problem] of refused)
      expect(fileNameProblem(name), JSON.stringify(name)).toMatch(problem);
  });

  it('serves only allow-listed types, ignoring case and parameters', () => {
    expect(allowedContentType('application/PDF; charset=binary')).toBe('application/pdf');
    expect(allowedContentType('text/html')).toBe(DEFAULT_CONTENT_TYPE);
    expect(allowedContentType('image/svg+xml')).toBe(DEFAULT_CONTENT_TYPE);
    expect(allowedContentType(undefined)).toBe(DEFAULT_CONTENT_TYPE);
  });

  it('writes Content-Disposition with an ASCII fallback and the exact name per RFC 8187', () => {
    expect(contentDisposition(undefined)).toBe('attachment');
    expect(contentDisposition('a "quoted" 100%.pdf')).toBe(
      `attachment; filename="a _quoted_ 100_.pdf"; filename*=UTF-8''a%20%22quoted%22%20100%25.pdf`,
    );
    const header = contentDisposition("l'été (1).txt");
    expect(header).toBe(
      `attachment; filename="l'_t_ (1).txt"; filename*=UTF-8''l%27%C3%A9t%C3%A9%20%281%29.txt`,
    );
    const encoded = header.split("UTF-8''")[1] as string;
    expect(decodeURIComponent(encoded)).toBe("l'été (1).txt");
  });
});

describe('multipart layout', () => {
  it('uses parts of at least the minimum, at most 10,000 of them, covering the size exactly', () => {
    for (const size of [
      5 * 2 ** 20,
      MIN_PART_BYTES,
      MIN_PART_BYTES + 1,
      20 * 2 ** 20,
      5 * 2 ** 30,
      5 * 2 ** 40,
    ]) {
      const { partSize, parts } = partLayout(size);
      expect(partSize).toBeGreaterThanOrEqual(MIN_PART_BYTES);
      expect(parts).toBeLessThanOrEqual(10_000);
      expect((parts - 1) * partSize).toBeLessThan(size);
      expect(parts * partSize).toBeGreaterThanOrEqual(size);
    }
    expect(partLayout(20 * 2 ** 20)).toEqual({ partSize: MIN_PART_BYTES, parts: 2 });
  });
});

class MemoryKeyStore implements OwnerKeyStore {
  readonly keys = new Map<string, string>();
  async get(owner: string) {
    return this.keys.get(owner);
  }
  async putIfAbsent(owner: string, wrapped: string) {
    if (this.keys.has(owner)) return false;
    this.keys.set(owner, wrapped);
    return true;
  }
  async delete(owner: string) {
    this.keys.delete(owner);
  }
}

describe('owner keys', () => {
  const box = new LocalSecretBox(join(mkdtempSync(join(tmpdir(), 'stempel-owner-keys-')), 'k.key'));

  it('derive one key per file with HKDF-SHA256 (RFC 5869), as the README documents', () => {
    const ownerKey = createHash('sha256').update('owner').digest();
    const expected = Buffer.from(
      hkdfSync('sha256', ownerKey, Buffer.alloc(0), 'stempel/file-key/v1:owners/u/1', 32),
    );
    expect(Buffer.from(deriveFileKey(ownerKey, 'owners/u/1'))).toEqual(expected);
    expect(Buffer.from(deriveFileKey(ownerKey, 'owners/u/2'))).not.toEqual(expected);
  });

  it('create one key per owner even under concurrent first use, stored only wrapped for that owner', async () => {
    const store = new MemoryKeyStore();
    const keys = new OwnerKeys(store, box);
    const derived = await Promise.all(
      Array.from({ length: 8 }, () => keys.fileKey('alice', 'owners/alice/f')),
    );
    for (const k of derived) expect(Buffer.from(k)).toEqual(Buffer.from(derived[0] as Uint8Array));
    const wrapped = store.keys.get('alice') as string;
    expect(wrapped).toBeDefined();
    // Moved to another owner, the wrapped key does not open.
    store.keys.set('mallory', wrapped);
    await expect(keys.fileKey('mallory', 'owners/alice/f')).rejects.toThrow();
  });

  it('forget an owner for good when destroyed; a new key derives other file keys', async () => {
    const store = new MemoryKeyStore();
    const keys = new OwnerKeys(store, box);
    const before = await keys.fileKey('bob', 'owners/bob/f');
    expect(await keys.existingFileKey('bob', 'owners/bob/f')).toEqual(before);
    await keys.destroy('bob');
    expect(await keys.existingFileKey('bob', 'owners/bob/f')).toBeUndefined();
    expect(Buffer.from(await keys.fileKey('bob', 'owners/bob/f'))).not.toEqual(Buffer.from(before));
  });
});
