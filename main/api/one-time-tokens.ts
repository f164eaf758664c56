import { randomBytes } from 'node:crypto';

/** At most this many tokens wait at once; past it the oldest goes (a caller asking in a loop cannot grow memory). */
const MAX_WAITING = 1000;

/**
 * Random tokens that each work once, for a short time, and carry what they were made for: the one-time links that
 * stand for a credential where a URL must carry it (a download link, a WebSocket, a sign-in link printed at start), so
 * that the credential itself never travels in a URL, a browser's history or a log.
 */
export class OneTimeTokens<T> {
  private readonly waiting = new Map<string, { value: T; expires: number }>();
  private readonly lifeMs: number;
  private readonly now: () => number;

  constructor(lifeMs: number, now: () => number = Date.now) {
    this.lifeMs = lifeMs;
    this.now = now;
  }

  issue(value: T): { token: string; expiresAt: string } {
    const now = this.now();
    for (const [token, grant] of this.waiting) if (grant.expires <= now) this.waiting.delete(token);
    if (this.waiting.size >= MAX_WAITING) this.waiting.delete(this.waiting.keys().next().value!);
    const token = randomBytes(24).toString('base64url');
    const expires = now + this.lifeMs;
    this.waiting.set(token, { value, expires });
    return { token, expiresAt: new Date(expires).toISOString() };
  }

  /** What the token was made for, once; undefined when unknown, used or expired. */
  take(token: string): T | undefined {
    const grant = this.waiting.get(token);
    if (!grant) return undefined;
    this.waiting.delete(token);
    return grant.expires > this.now() ? grant.value : undefined;
  }

  clear(): void {
    this.waiting.clear();
  }
}
