import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { readObjectHeader } from '../../main/store/object-header.ts';
import { until } from '../helpers/wait.ts';

/**
 * A patient's ID corrected while the modality is still sending that patient's images (issue 30.7): 20 objects stored,
 * 180 more on their way, the edit posted in the middle. Every one of the 200 files must end with the corrected ID and
 * name - those in the edit's job, and those that arrived after it was queued (the alias is recorded before the job
 * collects its objects, so an object is always one or the other). Twenty rounds (about 3 s each).
 */
describe("a patient edit racing the patient's arrivals", () => {
  let archive: TestArchive;
  let work: string;
  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-edit-race-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it.each(Array.from({ length: 20 }, (_, i) => i + 1))(
    'leaves no file with the old patient ID (round %i)',
    async (round) => {
      const [oldId, newId] = [`RACE${round}`, `FIXED${round}`];
      const study = uid();
      const images = Array.from({ length: 200 }, (_, i) =>
        makeImage({
          patientId: oldId,
          patientName: 'Race^Old',
          studyUid: study,
          instanceNumber: i + 1,
          rows: 16,
          columns: 16,
        }),
      );
      const files = await writeImages(path.join(work, String(round)), images);
      const store = (list: string[]) =>
        run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...list], 300_000);
      expect((await store(files.slice(0, 20))).code).toBe(0);
      const rest = store(files.slice(20));
      const stored = async () => (await archive.server.index.counts()).instances;
      const before = await stored();
      await until('the rest begins to arrive', async () => (await stored()) >= before + 10);
      const res = await apiFetch(archive, 'POST', '/api/edit/patient', {
        patientId: oldId,
        changes: { patientId: newId, patientName: 'Race^Fixed' },
      });
      expect(res.status).toBe(200);
      expect((await rest).code).toBe(0);
      await until('every edit job has ended', async () => {
        await archive.server.transfers.queue.idle();
        return (await archive.server.transfers.queue.list()).every(
          (j) => j.state !== 'queued' && j.state !== 'running',
        );
      });
      const ids = await Promise.all(
        images.map(async (img) => {
          const inst = await archive.server.index.findInstance(img.sopUid);
          const { header } = await readObjectHeader(archive.server.store.absolutePath(inst!.location));
          return `${header.patientId} ${header.patientName}`;
        }),
      );
      expect(ids.filter((id) => id !== `${newId} Race^Fixed`)).toEqual([]);
      expect(await archive.server.index.findPatient(oldId)).toBeUndefined();
    },
    300_000,
  );
});
