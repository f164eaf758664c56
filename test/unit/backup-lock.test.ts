import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lockBackup } from '../../main/backup/backup-lock.ts';

/** One backup at a time into a folder: a second is refused while the first's process lives, a dead one's lock taken. */
describe('the backup folder lock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pacs-backup-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const lockFile = () => path.join(dir, 'backup.lock');

  it('holds the folder for one backup, and lets it go', async () => {
    const unlock = await lockBackup(dir);
    expect((await readFile(lockFile(), 'utf8')).trim()).toBe(String(process.pid));
    await expect(lockBackup(dir)).rejects.toThrow(/a backup into .* already runs in this process/);
    await unlock();
    expect(existsSync(lockFile())).toBe(false);
  });

  it('refuses while another living process holds it, and takes over from a process that is gone', async () => {
    await writeFile(lockFile(), `${process.ppid}\n`);
    await expect(lockBackup(dir)).rejects.toThrow(`another backup into ${dir} runs (process ${process.ppid})`);
    // A pid beyond any the system gives out: the process that took the lock was killed.
    await writeFile(lockFile(), '4194304999\n');
    const unlock = await lockBackup(dir);
    expect((await readFile(lockFile(), 'utf8')).trim()).toBe(String(process.pid));
    await unlock();
  });
});
