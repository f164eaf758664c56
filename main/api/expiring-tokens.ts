import { randomBytes } from 'node:crypto';

/**
 * Random tokens that carry what they were made for and hold for a while: the one-time links that stand for a
 * credential where a URL must carry it (a download link, a WebSocket, a sign-in link printed at start; `take`, once),
 * so that the credential itself never travels in a URL, a browser's history or a log; and the local administrator's
 * browser sessions a sign-in link opens (`peek`, as long as they hold). At most `max` wait at once; past it the
 * oldest goes (a caller asking in a loop cannot grow memory).
 */
export class ExpiringTokens<T> {
  private readonly waiting = new Map<string, { value: T; expires: number }>();
  private readonly lifeMs: () => number;
  private readonly max: number;
  private readonly now: () => number;

  /** `life`: milliseconds, or a function giving them as a setting says now. */
  constructor(life: number | (() => number), options: { max?: number; now?: () => number } = {}) {
    this.lifeMs = typeof life === 'number' ? () => life : life;
    this.max = options.max ?? 1000;
    this.now = options.now ?? Date.now;
  }

  issue(value: T): { token: string; expiresAt: string } {
    const now = this.now();
    for (const [token, grant] of this.waiting) if (grant.expires <= now) this.waiting.delete(token);
    if (this.waiting.size >= this.max) this.waiting.delete(this.waiting.keys().next().value!);
    const token = randomBytes(32).toString('base64url');
    const expires = now + this.lifeMs();
    this.waiting.set(token, { value, expires });
    return { token, expiresAt: new Date(expires).toISOString() };
  }

  /** What the token was made for, once; undefined when unknown, used or expired. */
  take(token: string): T | undefined {
    const value = this.peek(token);
    this.waiting.delete(token);
    return value;
  }

  /** What the token was made for, while it holds (it stays); undefined when unknown or expired. */
  peek(token: string): T | undefined {
    const grant = this.waiting.get(token);
    if (!grant) return undefined;
    if (grant.expires > this.now()) return grant.value;
    this.waiting.delete(token);
    return undefined;
  }

  clear(): void {
    this.waiting.clear();
  }
}
