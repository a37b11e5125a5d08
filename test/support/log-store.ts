import type { LogStore } from '../../shared/ports/log-store';

/** A LogStore that delegates to `store` except where `overrides` says otherwise (fault injection, timing). */
export const wrapLogStore = (store: LogStore, overrides: Partial<LogStore>): LogStore => ({
  head: () => store.head(),
  initialize: (empty) => store.initialize(empty),
  readNodes: (coordinates) => store.readNodes(coordinates),
  leafEntry: (index) => store.leafEntry(index),
  pending: (limit) => store.pending(limit),
  commit: (batch) => store.commit(batch),
  ...overrides,
});
