/**
 * Failed logins per client address (issue 30): each address has a bucket of BURST tries that refills one every
 * REFILL_MS; a failed login takes one, and an address with none left is refused (429 with Retry-After) before its
 * password is hashed at all, after a pause (pauseMs) that keeps a flood's request rate low. A good login does not cost
 * a try. The per-account lockout (accounts.ts) stays beside it.
 */

const BURST = 10;
const REFILL_MS = 6_000;
/** Addresses kept at most; the oldest is forgotten first (a flood from many addresses cannot fill the memory). */
const MAX_ADDRESSES = 10_000;

export class LoginThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly reported = new Map<string, number>();
  private readonly now: () => number;
  /** How long a refused login waits before its answer (a test's own clock wants none). */
  readonly pauseMs: number;

  constructor(now: () => number = Date.now, pauseMs = now === Date.now ? 1000 : 0) {
    this.now = now;
    this.pauseMs = pauseMs;
  }

  private bucket(address: string): { tokens: number; at: number } {
    const now = this.now();
    const b = this.buckets.get(address) ?? { tokens: BURST, at: now };
    const refilled = Math.floor((now - b.at) / REFILL_MS);
    if (refilled > 0) {
      b.tokens = Math.min(BURST, b.tokens + refilled);
      b.at = b.tokens === BURST ? now : b.at + refilled * REFILL_MS;
    }
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (this.buckets.size > MAX_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }

  /** Seconds this address must wait before it may try again (0: it may try now). */
  waitFor(address: string): number {
    const b = this.bucket(address);
    return b.tokens > 0 ? 0 : Math.ceil((b.at + REFILL_MS - this.now()) / 1000);
  }

  /** Whether a refusal for this address should be recorded now (once a minute at most). */
  shouldReport(address: string): boolean {
    const now = this.now();
    const last = this.reported.get(address) ?? -Infinity;
    if (now - last < 60_000) return false;
    this.reported.set(address, now);
    if (this.reported.size > MAX_ADDRESSES) this.reported.delete(this.reported.keys().next().value!);
    return true;
  }

  failed(address: string): void {
    const b = this.bucket(address);
    b.tokens = Math.max(0, b.tokens - 1);
  }
}
