import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { notarizationId } from '../../shared/core/notarization-id';

describe('notarization ids', () => {
  const owner = randomUUID();
  const hash = 'a'.repeat(64);

  it('are the same for the same owner and document, and differ otherwise', () => {
    expect(notarizationId(owner, hash)).toBe(notarizationId(owner, hash));
    expect(notarizationId(owner, hash)).not.toBe(notarizationId(randomUUID(), hash));
    expect(notarizationId(owner, hash)).not.toBe(notarizationId(owner, 'b'.repeat(64)));
  });

  it('are RFC 9562 version 8 UUIDs, which the API accepts as ids', () => {
    const id = notarizationId(owner, hash);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it('are fixed for all time: receipts and links carry them', () => {
    expect(notarizationId('00000000-0000-4000-8000-000000000000', 'f'.repeat(64))).toMatchInlineSnapshot(
      `"e7bb4b11-6941-8627-8233-e67ae0fe16af"`,
    );
  });
});
