import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalMessageAuthenticator } from '../../shared/adapters/local-message-authenticator';
import { Cursors } from '../../shared/core/cursors';

const dir = mkdtempSync(join(tmpdir(), 'stempel-cursors-'));
const cursors = new Cursors(new LocalMessageAuthenticator(join(dir, 'a.key')));
const otherKey = new Cursors(new LocalMessageAuthenticator(join(dir, 'b.key')));
const mine = { listing: 'notarizations:own', caller: 'user-1' };
const position = JSON.stringify({ pk: 'NOTARIZATION#1', sk: 'NOTARIZATION', owner: 'user-1' });

const refused = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: 'invalid_cursor' });

describe('pagination cursors', () => {
  it('give back the position they sealed, to the same caller and listing', async () => {
    const cursor = await cursors.seal(position, mine);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await cursors.open(cursor, mine)).toBe(position);
    expect(await cursors.open(undefined, mine)).toBeUndefined();
  });

  it('refuse a cursor for another caller, another listing, or from another key', async () => {
    const cursor = await cursors.seal(position, mine);
    await refused(cursors.open(cursor, { ...mine, caller: 'user-2' }));
    await refused(cursors.open(cursor, { ...mine, listing: 'notarizations:all' }));
    await refused(otherKey.open(cursor, mine));
  });

  it('refuse a changed position, a changed or missing tag, and made-up cursors', async () => {
    const cursor = await cursors.seal(position, mine);
    const [body = '', tag = ''] = cursor.split('.');
    const tampered = Buffer.from(position.replace('user-1', 'user-2')).toString('base64url');
    await refused(cursors.open(`${tampered}.${tag}`, mine));
    await refused(cursors.open(`${body}.${tag.slice(0, -1)}${tag.endsWith('A') ? 'B' : 'A'}`, mine));
    await refused(cursors.open(body, mine));
    for (const junk of ['', '.', 'e30', `${body}.${tag}.x`, `${body}=.${tag}`, '{"pk":""}'])
      await refused(cursors.open(junk, mine));
  });

  it('refuse a non-canonical spelling of a genuine cursor', async () => {
    const cursor = await cursors.seal('ab', mine); // "YWI": the last character carries unused bits
    const [body = '', tag = ''] = cursor.split('.');
    const respelled = `${body.slice(0, -1)}${String.fromCharCode(body.charCodeAt(body.length - 1) + 1)}`;
    expect(Buffer.from(respelled, 'base64url').toString()).toBe('ab');
    await refused(cursors.open(`${respelled}.${tag}`, mine));
  });
});
