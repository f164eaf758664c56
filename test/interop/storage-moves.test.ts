import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { filesUnder } from '../helpers/cli-server.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { getscu } from '../helpers/qr-tools.ts';
import { makeImage, uid, type MadeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until, valueWhen } from '../helpers/wait.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import type { VerificationDto } from '../../main/api/contract.ts';

/**
 * Studies moved between storage folders as jobs (issue 33.4): every study moved off MAG0 onto MAG1 (a disk retired),
 * the files byte for byte as they were, the index following, getscu still getting them, the verification finding
 * them as stored; one study moved back on its own; a folder that does not exist and a move onto itself refused.
 */
describe('moving studies between storage folders', () => {
  let archive: TestArchive;
  let work: string;
  const studies = [uid(), uid()];
  const images: MadeImage[] = [
    ...[1, 2, 3].map(() => makeImage({ studyUid: studies[0], patientId: 'MOVED1' })),
    ...[1, 2].map(() => makeImage({ studyUid: studies[1], patientId: 'MOVED2' })),
  ];
  const devices = async () =>
    Promise.all(images.map(async (img) => (await archive.server.core.index.findInstance(img.sopUid))!.location.device));
  const bytesOf = async () =>
    Promise.all(
      images.map(async (img) =>
        readFile(
          archive.server.core.store.absolutePath((await archive.server.core.index.findInstance(img.sopUid))!.location),
        ),
      ),
    );
  const idle = () =>
    until('no job is left queued or running', async () => {
      const jobs = (await (await apiFetch(archive, 'GET', '/api/jobs')).json()) as { kind: string; state: string }[];
      return jobs.filter((j) => j.kind === 'relocate').every((j) => j.state === 'done');
    });

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-moves-'));
    archive = await startArchive({ MAGDevices: '2', MAGDevice0: 'storage', MAGDevice1: 'storage1' });
    expect((await storeAs(archive, 'MODALITY', images, work)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('moves every study off a folder onto another, the files and the index together', async () => {
    expect(await devices()).toEqual([0, 0, 0, 0, 0]);
    const before = await bytesOf();
    const r = await apiFetch(archive, 'POST', '/api/storage/0/empty', { to: 1 });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ studies: 2 });
    await idle();
    expect(await devices()).toEqual([1, 1, 1, 1, 1]);
    expect(await filesUnder(path.join(archive.dataDir, 'storage'))).toEqual([]);
    expect(await filesUnder(path.join(archive.dataDir, 'storage1'))).toHaveLength(5);
    const after = await bytesOf();
    expect(after.every((b, n) => b.equals(before[n]!))).toBe(true);
    const got = path.join(work, 'got');
    const get = await getscu(archive.port, archive.aeTitle, got, [
      'QueryRetrieveLevel=STUDY',
      `StudyInstanceUID=${studies[0]}`,
    ]);
    expect(get.code, get.stderr).toBe(0);
    const names = await readdir(got);
    expect(names).toHaveLength(3);
    // Each as it is stored (dcmdump: getscu writes sequences with undefined lengths).
    for (const n of names) {
      const file = path.join(got, n);
      const sop = readFileMeta(await readFile(file)).sopInstanceUid;
      const stored = archive.server.core.store.absolutePath(
        (await archive.server.core.index.findInstance(sop))!.location,
      );
      expect(await dumpDataSet(file)).toBe(await dumpDataSet(stored));
    }
    // The checksums kept at arrival still hold: nothing to find, nothing recorded anew.
    await apiFetch(archive, 'POST', '/api/verification');
    const v = await valueWhen(
      'the verification ended',
      async () => (await (await apiFetch(archive, 'GET', '/api/verification')).json()) as VerificationDto,
      (s) => !s.running && s.lastCompleteAt !== undefined,
    );
    expect(v.last).toMatchObject({ checked: 5, found: 0, recorded: 0 });
  }, 60_000);

  it('moves one study back on its own', async () => {
    const r = await apiFetch(archive, 'POST', `/api/studies/${studies[1]}/storage`, { device: 0 });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ kind: 'relocate', studyUid: studies[1] });
    await idle();
    expect(await devices()).toEqual([1, 1, 1, 0, 0]);
  }, 60_000);

  it('refuses a folder that does not exist, and a move onto the same folder', async () => {
    const none = await apiFetch(archive, 'POST', `/api/studies/${studies[0]}/storage`, { device: 5 });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: string }).error).toBe('5 is not a storage folder number (0 to 1)');
    const same = await apiFetch(archive, 'POST', '/api/storage/1/empty', { to: 1 });
    expect(same.status).toBe(400);
  });
});
