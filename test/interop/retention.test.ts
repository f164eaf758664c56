import { retention as retentionFeature } from '../../main/features/retention.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import type { DeletionDto } from '../../main/api/contract.ts';
import { filesUnder } from '../helpers/cli-server.ts';
import { until, valueWhen } from '../helpers/wait.ts';

/**
 * Clean-up when the disk fills (issue 13, Conquest's MAGDeviceThreshold) on a real small disk: a 40 MB tmpfs (mounting
 * needs root, as CI and the dev machines run). Patients of 1 MB images are stored, one is viewed, one protected; when the
 * free space falls below the threshold the least recently used patient goes, and only it.
 */
describe('clean-up when the disk fills', () => {
  let archive: TestArchive;
  let mountPoint: string;
  let work: string;
  const patients: Record<string, { study: string; files: string[] }> = {};

  beforeAll(async () => {
    mountPoint = await mkdtemp(path.join(tmpdir(), 'pacs-clean-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mountPoint]);
    } catch (err) {
      throw new Error(
        `this test mounts a small tmpfs to fill a disk for real and needs root: ${(err as Error).message}`,
      );
    }
    archive = await startArchive({ MAGDevice0: mountPoint, MAGDeviceThreshold: '21' });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-clean-in-'));
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    execFileSync('umount', ['--lazy', mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown) =>
    apiFetch(archive, method, route, body);

  async function store(patient: string, images: number): Promise<void> {
    const study = uid();
    const made = Array.from({ length: images }, (_, i) =>
      makeImage({
        patientId: patient,
        patientName: `${patient}^Test`,
        studyUid: study,
        instanceNumber: i + 1,
        rows: 512,
        columns: 1024,
      }),
    );
    const files = await writeImages(path.join(work, patient), made);
    const r = await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
    expect(r.code, r.stderr).toBe(0);
    patients[patient] = { study, files };
    const storedAt = Date.now();
    await until('the clock moves on (each patient stored at its own time)', () => Date.now() > storedAt + 1);
  }

  it('deletes the least recently used patient, not the one viewed since, nor the protected one', async () => {
    await store('PA', 3);
    await store('PB', 8);
    await store('PC', 3);
    expect((await api('PUT', `/api/studies/${patients.PC!.study}/protection`, { protected: true })).status).toBe(200);
    // PA is looked at in the viewer after PB arrived: it is now more recent than PB.
    const paObject = await api('POST', '/api/find', {
      level: 'IMAGE',
      keys: { StudyInstanceUID: patients.PA!.study, SOPInstanceUID: '' },
    });
    const [{ SOPInstanceUID }] = (await paObject.json()) as { SOPInstanceUID: string }[];
    expect(
      (
        await api(
          'GET',
          `/wado?requestType=WADO&studyUID=${patients.PA!.study}&objectUID=${SOPInstanceUID}&contentType=image/jpeg&rows=64`,
        )
      ).status,
    ).toBe(200);
    await archive.server.core.access.flush();

    await store('PD', 7); // 21 MB used of 40: below the threshold of 21 MB free
    let deleted = await valueWhen(
      'the clean-up deletes a patient',
      async () => (await (await api('GET', '/api/deletions')).json()) as DeletionDto[],
      (d) => d.length > 0,
    );
    await archive.server.feature(retentionFeature).idle(); // a clean-up still running ends first
    deleted = (await (await api('GET', '/api/deletions')).json()) as DeletionDto[];
    expect(deleted.map((d) => [d.patientId, d.objects, d.state])).toEqual([['PB', 8, 'done']]);
    expect(deleted[0]!.reason).toMatch(/clean-up: MAGDeviceThreshold 21 MB, least recently used patient PB/);
    expect(await archive.server.index.findPatient('PB')).toBeUndefined();
    for (const p of ['PA', 'PC', 'PD']) expect(await archive.server.index.findPatient(p)).toBeDefined();
    const stored = await filesUnder(mountPoint);
    expect(stored).toHaveLength(3 + 3 + 7);
    expect(archive.logText()).toMatch(/clean-up: .* below MAGDeviceThreshold = 21 MB/);
  }, 120_000);

  it('never deletes a protected study, and says so when only protected ones are left', async () => {
    await archive.setIni('MAGDeviceThreshold', '1000'); // more than the disk: everything unprotected goes
    expect(await archive.server.feature(retentionFeature).check()).toBe(2);
    expect((await archive.server.index.counts()).studies).toBe(1);
    expect(await archive.server.index.findPatient('PC')).toBeDefined();
    expect(archive.logText()).toMatch(/nothing there is left to delete but protected studies/);
    expect((await api('DELETE', `/api/studies/${patients.PC!.study}`)).status).toBe(409);
    await archive.setIni('MAGDeviceThreshold', '0');
  }, 60_000);
});
