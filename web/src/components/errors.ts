import { ApiError } from '../api/problem';
import { t } from '../i18n';

/** What to tell the user about a failed call: the common cases in their language, else the server's detail. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'network') return t('common.networkError');
    if (err.status === 403) return t('common.forbidden');
    return t('common.error', { detail: err.message });
  }
  return t('common.error', { detail: err instanceof Error ? err.message : String(err) });
}
