import type { LogStore } from '../../shared/ports/log-store';

/** A LogStore that delegates to `store` except where `overrides` says otherwise (fault injection, timing). */
export const wrapLogStore = (store: LogStore, overrides: Partial<LogStore>): LogStore => ({
  head: () => store.head(),
  initialize: (empty) => store.initialize(empty),
  readTiles: (keys) => store.readTiles(keys),
  readBundle: (index) => store.readBundle(index),
  pending: (limit) => store.pending(limit),
  indexed: (ids) => store.indexed(ids),
  commit: (batch) => store.commit(batch),
  markSealed: (positions, sealedAt) => store.markSealed(positions, sealedAt),
  quarantine: (entries, at) => store.quarantine(entries, at),
  finishSeal: (range) => store.finishSeal(range),
  ...overrides,
});
