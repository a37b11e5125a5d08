import { ApiError } from '../../api/problem';
import { describeError } from '../../components/errors';
import { type MessageKey, t } from '../../i18n';

// Problem codes of the admin routes that deserve a sentence of their own; others show the server's detail.
const KNOWN: Readonly<Record<string, MessageKey>> = {
  last_admin: 'admin.error.lastAdmin',
  username_taken: 'admin.error.usernameTaken',
  user_not_found: 'admin.error.userNotFound',
  invalid_range: 'admin.error.invalidRange',
  invalid_cursor: 'admin.error.invalidCursor',
};

/** What to tell the admin about a failed call, the API's problem shown plainly. */
export function adminError(err: unknown): string {
  if (err instanceof ApiError) {
    const key = KNOWN[err.code];
    if (key) return t(key);
    if (err.status === 400) return t('admin.error.invalidRequest', { detail: err.message });
  }
  return describeError(err);
}

export const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';
