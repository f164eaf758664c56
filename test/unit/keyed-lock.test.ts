import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../main/util/keyed-lock.ts';

/** One turn of the event loop (no timer): other holders get their chance. */
const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedLock', () => {
  it('runs holders of one key one after another, and of other keys side by side', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const holder = (key: string, name: string) =>
      lock.run(key, async () => {
        events.push(`${name} in`);
        await tick();
        await tick();
        events.push(`${name} out`);
        return name;
      });
    const results = await Promise.all([holder('a', 'a1'), holder('a', 'a2'), holder('b', 'b1')]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    // a2 enters only after a1 left; b1 is not held up by a1.
    expect(events.indexOf('a2 in')).toBeGreaterThan(events.indexOf('a1 out'));
    expect(events.indexOf('b1 in')).toBeLessThan(events.indexOf('a1 out'));
  });

  it('lets the next holder in when one throws', async () => {
    const lock = new KeyedLock();
    await expect(
      lock.run('k', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await lock.run('k', async () => 'next')).toBe('next');
  });
});
