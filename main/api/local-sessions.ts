import { randomBytes } from 'node:crypto';

/** At most this many local sessions at once; past it the oldest ends (sign-in links asked for in a loop). */
const MAX_SESSIONS = 100;

/**
 * Sessions of the local administrator in this computer's browser, opened by a sign-in link: the page holds only an
 * HttpOnly cookie, never the install's secret. Each lasts `maxHours`; all end when the secret is replaced.
 */
export class LocalSessions {
  private readonly open = new Map<string, number>();
  private readonly maxHours: () => number;
  private readonly now: () => number;

  constructor(maxHours: () => number, now: () => number = Date.now) {
    this.maxHours = maxHours;
    this.now = now;
  }

  start(): string {
    const now = this.now();
    for (const [token, expires] of this.open) if (expires <= now) this.open.delete(token);
    if (this.open.size >= MAX_SESSIONS) this.open.delete(this.open.keys().next().value!);
    const token = randomBytes(32).toString('base64url');
    this.open.set(token, now + this.maxHours() * 3_600_000);
    return token;
  }

  valid(token: string): boolean {
    const expires = this.open.get(token);
    if (expires === undefined) return false;
    if (expires > this.now()) return true;
    this.open.delete(token);
    return false;
  }

  end(token: string): void {
    this.open.delete(token);
  }

  clear(): void {
    this.open.clear();
  }
}
