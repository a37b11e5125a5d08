import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

type Loose = Record<string, unknown>;

/** Removes attribute values that carry no type (`{}`), which unmarshall refuses, at any depth. */
function typed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(typed).filter((v) => v !== undefined);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  const kept = Object.entries(value as Loose).flatMap(([k, v]) => {
    const t = typed(v);
    return t === undefined ? [] : [[k, t] as const];
  });
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/**
 * A stream record's image as a plain object. DynamoDB Streams as read by the
 * SDK (the local runtime's trigger) hands some values over as `{}`; they are
 * left out (an empty map with them) rather than failing the whole batch.
 */
export function streamImage(image: Record<string, unknown>): Record<string, unknown> {
  return unmarshall((typed(image) ?? {}) as Record<string, AttributeValue>);
}
