import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../common/roles.ts';
import type { AuditEntry } from '../audit/audit-record.ts';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-record.ts';
import { AccountRefused, type Principal } from './accounts.ts';
import { msg } from '../../common/message.ts';

/** What a key looks like: a prefix that says what it is (in a log, a config file), then 256 random bits. */
export const API_KEY_PREFIX = 'pacs_';
const NAME = /^[\p{L}\p{N}._@ -]{1,64}$/u;
/** A peer's key is for reading and exchanging studies: never for accounts or settings. */
const KEY_ROLES: readonly Role[] = ['viewer', 'technician'];
const TOUCH_EVERY_MS = 60_000;

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/** A key as the Users screen lists it (never the key itself, which is shown once, when it is made). */
export type ApiKeyDto = Omit<ApiKeyRecord, 'keyHash'>;

/**
 * Keys for other systems (another workstation's DICOMweb node, a script): made by an admin for a named peer with the
 * viewer or technician role, shown once, kept as a hash, valid from any computer and across restarts until revoked.
 * Looked up in memory on each request (the store is read at start and written on each change); the last use is
 * written at most once a minute.
 */
export class ApiKeys {
  private readonly byHash = new Map<string, { name: string; role: Role; touched: number }>();
  private readonly store: ApiKeyStore;
  private readonly audit: (entry: AuditEntry) => void;

  constructor(store: ApiKeyStore, audit: (entry: AuditEntry) => void) {
    this.store = store;
    this.audit = audit;
  }

  async load(): Promise<void> {
    this.byHash.clear();
    for (const k of await this.store.list()) this.byHash.set(k.keyHash, { name: k.name, role: k.role, touched: 0 });
  }

  /** The principal a key stands for, or undefined (not a key, or revoked). */
  principal(key: string): Principal | undefined {
    if (!key.startsWith(API_KEY_PREFIX)) return undefined;
    const found = this.byHash.get(digest(key));
    if (!found) return undefined;
    const now = Date.now();
    if (now - found.touched > TOUCH_EVERY_MS) {
      found.touched = now;
      void this.store.touch(found.name, new Date(now).toISOString()).catch(() => undefined);
    }
    return { user: `${found.name} (API key)`, role: found.role, via: 'key', session: digest(key) };
  }

  /** Whether the key with this hash is still valid (not revoked). */
  valid(hash: string): boolean {
    return this.byHash.has(hash);
  }

  async list(): Promise<ApiKeyDto[]> {
    return (await this.store.list()).map(({ keyHash: _hash, ...k }) => k);
  }

  /** A new key for `name`: the key itself is in the answer, and nowhere else ever after. */
  async create(by: Principal, name: unknown, role: unknown, source: string): Promise<ApiKeyDto & { key: string }> {
    const keyName = typeof name === 'string' ? name.trim() : '';
    if (!NAME.test(keyName))
      throw new AccountRefused(400, msg('a key\'s name is 1-64 letters, digits, spaces, ".", "_", "@" or "-"'));
    if (!KEY_ROLES.includes(role as Role)) throw new AccountRefused(400, msg("a key's role is viewer or technician"));
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const keyHash = digest(key);
    if (!(await this.store.create({ name: keyName, role: role as Role, keyHash, createdBy: by.user }))) {
      throw new AccountRefused(409, msg('there is already a key named {name}', { name: keyName }));
    }
    this.byHash.set(keyHash, { name: keyName, role: role as Role, touched: 0 });
    this.audit({ user: by.user, source, action: 'key-created', detail: `${keyName} as ${String(role)}` });
    return { ...(await this.list()).find((k) => k.name === keyName)!, key };
  }

  async revoke(by: Principal, name: string, source: string): Promise<void> {
    if (!(await this.store.remove(name))) throw new AccountRefused(404, msg('no key named {name}', { name }));
    for (const [hash, k] of this.byHash) if (k.name === name) this.byHash.delete(hash);
    this.audit({ user: by.user, source, action: 'key-revoked', detail: name });
  }
}
