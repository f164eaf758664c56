import type { AccountStore, UserRecord } from '../accounts/account-record.ts';
import type { Role } from '../../common/roles.ts';
import type { SqlEngine } from './sql-engine.ts';

const SELECT = `SELECT name, role, password_hash AS "passwordHash", created_at AS "createdAt", changed_at AS "changedAt", failures,
  locked_until AS "lockedUntil", last_login AS "lastLogin" FROM users`;

const COLUMN: Record<string, string> = {
  role: 'role',
  passwordHash: 'password_hash',
  failures: 'failures',
  lockedUntil: 'locked_until',
  lastLogin: 'last_login',
};

function record(row: Record<string, unknown>): UserRecord {
  return {
    name: String(row.name),
    role: String(row.role) as Role,
    passwordHash: String(row.passwordHash),
    createdAt: String(row.createdAt),
    changedAt: String(row.changedAt),
    failures: Number(row.failures),
    lockedUntil: String(row.lockedUntil),
    lastLogin: String(row.lastLogin),
  };
}

/** Users in the index (migration 10), the same on every engine. */
export class SqlAccountStore implements AccountStore {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  async list(): Promise<UserRecord[]> {
    return (await this.engine.all(`${SELECT} ORDER BY name`)).map(record);
  }

  async find(name: string): Promise<UserRecord | undefined> {
    const [row] = await this.engine.all(`${SELECT} WHERE name = ?`, [name]);
    return row ? record(row) : undefined;
  }

  async create(user: Pick<UserRecord, 'name' | 'role' | 'passwordHash'>): Promise<boolean> {
    const now = new Date().toISOString();
    const { changes } = await this.engine.run(
      `${this.engine.dialect.insertIgnore} INTO users (name, role, password_hash, created_at, changed_at) VALUES (?, ?, ?, ?, ?)`,
      [user.name, user.role, user.passwordHash, now, now],
    );
    return changes > 0;
  }

  async update(
    name: string,
    changes: Partial<Pick<UserRecord, 'role' | 'passwordHash' | 'failures' | 'lockedUntil' | 'lastLogin'>>,
  ): Promise<boolean> {
    const keys = Object.keys(changes).filter((k) => COLUMN[k]);
    const changed = keys.some((k) => k === 'role' || k === 'passwordHash');
    const sets = [...keys.map((k) => `${COLUMN[k]} = ?`), ...(changed ? ['changed_at = ?'] : [])];
    if (!sets.length) return (await this.find(name)) !== undefined;
    const params = [
      ...keys.map((k) => (changes as Record<string, unknown>)[k]),
      ...(changed ? [new Date().toISOString()] : []),
      name,
    ];
    const [exists] = await this.engine.all('SELECT 1 AS one FROM users WHERE name = ?', [name]);
    if (!exists) return false;
    await this.engine.run(`UPDATE users SET ${sets.join(', ')} WHERE name = ?`, params);
    return true;
  }

  async remove(name: string): Promise<boolean> {
    return (await this.engine.run('DELETE FROM users WHERE name = ?', [name])).changes > 0;
  }
}
