import { describe, expect, it } from 'vitest';
import { ExpiringTokens } from '../../main/api/expiring-tokens.ts';

/**
 * Expiring tokens: one-time ones (link tokens, sign-in links) work once, until they expire, and a bounded number
 * wait; the local administrator's browser sessions hold for SessionMaxHours and all end when the secret is replaced.
 */
describe('one-time tokens', () => {
  it('gives what a token was made for once, and nothing after it expired', () => {
    let now = 1_000_000;
    const tokens = new ExpiringTokens<string>(60_000, { now: () => now });
    const a = tokens.issue('export');
    const b = tokens.issue('events');
    expect(a.token).not.toBe(b.token);
    expect(a.expiresAt).toBe(new Date(1_060_000).toISOString());
    expect(tokens.take(a.token)).toBe('export');
    expect(tokens.take(a.token)).toBeUndefined();
    now += 60_000;
    expect(tokens.take(b.token)).toBeUndefined();
    expect(tokens.take('made-up')).toBeUndefined();
  });

  it('keeps at most 1000 waiting: the oldest goes first', () => {
    const tokens = new ExpiringTokens<number>(60_000);
    const issued = Array.from({ length: 1001 }, (_, i) => tokens.issue(i).token);
    expect(tokens.take(issued[0]!)).toBeUndefined();
    expect(tokens.take(issued[1]!)).toBe(1);
    expect(tokens.take(issued[1000]!)).toBe(1000);
  });
});

describe('local sessions', () => {
  it('hold for their hours, then end; all end at once when the secret is replaced', () => {
    let now = 1_000_000;
    const sessions = new ExpiringTokens<true>(() => 2 * 3_600_000, { max: 100, now: () => now });
    const a = sessions.issue(true).token;
    const b = sessions.issue(true).token;
    expect(a).not.toBe(b);
    expect(sessions.peek(a) && sessions.peek(b)).toBe(true);
    expect(sessions.peek('made-up')).toBeUndefined();
    now += 2 * 3_600_000 - 1;
    expect(sessions.peek(a)).toBe(true);
    now += 1;
    expect(sessions.peek(a)).toBeUndefined();
    const c = sessions.issue(true).token;
    sessions.clear();
    expect(sessions.peek(c)).toBeUndefined();
  });

  it('keeps at most 100 at once, the oldest ending first', () => {
    const sessions = new ExpiringTokens<true>(() => 12 * 3_600_000, { max: 100 });
    const first = sessions.issue(true).token;
    for (let i = 0; i < 100; i++) sessions.issue(true);
    expect(sessions.peek(first)).toBeUndefined();
  });
});
