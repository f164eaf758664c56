import { createHash, randomBytes } from 'node:crypto';
import { isRole, type Role } from '../../common/roles.ts';
import type { AuditEntry } from '../audit/audit-record.ts';
import type { AccountStore, UserRecord } from './account-record.ts';
import { DUMMY_HASH, hashPassword, passwordProblem, verifyPassword } from './password.ts';
import { BusyHashing } from './password-hasher.ts';
import { LoginThrottle } from './login-throttle.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg } from '../../common/message.ts';

/** Who a request comes from: an account with its role, the desktop's local secret (the local admin), or an API key. */
export interface Principal {
  user: string;
  role: Role;
  via: 'secret' | 'session' | 'key';
  /** The session's token hash (to end it at logout), or the API key's hash. */
  session?: string;
}

export interface UserDto {
  name: string;
  role: Role;
  createdAt: string;
  changedAt: string;
  lastLogin: string;
  locked: boolean;
}

export interface SessionGrant {
  token: string;
  user: string;
  role: Role;
  expiresAt: string;
}

/** A request about accounts refused, with the HTTP status that fits it. */
export class AccountRefused extends Refusal {
  readonly status: 400 | 401 | 403 | 404 | 409 | 429;
  readonly retryAfterSeconds?: number;
  constructor(status: 400 | 401 | 403 | 404 | 409 | 429, message: Message | string, retryAfterSeconds?: number) {
    super(status, message);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const LOCAL_ADMIN = 'local admin';
/** Consecutive failures allowed before the account is locked; the lock then doubles with each further failure. */
const FREE_FAILURES = 5;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
const NAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

export interface SessionLimits {
  /** A session ends after this long without a request... */
  idleMinutes: number;
  /** ...and this long after the login in any case. */
  maxHours: number;
}

interface Session {
  user: string;
  role: Role;
  created: number;
  seen: number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Users, passwords, sessions and the first administrator's set-up. Sessions live in memory (a restart logs everyone
 * out); an account's role change, password reset or deletion ends its sessions at once.
 */
export class Accounts {
  private readonly sessions = new Map<string, Session>();
  private setupToken: string | undefined;

  private readonly store: AccountStore;
  private readonly audit: (entry: AuditEntry) => void;
  private readonly limits: () => SessionLimits;
  /** The clock sessions and lockouts are timed by (a test's own, to step through an hour without waiting it). */
  private readonly now: () => number;
  private readonly throttle: LoginThrottle;

  constructor(
    store: AccountStore,
    audit: (entry: AuditEntry) => void,
    limits: () => SessionLimits,
    now: () => number = Date.now,
  ) {
    this.store = store;
    this.audit = audit;
    this.limits = limits;
    this.now = now;
    this.throttle = new LoginThrottle(now);
  }

  /** At start: when there is no account yet, a one-time token that lets one person create the first administrator. */
  async prepareSetup(): Promise<string | undefined> {
    this.setupToken = (await this.store.list()).length ? undefined : randomBytes(24).toString('base64url');
    return this.setupToken;
  }

  needsSetup(): boolean {
    return this.setupToken !== undefined;
  }

  async completeSetup(token: unknown, name: unknown, password: unknown, source: string): Promise<SessionGrant> {
    if (!this.setupToken || typeof token !== 'string' || digest(token) !== digest(this.setupToken)) {
      this.audit({
        user: String(name ?? ''),
        source,
        action: 'setup',
        outcome: 'refused',
        detail: 'wrong or used set-up link',
      });
      throw new AccountRefused(
        403,
        msg('this set-up link is not valid (it works once, until the first administrator exists)'),
      );
    }
    // Claimed before the first await: the same link used several times at once makes one administrator, not several.
    const claimed = this.setupToken;
    this.setupToken = undefined;
    let user: { name: string; role: Role };
    try {
      user = await this.newUser(name, 'admin', password);
    } catch (err) {
      this.setupToken = claimed; // refused (a weak password): the link still works
      throw err;
    }
    this.audit({ user: user.name, source, action: 'setup', detail: 'first administrator created' });
    return this.open(user.name, 'admin');
  }

  async login(name: unknown, password: unknown, source: string): Promise<SessionGrant> {
    const userName = typeof name === 'string' ? name.trim() : '';
    // An address that keeps failing waits before its next try, and costs no hashing meanwhile.
    const wait = this.throttle.waitFor(source);
    if (wait) {
      // Recorded once a minute per address, not once per request: a flood would otherwise fill the audit trail.
      if (this.throttle.shouldReport(source))
        this.audit({
          user: userName,
          source,
          action: 'login-failed',
          outcome: 'refused',
          detail: `too many failed logins from ${source}: refused for a while`,
        });
      // Answered after a pause: a flooding client's connections wait instead of asking thousands of times a second.
      await new Promise((resolve) => setTimeout(resolve, this.throttle.pauseMs));
      throw new AccountRefused(
        429,
        msg('too many failed logins from this computer: try again in {wait} s', { wait: String(wait) }),
        wait,
      );
    }
    const user = userName ? await this.store.find(userName) : undefined;
    const now = this.now();
    if (user?.lockedUntil && Date.parse(user.lockedUntil) > now) {
      const wait = Math.ceil((Date.parse(user.lockedUntil) - now) / 1000);
      this.audit({
        user: userName,
        source,
        action: 'login-failed',
        outcome: 'refused',
        detail: `locked for ${wait} s more`,
      });
      throw new AccountRefused(429, msg('too many failed logins: try again in {wait} s', { wait: String(wait) }), wait);
    }
    let good: boolean;
    try {
      good =
        (await verifyPassword(typeof password === 'string' ? password : '', user?.passwordHash ?? DUMMY_HASH)) &&
        user !== undefined;
    } catch (err) {
      if (err instanceof BusyHashing)
        throw new AccountRefused(429, msg('too many sign-ins at once: try again in a few seconds'), 2);
      throw err;
    }
    if (!good || !user) {
      this.throttle.failed(source);
      if (user) await this.failed(user, now);
      this.audit({
        user: userName,
        source,
        action: 'login-failed',
        outcome: 'failure',
        detail: user ? 'wrong password' : 'no such user',
      });
      throw new AccountRefused(401, msg('wrong user name or password'));
    }
    await this.store.update(user.name, { failures: 0, lockedUntil: '', lastLogin: new Date(now).toISOString() });
    this.audit({ user: user.name, source, action: 'login' });
    return this.open(user.name, user.role);
  }

  private async failed(user: UserRecord, now: number): Promise<void> {
    const failures = user.failures + 1;
    const lockMs =
      failures < FREE_FAILURES ? 0 : Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (failures - FREE_FAILURES));
    await this.store.update(user.name, { failures, lockedUntil: lockMs ? new Date(now + lockMs).toISOString() : '' });
  }

  private open(user: string, role: Role): SessionGrant {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    this.sessions.set(digest(token), { user, role, created: now, seen: now });
    return { token, user, role, expiresAt: new Date(now + this.limits().maxHours * 3_600_000).toISOString() };
  }

  /** The principal of a session token, if it is open and not expired (each request keeps it alive). */
  session(token: string): Principal | undefined {
    const key = digest(token);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    const now = this.now();
    const { idleMinutes, maxHours } = this.limits();
    if (now - s.seen > idleMinutes * 60_000 || now - s.created > maxHours * 3_600_000) {
      this.sessions.delete(key);
      return undefined;
    }
    s.seen = now;
    return { user: s.user, role: s.role, via: 'session', session: key };
  }

  /** Whether a session is still open (not ended, not expired), without counting this as its use. */
  sessionOpen(key: string): boolean {
    const s = this.sessions.get(key);
    if (!s) return false;
    const now = this.now();
    const { idleMinutes, maxHours } = this.limits();
    return now - s.seen <= idleMinutes * 60_000 && now - s.created <= maxHours * 3_600_000;
  }

  logout(principal: Principal, source: string): void {
    if (principal.session) this.sessions.delete(principal.session);
    this.audit({ user: principal.user, source, action: 'logout' });
  }

  private endSessions(user: string, except?: string): void {
    for (const [key, s] of this.sessions) if (s.user === user && key !== except) this.sessions.delete(key);
  }

  async changePassword(principal: Principal, current: unknown, next: unknown, source: string): Promise<void> {
    if (principal.via !== 'session')
      throw new AccountRefused(
        400,
        msg('the local administrator has no password; sign in with an account to change its password'),
      );
    const user = await this.store.find(principal.user);
    if (!user || !(await verifyPassword(typeof current === 'string' ? current : '', user.passwordHash))) {
      this.audit({
        user: principal.user,
        source,
        action: 'password-changed',
        outcome: 'refused',
        detail: 'current password wrong',
      });
      throw new AccountRefused(403, msg('the current password is wrong'));
    }
    const problem = passwordProblem(next, user.name);
    if (problem) throw new AccountRefused(400, problem);
    await this.store.update(user.name, { passwordHash: await hashPassword(next as string) });
    // Whoever else was signed in as this user (a stolen session, another desk) is signed out; this session goes on.
    this.endSessions(user.name, principal.session);
    this.audit({ user: user.name, source, action: 'password-changed' });
  }

  async listUsers(): Promise<UserDto[]> {
    const now = this.now();
    return (await this.store.list()).map((u) => ({
      name: u.name,
      role: u.role,
      createdAt: u.createdAt,
      changedAt: u.changedAt,
      lastLogin: u.lastLogin,
      locked: u.lockedUntil !== '' && Date.parse(u.lockedUntil) > now,
    }));
  }

  async createUser(by: Principal, name: unknown, role: unknown, password: unknown, source: string): Promise<UserDto> {
    const user = await this.newUser(name, role, password);
    this.audit({ user: by.user, source, action: 'user-created', detail: `${user.name} as ${user.role}` });
    return (await this.listUsers()).find((u) => u.name === user.name)!;
  }

  private async newUser(name: unknown, role: unknown, password: unknown): Promise<{ name: string; role: Role }> {
    const userName = typeof name === 'string' ? name.trim() : '';
    if (!NAME.test(userName))
      throw new AccountRefused(400, msg('a user name is 1-64 letters, digits, ".", "_", "@" or "-"'));
    if (userName.toLowerCase() === LOCAL_ADMIN)
      throw new AccountRefused(400, msg('"{name}" is the desktop\'s own name', { name: LOCAL_ADMIN }));
    if (!isRole(role)) throw new AccountRefused(400, msg('the role is admin, technician or viewer'));
    const problem = passwordProblem(password, userName);
    if (problem) throw new AccountRefused(400, problem);
    if (!(await this.store.create({ name: userName, role, passwordHash: await hashPassword(password as string) }))) {
      throw new AccountRefused(409, msg('there is already a user {userName}', { userName }));
    }
    return { name: userName, role };
  }

  /** An admin changes a user's role or sets a new password (which also unlocks it); the user's sessions end. */
  async updateUser(
    by: Principal,
    name: string,
    changes: { role?: unknown; password?: unknown },
    source: string,
  ): Promise<UserDto> {
    const user = await this.store.find(name);
    if (!user) throw new AccountRefused(404, msg('no user {name}', { name }));
    const update: Parameters<AccountStore['update']>[1] = {};
    if (changes.role !== undefined) {
      if (!isRole(changes.role)) throw new AccountRefused(400, msg('the role is admin, technician or viewer'));
      if (user.role === 'admin' && changes.role !== 'admin') await this.keepOneAdmin(name);
      update.role = changes.role;
    }
    if (changes.password !== undefined) {
      const problem = passwordProblem(changes.password, name);
      if (problem) throw new AccountRefused(400, problem);
      Object.assign(update, {
        passwordHash: await hashPassword(changes.password as string),
        failures: 0,
        lockedUntil: '',
      });
    }
    await this.store.update(name, update);
    this.endSessions(name);
    const what = [
      update.role && user.role !== update.role ? `role ${user.role} -> ${update.role}` : '',
      update.passwordHash ? 'password reset' : '',
    ]
      .filter(Boolean)
      .join(', ');
    this.audit({ user: by.user, source, action: 'user-changed', detail: `${name}: ${what || 'unchanged'}` });
    return (await this.listUsers()).find((u) => u.name === name)!;
  }

  async deleteUser(by: Principal, name: string, source: string): Promise<void> {
    const user = await this.store.find(name);
    if (!user) throw new AccountRefused(404, msg('no user {name}', { name }));
    if (user.role === 'admin') await this.keepOneAdmin(name);
    await this.store.remove(name);
    this.endSessions(name);
    this.audit({ user: by.user, source, action: 'user-deleted', detail: `${name} (${user.role})` });
  }

  private async keepOneAdmin(leaving: string): Promise<void> {
    if (!(await this.store.list()).some((u) => u.role === 'admin' && u.name !== leaving)) {
      throw new AccountRefused(
        409,
        msg('{leaving} is the last administrator: make another user an administrator first', { leaving }),
      );
    }
  }
}
