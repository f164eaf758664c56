import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DirectorySync } from '../../main/store/directory-sync.ts';

describe('DirectorySync (DurableWrites)', () => {
  it('covers the changes that came during a flush with one more flush, shared by all who wait', async () => {
    const flushes: string[] = [];
    let release!: () => void;
    const sync = new DirectorySync(async (dir) => {
      flushes.push(dir);
      if (flushes.length === 1)
        await new Promise<void>((r) => {
          release = r;
        });
    });
    const first = sync.sync('/a');
    // Ten objects renamed into the folder while the first flush runs: one flush after it covers them all.
    const during = Array.from({ length: 10 }, () => sync.sync('/a'));
    const other = sync.sync('/b');
    release();
    await Promise.all([first, ...during, other]);
    expect(flushes.filter((d) => d === '/a')).toEqual(['/a', '/a']);
    expect(flushes.filter((d) => d === '/b')).toEqual(['/b']);
    // Idle again: the next change gets a flush of its own.
    await sync.sync('/a');
    expect(flushes.filter((d) => d === '/a').length).toBe(3);
  });

  it('flushes a real folder, and says why when it cannot', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-dirsync-'));
    try {
      await new DirectorySync().sync(dir);
      if (process.platform !== 'win32')
        await expect(new DirectorySync().sync(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
