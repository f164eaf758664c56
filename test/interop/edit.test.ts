import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { dumpKeys, findscu } from '../helpers/qr-tools.ts';
import { startStorescp } from '../helpers/storescp.ts';
import type { Job } from '../../main/jobs/job.ts';
import { until } from '../helpers/wait.ts';

/**
 * Correcting stored studies (issue 17) through the API as the Studies screen does: each correction is an edit job; what
 * it did is checked with DCMTK: findscu answers, and dcmdump of the objects as getscu retrieves them (their pixels the
 * same bytes as before).
 */
describe('editing patients and studies', () => {
  let archive: TestArchive;
  let work: string;
  const latin1 = Buffer.from('Novak^Jan', 'latin1');
  const studyA = uid();
  const seriesA = [uid(), uid()];
  const imagesA = [0, 0, 1].map((s, i) =>
    makeImage({
      patientId: 'WRONG1',
      patientName: latin1,
      specificCharacterSet: 'ISO_IR 100',
      studyUid: studyA,
      seriesUid: seriesA[s],
      instanceNumber: i + 1,
      rows: 16,
      columns: 16,
    }),
  );
  const studyB = uid();
  const imagesB = [1, 2].map((n) =>
    makeImage({
      patientId: 'OTHER2',
      patientName: 'Other^Anna',
      studyUid: studyB,
      instanceNumber: n,
      rows: 16,
      columns: 16,
    }),
  );

  const api = async <T>(method: 'GET' | 'POST', route: string, body?: unknown, expected = 200): Promise<T> => {
    const res = await apiFetch(archive, method, route, body);
    const text = await res.text();
    expect(res.status, text).toBe(expected);
    return JSON.parse(text) as T;
  };
  const finished = async (job: Job): Promise<Job> => {
    await archive.server.transfers.queue.idle();
    return (await archive.server.transfers.queue.get(job.id))!;
  };
  async function store(images: MadeImage[]): Promise<string[]> {
    const files = await writeImages(path.join(work, uid()), images);
    const r = await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
    expect(r.code, r.stderr).toBe(0);
    return files;
  }
  /** The objects of a study as a peer retrieves them, dumped by DCMTK. */
  async function retrieved(studyUid: string): Promise<{ file: string; keys: Record<string, string> }[]> {
    const dir = await mkdtemp(path.join(work, 'get-'));
    const g = await run('getscu', [
      '-S',
      '-aec',
      archive.aeTitle,
      '-od',
      dir,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${studyUid}`,
    ]);
    expect(g.code, g.stderr).toBe(0);
    const { readdir } = await import('node:fs/promises');
    // dcmdump +U8 shows the values in UTF-8 and says ISO_IR 192: the character set written in the file is read apart.
    return Promise.all(
      (await readdir(dir)).map(async (f) => {
        const file = path.join(dir, f);
        return {
          file,
          keys: {
            ...(await dumpKeys(file)),
            SpecificCharacterSet: (await dumpKeys(file, false)).SpecificCharacterSet ?? '',
          },
        };
      }),
    );
  }

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-edit-'));
    await store(imagesA);
    await store(imagesB);
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("corrects a patient's ID and name in every object, keeping Latin-1 where the name fits and the pixels as they were", async () => {
    const job = await finished(
      await api<Job>('POST', '/api/edit/patient', {
        patientId: 'WRONG1',
        changes: { patientId: 'P777', patientName: 'Novák^Jan', sex: 'M' },
      }),
    );
    expect(job).toMatchObject({ kind: 'edit', state: 'done', done: 3, failed: 0 });
    const f = await findscu(
      archive.port,
      archive.aeTitle,
      ['-P'],
      ['QueryRetrieveLevel=PATIENT', 'PatientName', 'PatientSex', 'NumberOfPatientRelatedInstances', 'PatientID=P777'],
    );
    expect(f.answers).toEqual([
      expect.objectContaining({ PatientName: 'Novák^Jan', PatientSex: 'M', NumberOfPatientRelatedInstances: '3' }),
    ]);
    expect(
      (await findscu(archive.port, archive.aeTitle, ['-P'], ['QueryRetrieveLevel=PATIENT', 'PatientID=WRONG1']))
        .answers,
    ).toEqual([]);
    const objects = await retrieved(studyA);
    expect(objects).toHaveLength(3);
    for (const o of objects) {
      expect(o.keys).toMatchObject({
        PatientID: 'P777',
        PatientName: 'Novák^Jan',
        PatientSex: 'M',
        SpecificCharacterSet: 'ISO_IR 100',
        StudyInstanceUID: studyA,
      });
      const original = imagesA.find((i) => i.sopUid === o.keys.SOPInstanceUID)!;
      const bytes = await readFile(o.file);
      expect(bytes.subarray(bytes.length - 512).equals(original.bytes.subarray(original.bytes.length - 512))).toBe(
        true,
      );
    }
  }, 60_000);

  it('writes the objects again in UTF-8 when a name does not fit their character set', async () => {
    await finished(
      await api<Job>('POST', '/api/edit/patient', { patientId: 'P777', changes: { patientName: 'Dvořák^Jiří' } }),
    );
    const objects = await retrieved(studyA);
    for (const o of objects)
      expect(o.keys).toMatchObject({
        PatientName: 'Dvořák^Jiří',
        SpecificCharacterSet: 'ISO_IR 192',
        PatientID: 'P777',
      });
    const f = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', 'PatientName', 'PatientID=P777'],
    );
    expect(f.answers.map((a) => a.PatientName)).toEqual(['Dvořák^Jiří']);
  }, 60_000);

  it('maps an object that arrives later under the old patient ID to the corrected one', async () => {
    const late = makeImage({
      patientId: 'WRONG1',
      patientName: latin1,
      specificCharacterSet: 'ISO_IR 100',
      studyUid: studyA,
      seriesUid: seriesA[1],
      instanceNumber: 9,
      rows: 16,
      columns: 16,
    });
    await store([late]);
    await until(
      'the late object is mapped to the corrected patient',
      async () => !(await archive.server.index.findPatient('WRONG1')),
    );
    await archive.server.transfers.queue.idle();
    expect(await archive.server.index.findPatient('WRONG1')).toBeUndefined();
    const o = (await retrieved(studyA)).find((x) => x.keys.SOPInstanceUID === late.sopUid)!;
    expect(o.keys).toMatchObject({ PatientID: 'P777', PatientName: 'Dvořák^Jiří' });
  }, 60_000);

  it("corrects a study's description, accession number and date, and refuses what is not a valid value", async () => {
    await finished(
      await api<Job>('POST', '/api/edit/study', {
        studyUid: studyB,
        changes: { description: 'CT hrudníku', accessionNumber: 'ACC-FIX', studyDate: '20260101' },
      }),
    );
    const f = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', 'StudyDescription', 'AccessionNumber', 'StudyDate', `StudyInstanceUID=${studyB}`],
    );
    expect(f.answers).toEqual([
      expect.objectContaining({ StudyDescription: 'CT hrudníku', AccessionNumber: 'ACC-FIX', StudyDate: '20260101' }),
    ]);
    const bad = await api<{ error: string }>(
      'POST',
      '/api/edit/study',
      { studyUid: studyB, changes: { studyDate: '1.1.2026', seriesUid: 'x' } },
      400,
    );
    expect(bad.error).toMatch(
      /studyDate "1.1.2026" is not YYYYMMDD; seriesUid cannot be edited|seriesUid cannot be edited; studyDate/,
    );
    await api('POST', '/api/edit/patient', { patientId: 'NOBODY', changes: { sex: 'F' } }, 400);
  }, 60_000);

  it('merges two patients, moves a series to a new study and merges it back, with counts right', async () => {
    await finished(await api<Job>('POST', '/api/edit/merge-patients', { from: 'OTHER2', into: 'P777' }));
    expect(await archive.server.index.findPatient('OTHER2')).toBeUndefined();
    const studies = await findscu(
      archive.port,
      archive.aeTitle,
      ['-P'],
      ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'NumberOfStudyRelatedInstances', 'PatientID=P777'],
    );
    expect(studies.answers.map((a) => a.NumberOfStudyRelatedInstances).sort()).toEqual(['2', '4']);
    const b = await retrieved(studyB);
    for (const o of b)
      expect(o.keys).toMatchObject({ PatientID: 'P777', PatientName: 'Dvořák^Jiří', StudyDescription: 'CT hrudníku' });

    const moved = await finished(
      await api<Job>('POST', '/api/edit/move-series', { seriesUid: seriesA[1], into: 'new' }),
    );
    expect(moved.state).toBe('done');
    const after = await findscu(
      archive.port,
      archive.aeTitle,
      ['-P'],
      [
        'QueryRetrieveLevel=STUDY',
        'StudyInstanceUID',
        'NumberOfStudyRelatedInstances',
        'NumberOfStudyRelatedSeries',
        'PatientID=P777',
      ],
    );
    // Study B's two images came in two series.
    expect(
      after.answers.map((a) => `${a.NumberOfStudyRelatedSeries}/${a.NumberOfStudyRelatedInstances}`).sort(),
    ).toEqual(['1/2', '1/2', '2/2']);
    const newStudy = after.answers.map((a) => a.StudyInstanceUID!).find((u) => u !== studyA && u !== studyB)!;

    await finished(await api<Job>('POST', '/api/edit/merge-studies', { from: newStudy, into: studyB }));
    const merged = await findscu(
      archive.port,
      archive.aeTitle,
      ['-P'],
      [
        'QueryRetrieveLevel=STUDY',
        'StudyInstanceUID',
        'NumberOfStudyRelatedInstances',
        'NumberOfStudyRelatedSeries',
        'PatientID=P777',
      ],
    );
    expect(
      Object.fromEntries(
        merged.answers.map((a) => [
          a.StudyInstanceUID,
          `${a.NumberOfStudyRelatedSeries}/${a.NumberOfStudyRelatedInstances}`,
        ]),
      ),
    ).toEqual({ [studyA]: '1/2', [studyB]: '3/4' });
    for (const o of await retrieved(studyB))
      expect(o.keys).toMatchObject({
        StudyInstanceUID: studyB,
        StudyDescription: 'CT hrudníku',
        AccessionNumber: 'ACC-FIX',
      });
    expect(await archive.server.index.counts()).toMatchObject({ patients: 1, studies: 2, series: 4, instances: 6 });
  }, 60_000);

  it('knows where a study was sent, so that the correction can be sent after it', async () => {
    const scp = await startStorescp('CORRECTED');
    try {
      await api('POST', '/api/nodes', { ae: 'CORRECTED', host: '127.0.0.1', port: scp.port, compression: 'un' });
      await finished(await api<Job>('POST', '/api/send', { destination: 'CORRECTED', level: 'STUDY', uid: studyB }));
      expect(await api<string[]>('GET', `/api/studies/${studyB}/destinations`)).toEqual(['CORRECTED']);
      expect(await api<string[]>('GET', `/api/studies/${studyA}/destinations`)).toEqual([]);
    } finally {
      await scp.stop();
    }
  }, 60_000);
});
