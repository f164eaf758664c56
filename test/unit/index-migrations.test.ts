import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SQLITE_MIGRATIONS } from '../../main/index/migrations/sqlite.ts';
import { SqliteIndex } from '../../main/index/sqlite.ts';

/** An index written by an earlier version is brought up to date when opened, its derived columns filled in. */
describe('SQLite index migrations', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('fills the study and series counts of an index from before they were kept', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-migrate-'));
    dirs.push(dir);
    const file = path.join(dir, 'old.db3');
    const db = new Database(file);
    for (const step of SQLITE_MIGRATIONS.filter((m) => m.version <= 2)) {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    }
    db.exec(`INSERT INTO patients (id, patient_id, updated_at) VALUES (1, 'P1', 'x');
      INSERT INTO studies (id, study_uid, patient_fk, updated_at) VALUES (1, '1.1', 1, 'x');
      INSERT INTO series (id, series_uid, study_fk, modality, updated_at) VALUES (1, '1.1.1', 1, 'CT', 'x'), (2, '1.1.2', 1, 'MR', 'x');
      INSERT INTO instances (sop_uid, series_fk, sop_class_uid, transfer_syntax, device, path, size, received_at)
        VALUES ('a', 1, 'c', 't', 0, 'a', 1, 'x'), ('b', 1, 'c', 't', 0, 'b', 1, 'x'), ('c', 2, 'c', 't', 0, 'c', 1, 'x');`);
    db.close();
    await new SqliteIndex(file).close();
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.at(-1)!.version);
    expect(after.prepare('SELECT num_series, num_instances, modalities FROM studies').get()).toEqual({
      num_series: 2,
      num_instances: 3,
      modalities: 'CT\\MR',
    });
    expect(after.prepare('SELECT num_instances FROM series ORDER BY id').all()).toEqual([
      { num_instances: 2 },
      { num_instances: 1 },
    ]);
    after.close();
  });
});
