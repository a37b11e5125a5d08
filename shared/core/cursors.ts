import canonicalize from 'canonicalize';
import type { MessageAuthenticator } from '../ports/message-authenticator';
import type { Page } from '../ports/page';
import { StempelError } from './errors';

/** What a cursor is valid for: one listing, as one caller asked for it (filters included). */
export type CursorBinding = Readonly<Record<string, string>> & {
  readonly listing: string;
  readonly caller: string;
};

const invalidCursor = () =>
  new StempelError('invalid', 'invalid_cursor', 'The cursor is not one this listing issued to you.');

const CURSOR = /^([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})$/;

/**
 * Pagination cursors the service can recognise as its own: the store's
 * position, with a MAC over it and the binding. A cursor that was changed,
 * made up, or issued for another caller or listing is refused with 400
 * `invalid_cursor` before any store sees it, so stores only ever continue
 * from positions they produced themselves.
 *
 * @example
 * const binding = { listing: 'users', caller: principal.userId };
 * const page = await store.list(limit, await cursors.open(query.cursor, binding));
 * return cursors.sealPage(page, binding);
 */
export class Cursors {
  constructor(private readonly authenticator: MessageAuthenticator) {}

  async seal(position: string, binding: CursorBinding): Promise<string> {
    const body = Buffer.from(position, 'utf8');
    const tag = await this.authenticator.mac(signedBytes(body, binding));
    return `${body.toString('base64url')}.${Buffer.from(tag).toString('base64url')}`;
  }

  /** The store position inside `cursor`; undefined for the first page. */
  async open(cursor: string | undefined, binding: CursorBinding): Promise<string | undefined> {
    if (cursor === undefined) return undefined;
    const match = CURSOR.exec(cursor);
    if (!match) throw invalidCursor();
    const [, bodyText = '', tagText = ''] = match;
    const body = Buffer.from(bodyText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    // Only canonical base64url: otherwise one cursor would have many spellings.
    if (body.toString('base64url') !== bodyText || tag.toString('base64url') !== tagText)
      throw invalidCursor();
    if (!(await this.authenticator.verify(signedBytes(body, binding), new Uint8Array(tag)))) {
      throw invalidCursor();
    }
    return body.toString('utf8');
  }

  /** The page with its store position replaced by a sealed cursor. */
  async sealPage<T>(page: Page<T>, binding: CursorBinding): Promise<Page<T>> {
    if (page.nextCursor === undefined) return { items: page.items };
    return { items: page.items, nextCursor: await this.seal(page.nextCursor, binding) };
  }
}

const signedBytes = (body: Buffer, binding: CursorBinding) =>
  Buffer.concat([Buffer.from(`stempel-cursor:${canonicalize(binding)}\n`, 'utf8'), body]);
