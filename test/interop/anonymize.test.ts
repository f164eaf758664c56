import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { CT_IMAGE_STORAGE, makeImage, uid, writeImages, type Element } from '../helpers/fixtures.ts';
import { dumpKeys, findscu } from '../helpers/qr-tools.ts';

/**
 * De-identification (issue 17) by the Basic Application Level Confidentiality Profile, PS3.15 Table E.1-1: a study full
 * of identifying attributes is copied as a new study in the archive, and each attribute of what a peer then retrieves
 * (dumped by DCMTK) is checked against the action the table gives it, with and without the options.
 */

/** [tag as dcmdump names it, VR, value, the profile's action without options]. */
const IDENTIFYING: [string, number, string, string, 'X' | 'Z' | 'U' | 'K'][] = [
  ['InstitutionName', 0x00080080, 'LO', 'Nemocnice Na Homolce', 'X'],
  ['ReferringPhysicianName', 0x00080090, 'PN', 'Cerny^Petr', 'Z'],
  ['StationName', 0x00081010, 'SH', 'CT-HOMOLKA-1', 'X'],
  ['SeriesDescription', 0x0008103e, 'LO', 'Novak head axial', 'X'],
  ['OperatorsName', 0x00081070, 'PN', 'Tech^Radka', 'X'],
  ['PatientAge', 0x00101010, 'AS', '045Y', 'X'],
  ['PatientWeight', 0x00101030, 'DS', '80', 'X'],
  ['PatientAddress', 0x00101040, 'LO', 'Roentgenova 2, Praha', 'X'],
  ['OtherPatientIDs', 0x00101000, 'LO', 'RC7001011234', 'X'],
  ['DeviceSerialNumber', 0x00181000, 'LO', 'SN-12345', 'X'],
  ['ProtocolName', 0x00181030, 'LO', 'Novak trauma', 'X'],
  ['AcquisitionDate', 0x00080022, 'DA', '20261125', 'X'],
  ['ContentDate', 0x00080023, 'DA', '20261125', 'Z'],
  ['FrameOfReferenceUID', 0x00200052, 'UI', '1.2.826.0.1.3680043.9.7.1.1', 'U'],
  ['ImageComments', 0x00204000, 'LT', 'Novak JAN 12345 comment', 'X'],
  ['SliceThickness', 0x00180050, 'DS', '5', 'K'],
];

describe('anonymizing a study', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();
  const series = uid();
  const first = uid();
  const extra = (more: Element[] = []): Element[] => [
    ...IDENTIFYING.map(([, tag, vr, value]) => ({ tag, vr, value })),
    ...more,
  ];
  const images = [
    makeImage({
      patientId: '12345',
      patientName: 'Novak^Jan',
      studyUid: study,
      seriesUid: series,
      sopUid: first,
      instanceNumber: 1,
      rows: 8,
      columns: 8,
      extra: extra(),
    }),
    makeImage({
      patientId: '12345',
      patientName: 'Novak^Jan',
      studyUid: study,
      seriesUid: series,
      instanceNumber: 2,
      rows: 8,
      columns: 8,
      extra: extra([
        {
          tag: 0x00082112,
          vr: 'SQ',
          value: [
            [
              { tag: 0x00081150, vr: 'UI', value: CT_IMAGE_STORAGE },
              { tag: 0x00081155, vr: 'UI', value: first },
            ],
          ],
        },
        { tag: 0x00280301, vr: 'CS', value: 'YES' },
      ]),
    }),
  ];
  const api = async <T>(route: string, body: unknown, expected = 200): Promise<T> => {
    const res = await apiFetch(archive, 'POST', route, body);
    const text = await res.text();
    expect(res.status, text).toBe(expected);
    return JSON.parse(text) as T;
  };
  /** The objects of the archive's patient `id`, as getscu retrieves them, dumped (values in UTF-8). */
  async function objectsOf(patientId: string): Promise<Record<string, string>[]> {
    const dir = await mkdtemp(path.join(work, 'get-'));
    const g = await run('getscu', [
      '-P',
      '-aec',
      archive.aeTitle,
      '-od',
      dir,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      `PatientID=${patientId}`,
    ]);
    expect(g.code, g.stderr).toBe(0);
    return Promise.all((await readdir(dir)).map((f) => dumpKeys(path.join(dir, f))));
  }

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-anon-'));
    const files = await writeImages(path.join(work, 'in'), images);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('copies the study as a new patient with every attribute treated as Table E.1-1 says, and UIDs replaced consistently', async () => {
    const result = await api<{
      patientId: string;
      patientName: string;
      objects: number;
      imported: number;
      warnings: string[];
    }>('/api/anonymize', { level: 'STUDY', uid: study });
    expect(result).toMatchObject({ objects: 2, imported: 2 });
    expect(result.patientId).toMatch(/^ANON[0-9A-F]{8}$/);
    expect(result.warnings).toEqual([
      'Burned In Annotation is YES: the pixels hold text that may identify the patient',
    ]);
    const out = await objectsOf(result.patientId);
    expect(out).toHaveLength(2);
    const sops = out.map((o) => o.SOPInstanceUID!);
    for (const o of out) {
      expect(o).toMatchObject({
        PatientName: result.patientName,
        PatientID: result.patientId,
        PatientIdentityRemoved: 'YES',
        LongitudinalTemporalInformationModified: 'REMOVED',
      });
      expect(o['DeidentificationMethodCodeSequence.CodeValue']).toBe('113100');
      // Patient and study: Z (emptied) or X (removed) as the table says; UIDs new.
      expect(o.PatientBirthDate).toBe('');
      expect(o.PatientSex).toBe('');
      expect(o.AccessionNumber).toBe('');
      expect(o.StudyID).toBe('');
      expect(o.StudyDate).toBe('');
      expect(o.StudyDescription).toBeUndefined();
      expect(o.StudyInstanceUID).not.toBe(study);
      expect(o.SeriesInstanceUID).not.toBe(series);
      expect(images.map((i) => i.sopUid)).not.toContain(o.SOPInstanceUID);
      expect(o.PrivateCreator ?? o['(0009,0010)']).toBeUndefined();
      expect(Object.keys(o).some((k) => /private/i.test(o[k] ?? ''))).toBe(false);
      for (const [keyword, , , value, action] of IDENTIFYING) {
        if (action === 'X') expect(o[keyword], keyword).toBeUndefined();
        if (action === 'Z') expect(o[keyword], keyword).toBe('');
        if (action === 'U') {
          expect(o[keyword], keyword).toMatch(/^2\.25\.\d+$/);
          expect(o[keyword]).not.toBe(value);
        }
        if (action === 'K') expect(o[keyword], keyword).toBe(value);
      }
    }
    // The same old UID became the same new UID: study, series and frame of reference shared, the reference followed.
    expect(new Set(out.map((o) => o.StudyInstanceUID)).size).toBe(1);
    expect(new Set(out.map((o) => o.FrameOfReferenceUID)).size).toBe(1);
    const referring = out.find((o) => o['SourceImageSequence.ReferencedSOPInstanceUID'])!;
    expect(sops).toContain(referring['SourceImageSequence.ReferencedSOPInstanceUID']);
    expect(referring['SourceImageSequence.ReferencedSOPInstanceUID']).not.toBe(referring.SOPInstanceUID);
    // The original is untouched.
    const original = await findscu(
      archive.port,
      archive.aeTitle,
      ['-P'],
      ['QueryRetrieveLevel=PATIENT', 'PatientName', 'PatientID=12345'],
    );
    expect(original.answers).toEqual([expect.objectContaining({ PatientName: 'Novak^Jan' })]);
  }, 60_000);

  it('keeps dates, patient characteristics and cleaned descriptions with the options, under the name given', async () => {
    const result = await api<{ patientId: string }>('/api/anonymize', {
      level: 'STUDY',
      uid: study,
      options: {
        retainLongitudinalFullDates: true,
        retainPatientCharacteristics: true,
        cleanDescriptors: true,
        patientName: 'Studie^Pacient',
        patientId: 'RES-001',
      },
    });
    expect(result.patientId).toBe('RES-001');
    const [o] = await objectsOf('RES-001');
    expect(o).toMatchObject({
      PatientName: 'Studie^Pacient',
      StudyDate: '20261125',
      AcquisitionDate: '20261125',
      ContentDate: '20261125',
      PatientSex: 'O',
      PatientAge: '045Y',
      PatientWeight: '80',
      LongitudinalTemporalInformationModified: 'UNMODIFIED',
      // Clean Descriptors: kept, the patient's name and ID taken out.
      SeriesDescription: 'head axial',
      ProtocolName: 'trauma',
      ImageComments: 'comment',
      StudyDescription: 'Head routine',
    });
    expect(o!.InstitutionName).toBeUndefined();
    expect(o!.PatientBirthDate).toBe('');
    expect(o!.PatientAddress).toBeUndefined();
  }, 60_000);

  it('exports an anonymized ZIP without changing the archive', async () => {
    const res = await apiFetch(
      archive,
      'GET',
      `/api/export?level=STUDY&uid=${study}&format=zip&anonymize=1&patientId=ZIP-1`,
    );
    expect(res.status).toBe(200);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.includes(Buffer.from('Novak'))).toBe(false);
    expect(zip.includes(Buffer.from('ZIP-1'))).toBe(true);
    expect(zip.includes(Buffer.from('Nemocnice'))).toBe(false);
    expect(
      (await findscu(archive.port, archive.aeTitle, ['-P'], ['QueryRetrieveLevel=PATIENT', 'PatientID=ZIP-1'])).answers,
    ).toEqual([]);
  }, 60_000);
});
