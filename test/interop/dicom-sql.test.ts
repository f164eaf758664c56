import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { storeAs } from '../helpers/store-as.ts';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { CONQUEST_STYLE } from '../helpers/conquest-dicom-sql.ts';
import { until } from '../helpers/wait.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { ALL_FEATURES } from '../../main/features/all.ts';
import { indexColumns } from '../../main/features/index-columns.ts';
import { ArchiveServer } from '../../main/server.ts';
import { Logger } from '../../main/util/log.ts';
import { IniDocument } from '../../common/ini-document.ts';

/**
 * dicom.sql as a Conquest site brings it: storescu stores, findscu finds by the attributes it added (at series,
 * image and study level), QIDO-RS and the Studies screen's search too; a column added to an archive that holds
 * objects is filled in the background, saying so meanwhile; one taken out is kept until the admin confirms.
 */

const STUDY_ROOT = ['-S'];

/** A CT series of `n` objects with a protocol, an image type, an acquisition date and the patient's age. */
function series(studyUid: string, n: number, protocol: string, imageType: string, acquired: string) {
  const seriesUid = uid();
  return Array.from({ length: n }, (_, i) =>
    makeImage({
      patientId: 'SQL1',
      studyUid,
      seriesUid,
      instanceNumber: i + 1,
      rows: 8,
      columns: 8,
      imageType,
      extra: [
        { tag: Tag.ProtocolName, vr: 'LO', value: protocol },
        { tag: Tag.AcquisitionDate, vr: 'DA', value: acquired },
        { tag: Tag.PatientAge, vr: 'AS', value: '045Y' },
      ],
    }),
  );
}

describe("Conquest's dicom.sql layout, through DICOM, QIDO-RS and the Studies screen's search", () => {
  let archive: TestArchive;
  let work: string;
  const studyUid = uid();
  const head = series(studyUid, 2, 'Head Routine', 'ORIGINAL\\PRIMARY\\AXIAL', '20240105');
  const chest = series(studyUid, 1, 'Chest', 'DERIVED\\SECONDARY', '20240301');

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'dicom-sql-'));
    archive = await startArchive({}, [], 'TESTPACS', { configFiles: { 'dicom.sql': CONQUEST_STYLE } });
    const stored = await storeAs(archive, 'CT1', [...head, ...chest], work);
    expect(stored.code, stored.stderr).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('findscu matches series by ProtocolName case aside, images by any Image Type value and by date range', async () => {
    const bySeries = await findscu(archive.port, archive.aeTitle, STUDY_ROOT, [
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${studyUid}`,
      'SeriesInstanceUID',
      'ProtocolName=head*',
    ]);
    expect(bySeries.final).toBe('Success');
    expect(bySeries.answers.map((a) => [a.SeriesInstanceUID, a.ProtocolName])).toEqual([
      [head[0]!.seriesUid, 'Head Routine'],
    ]);
    const images = async (key: string) =>
      (
        await findscu(archive.port, archive.aeTitle, STUDY_ROOT, [
          'QueryRetrieveLevel=IMAGE',
          `StudyInstanceUID=${studyUid}`,
          'SOPInstanceUID',
          key,
        ])
      ).answers
        .map((a) => a.SOPInstanceUID)
        .sort();
    expect(await images('ImageType=PRIMARY')).toEqual(head.map((i) => i.sopUid).sort());
    expect(await images('ImageType=SECONDARY')).toEqual([chest[0]!.sopUid]);
    expect(await images('AcquisitionDate=20240201-')).toEqual([chest[0]!.sopUid]);
    const byAge = await findscu(archive.port, archive.aeTitle, STUDY_ROOT, [
      'QueryRetrieveLevel=STUDY',
      'StudyInstanceUID',
      'PatientAge=045Y',
    ]);
    expect(byAge.answers.map((a) => [a.StudyInstanceUID, a.PatientAge])).toEqual([[studyUid, '045Y']]);
  });

  it('QIDO-RS and the Studies screen search the added keys too', async () => {
    const qido = await fetch(
      `${archive.server.apiUrl}/dicom-web/studies/${studyUid}/series?ProtocolName=CHEST&includefield=ProtocolName`,
      { headers: { Authorization: `Bearer ${archive.server.apiSecret}` } },
    );
    expect(qido.status).toBe(200);
    const answers = (await qido.json()) as Record<string, { Value?: string[] }>[];
    expect(answers.map((a) => [a['0020000E']?.Value?.[0], a['00181030']?.Value?.[0]])).toEqual([
      [chest[0]!.seriesUid, 'Chest'],
    ]);
    const screen = await apiFetch(archive, 'POST', '/api/find', {
      level: 'IMAGE',
      keys: { StudyInstanceUID: studyUid, SOPInstanceUID: '', ImageType: 'AXIAL' },
    });
    expect(((await screen.json()) as { SOPInstanceUID: string }[]).map((r) => r.SOPInstanceUID).sort()).toEqual(
      head.map((i) => i.sopUid).sort(),
    );
    // The Studies screen searches studies: by a key of their series or images, matched on any of them.
    const studies = async (keys: Record<string, string>) =>
      (
        (await (
          await apiFetch(archive, 'POST', '/api/find', { level: 'STUDY', keys: { StudyInstanceUID: '', ...keys } })
        ).json()) as { StudyInstanceUID: string }[]
      ).map((r) => r.StudyInstanceUID);
    expect(await studies({ ProtocolName: 'chest' })).toEqual([studyUid]);
    expect(await studies({ ProtocolName: 'Knee*' })).toEqual([]);
    expect(await studies({ ImageType: 'DERIVED' })).toEqual([studyUid]);
    expect(await studies({ ImageType: 'LOCALIZER' })).toEqual([]);
    const keys = await (await apiFetch(archive, 'GET', '/api/index-keys')).json();
    expect(keys).toEqual([
      { keyword: 'PatientAge', name: 'PatientsAge', column: 'x_patientsage', level: 'STUDY', filling: false },
      { keyword: 'ProtocolName', name: 'ProtocolName', column: 'x_protocolname', level: 'SERIES', filling: false },
      { keyword: 'ImageType', name: 'ImageType', column: 'x_imagetype', level: 'IMAGE', filling: false },
      { keyword: 'AcquisitionDate', name: 'AcqDate', column: 'x_acqdate', level: 'IMAGE', filling: false },
    ]);
  });
});

describe('a column dicom.sql adds to an archive that holds objects', () => {
  let archive: TestArchive | undefined;
  let server: ArchiveServer | undefined;
  let work: string;
  const studyUid = uid();
  const chest = series(studyUid, 2, 'Chest', 'ORIGINAL\\PRIMARY', '20240301');

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'dicom-sql-'));
  });
  afterAll(async () => {
    await server?.stop();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('is said to be filling, is filled from the stored files by a job, and is dropped only when confirmed', async () => {
    // First without the job that fills it, so the time before it is filled can be looked at.
    archive = await startArchive({}, [], 'TESTPACS', { features: ALL_FEATURES.filter((f) => f !== indexColumns) });
    const stored = await storeAs(archive, 'CT1', chest, work);
    expect(stored.code, stored.stderr).toBe(0);
    const configDir = path.join(archive.dataDir, 'config');
    const sqlFile = path.join(configDir, 'dicom.sql');
    const shipped = await readFile(sqlFile, 'utf8');
    const protocol = '{ 0x0018, 0x1030, "ProtocolName", 64, SQL_C_CHAR, DT_STR },\n';
    const withProtocol = shipped.replace(/(\*Series\*\s*\{\s*)/, `$1${protocol}`);
    expect(withProtocol).not.toBe(shipped);
    await archive.restart(() => writeFile(sqlFile, withProtocol));
    const keys = ['QueryRetrieveLevel=SERIES', 'SeriesInstanceUID', 'ProtocolName=Chest'];
    const before = await findscu(archive.port, archive.aeTitle, [...STUDY_ROOT, '-d'], keys);
    // With -d findscu prints the final response whole: Success, with the comment.
    expect(before.stdout).toMatch(/DIMSE Status\s*: 0x0000/);
    expect(before.answers).toEqual([]);
    expect(before.stdout).toMatch(/ProtocolName still being indexed/);

    // Now the whole archive: its job reads the stored objects into the new column.
    const logger = new Logger('info');
    const dirs = { dataDir: archive.dataDir, configDir, port: 0, apiPort: 0, logger };
    await archive.server.stop();
    server = new ArchiveServer(dirs);
    await server.start();
    await until('the index-fill job is done', async () => {
      const jobs = await server!.core.index.jobStore().listJobs();
      return jobs.some((j) => j.kind === 'index-fill' && j.state === 'done');
    });
    const after = await findscu(server.port, archive.aeTitle, [...STUDY_ROOT, '-d'], keys);
    expect(after.answers.map((a) => [a.SeriesInstanceUID, a.ProtocolName])).toEqual([[chest[0]!.seriesUid, 'Chest']]);
    expect(after.stdout).not.toMatch(/still being indexed/);
    await server.stop();
    server = undefined;

    // Taken out again: the start stops and says how to confirm; confirmed, it starts without it.
    await writeFile(sqlFile, shipped);
    const refused = await new ArchiveServer(dirs).start().catch((e: Error) => e);
    expect(String(refused)).toMatch(/no longer names the index column\(s\) Series\.protocolname.*DropIndexColumns/);
    const iniFile = path.join(configDir, 'dicom.ini');
    const ini = new IniDocument(iniFile, await readFile(iniFile, 'utf8'));
    ini.set('sscscp', 'DropIndexColumns', 'Series.ProtocolName');
    await writeFile(iniFile, ini.toString());
    server = new ArchiveServer(dirs);
    await server.start();
    const dropped = await findscu(server.port, archive.aeTitle, STUDY_ROOT, keys);
    // ProtocolName is no longer a key: every series answers, the key returned empty.
    expect(dropped.answers.map((a) => [a.SeriesInstanceUID, a.ProtocolName])).toEqual([[chest[0]!.seriesUid, '']]);
  });
});
