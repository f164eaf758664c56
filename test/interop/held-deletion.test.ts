import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { filesUnder } from '../helpers/cli-server.ts';
import { regenerate } from '../../main/index/regen.ts';
import type { DeletionDto } from '../../main/api/contract.ts';

/**
 * A study deleted while one of its files cannot be deleted (on Windows: another program holds it past the retries;
 * here a file something is mounted over, which Linux refuses to unlink with EBUSY, as root too): its rows go, the file
 * stays listed in the pending deletion, regen does not bring it back, and it is deleted once it can be.
 */
describe('files of deleted studies that cannot be deleted yet', () => {
  let archive: TestArchive;
  let work: string;
  let blocked = '';
  const study = uid();

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-held-'));
    const files = await writeImages(
      path.join(work, 'sent'),
      [1, 2].map((i) => makeImage({ patientId: 'HELD1', studyUid: study, instanceNumber: i })),
    );
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  });
  afterAll(async () => {
    if (blocked) {
      try {
        execFileSync('umount', [blocked]);
      } catch {
        /* already */
      }
    }
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('keeps the file in the pending deletion, out of regen, and deletes it when it can', async () => {
    const stored = (await filesUnder(path.join(archive.dataDir, 'storage'))).sort();
    blocked = stored[0]!;
    const cover = path.join(work, 'cover');
    await writeFile(cover, 'not DICOM');
    try {
      execFileSync('mount', ['--bind', cover, blocked]);
    } catch (err) {
      throw new Error(
        `this test bind-mounts over a stored file so that it cannot be deleted, and needs root: ${(err as Error).message}`,
      );
    }
    const deleted = await (await apiFetch(archive, 'DELETE', pathOf(ENDPOINTS.study, [study]))).json();
    expect(deleted).toMatchObject({ objects: 2, filesNotDeleted: 1 });
    expect(archive.logText()).toMatch(/1 file\(s\) held by another program are deleted later/);
    const [deletion] = (await (await apiFetch(archive, 'GET', ENDPOINTS.deletions.path)).json()) as DeletionDto[];
    expect(deletion).toMatchObject({ studyUid: study, state: 'pending' });
    execFileSync('umount', [blocked]);
    // The file is back in view (the mount is gone) and still waits: a regen does not index it again.
    const regen = await regenerate(archive.server.store.devices, archive.server.index);
    expect(regen.skipped).toEqual([
      { file: blocked, reason: 'its study was deleted; the file waits to be deleted (another program held it)' },
    ]);
    expect((await archive.server.index.counts()).instances).toBe(0);
    expect(await archive.server.core.removal.recover()).toBe(1);
    expect(await filesUnder(path.join(archive.dataDir, 'storage'))).toEqual([]);
    blocked = '';
    const [done] = (await (await apiFetch(archive, 'GET', ENDPOINTS.deletions.path)).json()) as DeletionDto[];
    expect(done!.state).toBe('done');
  });
});
