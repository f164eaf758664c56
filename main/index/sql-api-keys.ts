import type { ApiKeyRecord, ApiKeyStore } from '../accounts/api-key-record.ts';
import type { Role } from '../../common/roles.ts';
import type { SqlEngine } from './sql-engine.ts';

/** API keys in the index (migration 13), the same on every engine. */
export class SqlApiKeyStore implements ApiKeyStore {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows =
      await this.engine.all(`SELECT name, role, key_hash AS "keyHash", created_at AS "createdAt", created_by AS "createdBy", last_used AS "lastUsed"
      FROM api_keys ORDER BY name`);
    return rows.map((r) => ({
      name: String(r.name),
      role: String(r.role) as Role,
      keyHash: String(r.keyHash),
      createdAt: String(r.createdAt),
      createdBy: String(r.createdBy),
      lastUsed: String(r.lastUsed ?? ''),
    }));
  }

  async create(key: Omit<ApiKeyRecord, 'createdAt' | 'lastUsed'>): Promise<boolean> {
    const { changes } = await this.engine.run(
      `${this.engine.dialect.insertIgnore} INTO api_keys (name, role, key_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
      [key.name, key.role, key.keyHash, new Date().toISOString(), key.createdBy],
    );
    return changes > 0;
  }

  async touch(name: string, at: string): Promise<void> {
    await this.engine.run('UPDATE api_keys SET last_used = ? WHERE name = ?', [at, name]);
  }

  async remove(name: string): Promise<boolean> {
    return (await this.engine.run('DELETE FROM api_keys WHERE name = ?', [name])).changes > 0;
  }
}
