import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { filesUnder, serveCli } from '../helpers/cli-server.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { studyAnswers } from '../helpers/qr-tools.ts';
import { makeImage, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { until } from '../helpers/wait.ts';
import { MANIFEST, backupFile } from '../../main/backup/manifest.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

/**
 * Backup and restore (issue 33.2): `cli.ts backup` while storescu sends 1000 objects, killed once and run again, once
 * more after the last object (only what is new is copied); `cli.ts restore` into an empty data folder; the restored
 * archive answers C-FIND as the source did and gives back, by C-GET, every object as it was sent.
 */
describe('backup while the archive receives, and restore into an empty data folder', () => {
  let work: string;
  let images: MadeImage[];
  let sent: string[];
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], 300_000);

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-backup-'));
    // 1000 small objects in 20 studies of one patient.
    const studies = Array.from({ length: 20 }, () => uid());
    images = Array.from({ length: 1000 }, (_, n) =>
      makeImage({ studyUid: studies[n % 20], instanceNumber: n, rows: 16, columns: 16 }),
    );
    sent = await writeImages(path.join(work, 'sent'), images);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const manifestLines = async (dir: string) =>
    (await readFile(path.join(dir, MANIFEST), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

  it('backs up during an ingest (killed once, resumed), then only what is new, and restores object for object', async () => {
    const data = path.join(work, 'data');
    const backup = path.join(work, 'backup');
    const source = serveCli(data);
    const { port } = await source.started;
    const ae = /LISTENING (\S+)/.exec(source.output())![1]!;
    const storescu = run('storescu', ['-aec', ae, '127.0.0.1', String(port), ...sent], 300_000);
    await until('the archive holds some objects', async () => (await studyAnswers(port, ae)).length >= 5);

    // The first backup is killed once it has copied some objects; the next run goes on from its manifest.
    const first = spawn(process.execPath, [CLI, 'backup', '--data', data, '--to', backup], { stdio: 'ignore' });
    const firstEnded = new Promise((resolve) => first.once('exit', resolve));
    await until('the first backup has copied objects', async () => (await manifestLines(backup)) >= 20);
    first.kill('SIGKILL');
    await firstEnded;
    const copiedBeforeKill = await manifestLines(backup);
    expect(await readFile(path.join(backup, 'backup.json'), 'utf8').catch(() => 'none')).toBe('none');

    const second = await cli('backup', '--data', data, '--to', backup);
    expect(second.code, second.stderr).toBe(0);
    const resumed = /(\d+) copied and 0 deleted by this run/.exec(second.stdout);
    expect(resumed, second.stdout).not.toBeNull();
    expect((await storescu).code).toBe(0);

    // After the last object: only what arrived since the second backup is copied.
    const third = await cli('backup', '--data', data, '--to', backup);
    expect(third.code, third.stderr).toBe(0);
    const [, objects, copied] = /backup: (\d+) object\(s\), [\d.]+ MB .*; (\d+) copied/.exec(third.stdout)!;
    expect(Number(objects)).toBe(1000);
    expect(copiedBeforeKill + Number(resumed![1]) + Number(copied)).toBeGreaterThanOrEqual(1000);
    expect(Number(copied)).toBeLessThan(1000);
    const fourth = await cli('backup', '--data', data, '--to', backup);
    expect(fourth.stdout).toMatch(/backup: 1000 object\(s\), .*; 0 copied and 0 deleted by this run/);

    const before = await studyAnswers(port, ae);
    expect(before).toHaveLength(20);
    source.child.kill('SIGTERM');
    await source.exited;

    const restoredData = path.join(work, 'restored');
    const restored = await cli('restore', '--from', backup, '--data', restoredData);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/restore: 1000 object\(s\), [\d.]+ MB checked and put in /);
    const again = serveCli(restoredData);
    try {
      const { port: restoredPort } = await again.started;
      expect(await studyAnswers(restoredPort, ae)).toEqual(before);
      const got = path.join(work, 'got');
      await (await import('node:fs/promises')).mkdir(got);
      const get = await run('getscu', [
        '-P',
        '-aec',
        ae,
        '-od',
        got,
        '-k',
        'QueryRetrieveLevel=PATIENT',
        '-k',
        'PatientID=PID001',
        '127.0.0.1',
        String(restoredPort),
      ]);
      expect(get.code, get.stderr).toBe(0);
      const files = await readdir(got);
      expect(files).toHaveLength(1000);
      // Each object's data set as it was sent, byte for byte; a few also through dcmdump.
      const byUid = new Map(images.map((img, n) => [img.sopUid, n]));
      for (const f of files) {
        const bytes = await readFile(path.join(got, f));
        const meta = readFileMeta(bytes);
        const n = byUid.get(meta.sopInstanceUid)!;
        expect(n, meta.sopInstanceUid).toBeDefined();
        const original = images[n]!.bytes;
        expect(bytes.subarray(meta.dataSetOffset).equals(original.subarray(readFileMeta(original).dataSetOffset))).toBe(
          true,
        );
      }
      for (const f of files.slice(0, 10)) {
        const meta = readFileMeta(await readFile(path.join(got, f)));
        expect(await dumpDataSet(path.join(got, f))).toBe(await dumpDataSet(sent[byUid.get(meta.sopInstanceUid)!]!));
      }
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }

    // A file written again in place at the same size (an edit may keep it) is copied again: its time tells.
    const edited = (await filesUnder(path.join(data, 'storage')))[0]!;
    const content = await readFile(edited);
    content[content.length - 1] ^= 0x01;
    await writeFile(edited, content);
    const fifth = await cli('backup', '--data', data, '--to', backup);
    expect(fifth.stdout).toMatch(/backup: 1000 object\(s\), .*; 1 copied and 0 deleted by this run/);

    // A damaged copy in the backup is found on restore, named, and the restore ends in error.
    const manifest = (await readFile(path.join(backup, MANIFEST), 'utf8')).split('\n').filter(Boolean);
    const victim = (JSON.parse(manifest.at(-1)!) as { key: string }).key;
    const file = backupFile(backup, victim);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);
    const damaged = await cli('restore', '--from', backup, '--data', path.join(work, 'restored2'));
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toContain(`restore: ${victim}: its copy does not match the manifest`);
    expect(damaged.stdout).toMatch(/restore: 999 object\(s\), .*; 1 missing or damaged/);
    // The damaged copy is not put in place: the restored archive lacks it rather than serving it changed.
    expect((await filesUnder(path.join(work, 'restored2', 'storage'))).length).toBe(999);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);
  }, 600_000);

  it("keeps the index copies asked for, and a deleted study's objects while a kept copy names them", async () => {
    const data = path.join(work, 'data');
    const backup = path.join(work, 'backup');
    const source = serveCli(data);
    const { origin, token } = await source.started;
    const study = images[0]!.studyUid;
    const removed = await fetch(`${origin}/api/studies/${study}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(removed.status, await removed.clone().text()).toBe(200);
    source.child.kill('SIGTERM');
    await source.exited;
    const after = await cli('backup', '--data', data, '--to', backup);
    expect(after.stdout).toMatch(/backup: 950 object\(s\), .*; 0 copied and 50 deleted by this run/);
    const { snapshots } = JSON.parse(await readFile(path.join(backup, 'backup.json'), 'utf8')) as {
      snapshots: string[];
    };
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect((await filesUnder(path.join(backup, 'objects'))).length).toBe(1000);
    // The newest backup has the study deleted; the one before still has it, and its objects are still there.
    const newest = await cli('restore', '--from', backup, '--data', path.join(work, 'r-newest'));
    expect(newest.stdout).toMatch(/restore: 950 object\(s\)/);
    const before = snapshots.at(-2)!.replace(/T(\d\d)-(\d\d)-(\d\d)/, 'T$1:$2:$3');
    const earlier = await cli('restore', '--from', backup, '--data', path.join(work, 'r-earlier'), '--at', before);
    expect(earlier.code, earlier.stdout + earlier.stderr).toBe(0);
    expect(earlier.stdout).toMatch(/restore: 1000 object\(s\)/);
    const none = await cli('restore', '--from', backup, '--data', path.join(work, 'r-none'), '--at', '1999-01-01');
    expect(none.stderr).toMatch(/no kept backup was taken at 1999-01-01; those kept: /);
    // Keeping one backup only: the deleted study's copies go with the older ones.
    const one = await cli('backup', '--data', data, '--to', backup, '--keep', '1');
    expect(one.code, one.stderr).toBe(0);
    expect(
      (JSON.parse(await readFile(path.join(backup, 'backup.json'), 'utf8')) as { snapshots: string[] }).snapshots,
    ).toHaveLength(1);
    expect((await filesUnder(path.join(backup, 'objects'))).length).toBe(950);
  }, 300_000);

  it('refuses a backup that did not finish, one of a newer index schema, and a data folder that is not empty', async () => {
    const backup = path.join(work, 'backup');
    const summary = JSON.parse(await readFile(path.join(backup, 'backup.json'), 'utf8')) as { schemaVersion: number };
    await writeFile(path.join(backup, 'backup.json'), JSON.stringify({ ...summary, schemaVersion: 9999 }));
    const newer = await cli('restore', '--from', backup, '--data', path.join(work, 'restored3'));
    expect(newer.code).not.toBe(0);
    expect(newer.stderr).toMatch(/the backup's index is of schema 9999, newer than this version reads/);
    await writeFile(path.join(backup, 'backup.json'), JSON.stringify(summary));
    const full = await cli('restore', '--from', backup, '--data', path.join(work, 'restored'));
    expect(full.stderr).toMatch(/is not empty: restore into a new, empty data folder/);
    const unfinished = await cli('restore', '--from', path.join(work, 'sent'), '--data', path.join(work, 'restored4'));
    expect(unfinished.stderr).toMatch(/holds no complete backup/);
    expect(await readdir(path.join(work, 'restored3')).catch(() => [])).toEqual([]);
  });
});
