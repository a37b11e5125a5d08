import { describe, expect, it } from 'vitest';
import { streamImage } from '../../shared/adapters/stream-image';

describe('stream images', () => {
  it('reads an image, leaving out values without a type instead of failing the batch', () => {
    expect(
      streamImage({
        pk: { S: 'EVENT#1' },
        n: { N: '7' },
        changes: { M: { otp: { M: { from: { BOOL: true }, to: {} } } } },
        empty: { M: {} },
        list: { L: [{ S: 'a' }, {}] },
        flag: { BOOL: false },
      }),
    ).toEqual({ pk: 'EVENT#1', n: 7, changes: { otp: { from: true } }, list: ['a'], flag: false });
  });
});
