import type { LogStore } from '../ports/log-store';
import { nodeKey } from '../ports/log-store';
import type { NodeReader } from './merkle';

/** Fetches the given nodes in one round of batch reads and serves them as a NodeReader. */
export async function readNodes(
  store: Pick<LogStore, 'readNodes'>,
  coordinates: readonly (readonly [number, number])[],
): Promise<NodeReader> {
  const nodes = coordinates.length > 0 ? await store.readNodes(coordinates) : new Map();
  return (level, index) => {
    const hash = nodes.get(nodeKey(level, index));
    if (!hash) throw new Error(`log node ${nodeKey(level, index)} is missing from storage`);
    return hash;
  };
}
