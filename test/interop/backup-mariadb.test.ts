import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { seedConfig } from '../../main/config/load.ts';
import { serveCli, setIniKey } from '../helpers/cli-server.ts';
import { run } from '../helpers/dcmtk.ts';
import { getscu, studyAnswers } from '../helpers/qr-tools.ts';
import { makeImage, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { freshDatabaseName, testMariaDb } from '../helpers/mariadb.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { until } from '../helpers/wait.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

/**
 * Backup and restore of an archive whose index is on MariaDB (issue 33.2): `cli.ts backup` while storescu sends (the
 * index dumped with mariadb-dump --single-transaction as rows keep coming), again after the last object; `cli.ts
 * restore` into an empty data folder and a new database of the same server; the restored archive answers C-FIND as
 * the source did and gives back, by C-GET, every object's data set as it was sent. A database that is not empty is
 * refused.
 */
describe('backup and restore with the index on MariaDB', () => {
  let work: string;
  let images: MadeImage[];
  let sent: string[];
  const database = freshDatabaseName('backup');
  const restoredDb = `${database}_r`;
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], 300_000);

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-backup-mariadb-'));
    const studies = Array.from({ length: 4 }, () => uid());
    images = Array.from({ length: 200 }, (_, n) =>
      makeImage({ studyUid: studies[n % 4], instanceNumber: n, rows: 16, columns: 16 }),
    );
    sent = await writeImages(path.join(work, 'sent'), images);
  });
  afterAll(async () => {
    const admin = await mysql.createConnection(testMariaDb());
    for (const db of [database, restoredDb, `${database}_busy`]) await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await admin.end();
    await rm(work, { recursive: true, force: true });
  });

  it('dumps the index while objects arrive, and restores into a new database object for object', async () => {
    const db = testMariaDb();
    const data = path.join(work, 'data');
    const backup = path.join(work, 'backup');
    await seedConfig(path.join(data, 'config'));
    for (const [k, v] of Object.entries({
      MySQL: '1',
      SqLite: '0',
      SQLHost: `${db.host}:${db.port}`,
      SQLServer: database,
      Username: db.user,
      Password: db.password,
    }))
      await setIniKey(data, k, v);
    const source = serveCli(data);
    const { port } = await source.started;
    const ae = /LISTENING (\S+)/.exec(source.output())![1]!;
    const storescu = run('storescu', ['-aec', ae, '127.0.0.1', String(port), ...sent], 300_000);
    await until('the archive holds some objects', async () => (await studyAnswers(port, ae)).length >= 2);
    const during = await cli('backup', '--data', data, '--to', backup);
    expect(during.code, during.stderr).toBe(0);
    expect((await storescu).code).toBe(0);
    const after = await cli('backup', '--data', data, '--to', backup);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/backup: 200 object\(s\), .*; \d+ copied and 0 deleted by this run/);
    expect(await readFile(path.join(backup, 'index', 'archive.sql'), 'utf8')).toContain('CREATE TABLE `instances`');
    const before = await studyAnswers(port, ae);
    expect(before).toHaveLength(4);
    source.child.kill('SIGTERM');
    await source.exited;

    const restoredData = path.join(work, 'restored');
    const restored = await cli('restore', '--from', backup, '--data', restoredData, '--database', restoredDb);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/restore: 200 object\(s\), [\d.]+ MB checked and put in /);
    expect(await readFile(path.join(restoredData, 'config', 'dicom.ini'), 'utf8')).toMatch(
      new RegExp(`^SQLServer\\s*=\\s*${restoredDb}\\s*$`, 'm'),
    );
    const again = serveCli(restoredData);
    try {
      const { port: restoredPort } = await again.started;
      expect(await studyAnswers(restoredPort, ae)).toEqual(before);
      const got = path.join(work, 'got');
      const get = await getscu(restoredPort, ae, got, ['QueryRetrieveLevel=PATIENT', 'PatientID=PID001'], true);
      expect(get.code, get.stderr).toBe(0);
      const files = await readdir(got);
      expect(files).toHaveLength(200);
      const byUid = new Map(images.map((img) => [img.sopUid, img]));
      for (const f of files) {
        const bytes = await readFile(path.join(got, f));
        const original = byUid.get(readFileMeta(bytes).sopInstanceUid)!.bytes;
        expect(
          bytes
            .subarray(readFileMeta(bytes).dataSetOffset)
            .equals(original.subarray(readFileMeta(original).dataSetOffset)),
        ).toBe(true);
      }
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
    // Into a database that holds tables: refused, nothing written over.
    const busy = await cli(
      'restore',
      '--from',
      backup,
      '--data',
      path.join(work, 'restored2'),
      '--database',
      restoredDb,
    );
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/the database .* is not empty: restore into a new database/);
  }, 600_000);
});
