import { describe, expect, it } from 'vitest';
import { LocalSessions } from '../../main/api/local-sessions.ts';

/** The local administrator's browser sessions (a sign-in link's): they last SessionMaxHours and end with the secret. */
describe('local sessions', () => {
  it('hold for their hours, then end; all end at once when the secret is replaced', () => {
    let now = 1_000_000;
    const sessions = new LocalSessions(() => 2, () => now);
    const a = sessions.start();
    const b = sessions.start();
    expect(a).not.toBe(b);
    expect(sessions.valid(a) && sessions.valid(b)).toBe(true);
    expect(sessions.valid('made-up')).toBe(false);
    now += 2 * 3_600_000 - 1;
    expect(sessions.valid(a)).toBe(true);
    now += 1;
    expect(sessions.valid(a)).toBe(false);
    const c = sessions.start();
    sessions.clear();
    expect(sessions.valid(c)).toBe(false);
  });

  it('keeps at most 100 at once, the oldest ending first', () => {
    const sessions = new LocalSessions(() => 12);
    const first = sessions.start();
    for (let i = 0; i < 100; i++) sessions.start();
    expect(sessions.valid(first)).toBe(false);
  });
});
