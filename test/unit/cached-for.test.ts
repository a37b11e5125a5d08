import { describe, expect, it } from 'vitest';
import { cachedFor } from '../../shared/runtime/once';

describe('cachedFor', () => {
  it('reuses an answer for its time to live, shares a call in flight, and forgets failures', async () => {
    let clock = 0;
    let calls = 0;
    let fail = false;
    const load = async () => {
      calls++;
      if (fail) throw new Error('down');
      return calls;
    };
    const get = cachedFor(1000, load, () => clock);
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    clock = 999;
    expect(await get()).toBe(1);
    clock = 1000;
    expect(await get()).toBe(2);
    clock = 2000;
    fail = true;
    await expect(get()).rejects.toThrow('down');
    fail = false;
    expect(await get()).toBe(4); // the failure was not kept, although its time has not run out
  });
});
