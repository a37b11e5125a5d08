import { signal } from '@preact/signals';

const STORAGE_KEY = 'stempel.verifierKey';

/**
 * The verifier key the user pinned. It lives in this browser only and is never
 * replaced by what a server announces: a server being checked cannot choose
 * the key it is checked against.
 */
export const pinnedKey = signal<string | null>(localStorage.getItem(STORAGE_KEY));

export function pinKey(key: string) {
  const trimmed = key.trim();
  localStorage.setItem(STORAGE_KEY, trimmed);
  pinnedKey.value = trimmed;
}
