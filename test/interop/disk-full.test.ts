import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';

/** A real full disk: the storage folder is a 2 MB tmpfs (mounting needs root, as CI and the dev machines run). */
describe('storage folder full', () => {
  let archive: TestArchive;
  let mountPoint: string;
  let work: string;

  beforeAll(async () => {
    mountPoint = await mkdtemp(path.join(tmpdir(), 'pacs-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
    } catch (err) {
      throw new Error(
        `this test mounts a tiny tmpfs to fill a disk for real and needs root: ${(err as Error).message}`,
      );
    }
    archive = await startArchive({ MAGDevice0: mountPoint });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-full-in-'));
  });
  afterAll(async () => {
    await archive?.stop();
    execFileSync('umount', ['--lazy', mountPoint]); // lazy: a failed test may still hold a file open there
    await rm(mountPoint, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('answers Out of Resources, leaves no partial file, and keeps serving', async () => {
    const big = makeImage({ rows: 1024, columns: 1024, frames: 2 }); // 4 MB of pixels on a 2 MB disk
    const small = makeImage();
    const [bigFile, smallFile] = await writeImages(work, [big, small]);
    const r = await run('storescu', ['-v', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), bigFile!]);
    expect(r.stdout + r.stderr).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
    expect(archive.logText()).toMatch(/OutOfResources \(0xA700\).*ENOSPC/);
    expect(await archive.server.index.findInstance(big.sopUid)).toBeUndefined();
    expect(await readdir(path.join(mountPoint, '.incoming'))).toEqual([]);

    const echo = await run('echoscu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)]);
    expect(echo.code).toBe(0);
    const ok = await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), smallFile!]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await archive.server.index.findInstance(small.sopUid)).toBeDefined();
  });
});
