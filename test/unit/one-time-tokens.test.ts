import { describe, expect, it } from 'vitest';
import { OneTimeTokens } from '../../main/api/one-time-tokens.ts';

/** One-time tokens (link tokens, sign-in links): once, until they expire, and a bounded number waiting. */
describe('one-time tokens', () => {
  it('gives what a token was made for once, and nothing after it expired', () => {
    let now = 1_000_000;
    const tokens = new OneTimeTokens<string>(60_000, () => now);
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
    const tokens = new OneTimeTokens<number>(60_000);
    const issued = Array.from({ length: 1001 }, (_, i) => tokens.issue(i).token);
    expect(tokens.take(issued[0]!)).toBeUndefined();
    expect(tokens.take(issued[1]!)).toBe(1);
    expect(tokens.take(issued[1000]!)).toBe(1000);
  });
});
