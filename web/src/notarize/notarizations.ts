import { signal } from '@preact/signals';
import type { LiveEntry } from '../../../shared/core/live-protocol';
import { api } from '../api/client';
import type { Notarization, NotarizationList } from '../api/types';

/** The user's notarizations as the page shows them, newest first. */
export const notarizations = signal<readonly Notarization[]>([]);
export const nextCursor = signal<string | undefined>(undefined);

export async function loadFirstPage() {
  const page = await api<NotarizationList>('GET', '/v1/notarizations?limit=25');
  notarizations.value = page.items;
  nextCursor.value = page.nextCursor;
}

export async function loadMore() {
  const cursor = nextCursor.value;
  if (!cursor) return;
  const page = await api<NotarizationList>(
    'GET',
    `/v1/notarizations?limit=25&cursor=${encodeURIComponent(cursor)}`,
  );
  const known = new Set(notarizations.value.map((n) => n.id));
  notarizations.value = [...notarizations.value, ...page.items.filter((n) => !known.has(n.id))];
  nextCursor.value = page.nextCursor;
}

/** A new (or repeated: 200) notarization goes to the top once. */
export function add(notarization: Notarization) {
  notarizations.value = [notarization, ...notarizations.value.filter((n) => n.id !== notarization.id)];
}

function replace(updated: Notarization) {
  notarizations.value = notarizations.value.map((n) => (n.id === updated.id ? updated : n));
}

/** Marks sealed what the live channel reports; returns the names of those that were pending here. */
export function markSealed(entries: readonly LiveEntry[]): Notarization[] {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const sealedNow: Notarization[] = [];
  notarizations.value = notarizations.value.map((n) => {
    const entry = byId.get(n.id);
    if (!entry || n.status === 'sealed') return n;
    const sealed: Notarization = { ...n, status: 'sealed', logIndex: entry.index };
    sealedNow.push(sealed);
    return sealed;
  });
  return sealedNow;
}

/** Asks the API about every pending one (after a reconnect, or where there is no live channel). */
export async function recheckPending(): Promise<Notarization[]> {
  const pending = notarizations.value.filter((n) => n.status === 'pending');
  const fresh = await Promise.all(pending.map((n) => api<Notarization>('GET', `/v1/notarizations/${n.id}`)));
  const sealedNow = fresh.filter((n) => n.status !== 'pending');
  for (const n of sealedNow) replace(n);
  return sealedNow;
}
