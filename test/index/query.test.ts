import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { INDEX_ENGINES, testHeader } from '../helpers/index-engines.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import type { DataSet } from '../../main/dicom/dataset.ts';
import { qrAnswer, qrRequestFrom, IdentifierError, type QrModel } from '../../main/query/identifier.ts';
import { Status } from '../../main/dicom/status.ts';
import { withFoldedNames } from '../../main/query/condition.ts';
import { TransferSyntax } from '../../common/uids.ts';

/** The index answers identifiers the way PS3.4 C.2.2.2 says, each matching kind at each level. */

const TAGS: Record<string, [number, string]> = {
  QueryRetrieveLevel: [0x00080052, 'CS'],
  PatientName: [0x00100010, 'PN'],
  PatientID: [0x00100020, 'LO'],
  StudyDate: [0x00080020, 'DA'],
  StudyTime: [0x00080030, 'TM'],
  AccessionNumber: [0x00080050, 'SH'],
  StudyInstanceUID: [0x0020000d, 'UI'],
  ModalitiesInStudy: [0x00080061, 'CS'],
  NumberOfStudyRelatedInstances: [0x00201208, 'IS'],
  NumberOfStudyRelatedSeries: [0x00201206, 'IS'],
  SeriesInstanceUID: [0x0020000e, 'UI'],
  Modality: [0x00080060, 'CS'],
  NumberOfSeriesRelatedInstances: [0x00201209, 'IS'],
  SOPInstanceUID: [0x00080018, 'UI'],
  InstanceNumber: [0x00200013, 'IS'],
  NumberOfPatientRelatedStudies: [0x00201200, 'IS'],
  OtherPatientIDs: [0x00101000, 'LO'],
  SpecificCharacterSet: [0x00080005, 'CS'],
};

function identifier(keys: Record<string, string>): DataSet {
  return new Map(
    Object.entries(keys).map(([k, v]) => {
      const [tag, vr] = TAGS[k]!;
      return [tag, { tag, vr, value: Buffer.from(v, 'latin1') }];
    }),
  );
}

let n = 0;
const header = (h: Partial<InstanceHeader>) => testHeader(h, ++n);

describe.each(INDEX_ENGINES)('C-FIND over the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ index, dispose } = await engine.open('query'));
    n = 0; // the same SOP Instance UIDs (1.2.3.1 ...) for each engine
    const add = (h: Partial<InstanceHeader>) =>
      index.storeInstance({
        header: header(h),
        transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
        location: { device: 0, relativePath: `f${n}` },
        size: 10,
        callingAe: 'CT1',
      });
    // Doe^John: study 1.1 (CT, 2 series, 3 images), study 1.2 (MR, 1 image)
    await add({});
    await add({});
    await add({ seriesInstanceUid: '1.1.2', seriesNumber: '2' });
    await add({
      studyInstanceUid: '1.2',
      seriesInstanceUid: '1.2.1',
      modality: 'MR',
      studyDate: '20240320',
      studyTime: '140000',
      accessionNumber: 'A2',
    });
    // Doeson^Jane and Novák^Jiří
    await add({
      patientId: 'P2',
      patientName: 'Doeson^Jane^^',
      studyInstanceUid: '2.1',
      seriesInstanceUid: '2.1.1',
      studyDate: '20231201',
      accessionNumber: 'B1',
    });
    await add({
      patientId: 'P3',
      patientName: 'Novák^Jiří',
      studyInstanceUid: '3.1',
      seriesInstanceUid: '3.1.1',
      studyDate: '',
      accessionNumber: 'C1',
      modality: 'US',
    });
  });
  afterAll(async () => {
    await dispose?.();
  });

  async function find(keys: Record<string, string>, model: QrModel = 'STUDY') {
    const request = qrRequestFrom(identifier(keys), model);
    const rows = await index.queryArchive(request.level, request.returns, request.conditions);
    return { rows, request };
  }
  const studies = async (keys: Record<string, string>) =>
    (await find({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', ...keys })).rows
      .map((r) => r.StudyInstanceUID)
      .sort();

  it('matches person names by single value and wildcard, ignoring case and trailing empty components', async () => {
    expect(await studies({ PatientName: 'doe^john' })).toEqual(['1.1', '1.2']);
    expect(await studies({ PatientName: 'DOESON^JANE' })).toEqual(['2.1']);
    expect(await studies({ PatientName: 'doe*' })).toEqual(['1.1', '1.2', '2.1']);
    expect(await studies({ PatientName: 'D?E^*' })).toEqual(['1.1', '1.2']);
    expect(await studies({ PatientName: 'nov*' })).toEqual(['3.1']);
    expect(await studies({ PatientName: '*' })).toEqual(['1.1', '1.2', '2.1', '3.1']);
  });

  it('matches person names forgivingly when asked: without diacritics or case, ue and oe as ü and ö', async () => {
    await index.storeInstance({
      header: header({
        patientId: 'P9',
        patientName: 'Müller^Hans',
        studyInstanceUid: '9.1',
        seriesInstanceUid: '9.1.1',
      }),
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: 'f-muller' },
      size: 10,
      callingAe: 'CT1',
    });
    const forgiving = async (name: string) => {
      const request = qrRequestFrom(
        identifier({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientName: name }),
        'STUDY',
      );
      return (await index.queryArchive(request.level, request.returns, withFoldedNames(request.conditions)))
        .map((r) => r.StudyInstanceUID)
        .sort();
    };
    try {
      expect(await forgiving('novak^jiri')).toEqual(['3.1']);
      expect(await forgiving('NOVAK*')).toEqual(['3.1']);
      expect(await forgiving('mueller^hans')).toEqual(['9.1']);
      expect(await forgiving('muller*')).toEqual(['9.1']);
      expect(await forgiving('m?ller^hans')).toEqual(['9.1']);
      expect(await forgiving('doe^john')).toEqual(['1.1', '1.2']);
      // Patient IDs and accession numbers case aside (an index of each engine's own: migration 18).
      const caseAside = async (keys: Record<string, string>) => {
        const request = qrRequestFrom(
          identifier({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', ...keys }),
          'STUDY',
        );
        return (await index.queryArchive(request.level, request.returns, withFoldedNames(request.conditions)))
          .map((r) => r.StudyInstanceUID)
          .sort();
      };
      expect(await caseAside({ PatientID: 'p1' })).toEqual(await studies({ PatientID: 'P1' }));
      expect(await caseAside({ PatientID: 'p1' })).not.toEqual([]);
      expect(await caseAside({ AccessionNumber: 'a1' })).toEqual(await studies({ AccessionNumber: 'A1' }));
      expect(await caseAside({ AccessionNumber: 'a1' })).not.toEqual([]);
      expect(await studies({ PatientID: 'p1' })).toEqual([]);
      // Exact matching (the C-FIND default) keeps its meaning.
      expect(await studies({ PatientName: 'novak*' })).toEqual([]);
      expect(await studies({ PatientName: 'mueller^hans' })).toEqual([]);
    } finally {
      const d = await index.beginStudyDeletion('9.1', 'test');
      if (d && d !== 'protected') await index.finishDeletion(d.id);
    }
  });

  it('matches dates and times by value and range, never an empty date inside a range', async () => {
    expect(await studies({ StudyDate: '20240110' })).toEqual(['1.1']);
    expect(await studies({ StudyDate: '20240101-20241231' })).toEqual(['1.1', '1.2']);
    expect(await studies({ StudyDate: '-20240110' })).toEqual(['1.1', '2.1']);
    expect(await studies({ StudyDate: '20240301-' })).toEqual(['1.2']);
    expect(await studies({ StudyTime: '14-' })).toEqual(['1.2']);
    expect(await studies({ StudyTime: '-10' })).toEqual(['1.1', '2.1', '3.1']);
  });

  it('matches UID lists, accession numbers and Modalities in Study', async () => {
    expect(await studies({ StudyInstanceUID: '1.2\\3.1\\9.9' })).toEqual(['1.2', '3.1']);
    expect(await studies({ AccessionNumber: 'A2' })).toEqual(['1.2']);
    expect(await studies({ ModalitiesInStudy: 'MR' })).toEqual(['1.2']);
    expect(await studies({ ModalitiesInStudy: 'US\\MR' })).toEqual(['1.2', '3.1']);
  });

  it('computes the counts and the modalities of a study, and leaves unsupported keys empty', async () => {
    const { rows, request } = await find({
      QueryRetrieveLevel: 'STUDY',
      StudyInstanceUID: '1.1',
      ModalitiesInStudy: '',
      NumberOfStudyRelatedInstances: '',
      NumberOfStudyRelatedSeries: '',
      OtherPatientIDs: '',
    });
    expect(rows).toEqual([
      {
        StudyInstanceUID: '1.1',
        ModalitiesInStudy: 'CT',
        NumberOfStudyRelatedInstances: 3,
        NumberOfStudyRelatedSeries: 2,
      },
    ]);
    const answer = qrAnswer(rows[0]!, request, 'ARCHIVE');
    expect((answer.get(0x00201208)!.value as Buffer).toString()).toBe('3');
    expect((answer.get(0x00101000)!.value as Buffer).length).toBe(0);
    expect((answer.get(0x00080052)!.value as Buffer).toString()).toBe('STUDY');
    expect(request.unsupportedMatching).toBe(false);
    expect(
      qrRequestFrom(identifier({ QueryRetrieveLevel: 'STUDY', OtherPatientIDs: 'X' }), 'STUDY').unsupportedMatching,
    ).toBe(true);
  });

  it('answers each level, and the patient level only in the Patient Root model', async () => {
    const patients = await find(
      { QueryRetrieveLevel: 'PATIENT', PatientID: '', PatientName: 'DOE*', NumberOfPatientRelatedStudies: '' },
      'PATIENT',
    );
    expect(patients.rows.map((r) => [r.PatientID, r.NumberOfPatientRelatedStudies]).sort()).toEqual([
      ['P1', 2],
      ['P2', 1],
    ]);
    const series = await find({
      QueryRetrieveLevel: 'SERIES',
      StudyInstanceUID: '1.1',
      SeriesInstanceUID: '',
      Modality: 'CT',
      NumberOfSeriesRelatedInstances: '',
    });
    expect(series.rows.map((r) => [r.SeriesInstanceUID, r.NumberOfSeriesRelatedInstances])).toEqual([
      ['1.1.1', 2],
      ['1.1.2', 1],
    ]);
    const images = await find({
      QueryRetrieveLevel: 'IMAGE',
      StudyInstanceUID: '1.1',
      SeriesInstanceUID: '1.1.1',
      SOPInstanceUID: '',
    });
    expect(images.rows).toHaveLength(2);
    expect(() => qrRequestFrom(identifier({ QueryRetrieveLevel: 'PATIENT' }), 'STUDY')).toThrow(IdentifierError);
    expect(() => qrRequestFrom(identifier({ QueryRetrieveLevel: 'FRAME' }), 'STUDY')).toThrow(
      expect.objectContaining({ status: Status.IdentifierDoesNotMatchSopClass }),
    );
  });

  it('answers a Latin-2 request in Latin-2 and an ASCII request with UTF-8 when the name needs it', async () => {
    const latin2 = await find({ QueryRetrieveLevel: 'STUDY', SpecificCharacterSet: 'ISO_IR 101', PatientName: 'NOV*' });
    const answer = qrAnswer(latin2.rows[0]!, latin2.request, 'ARCHIVE');
    expect((answer.get(0x00080005)!.value as Buffer).toString()).toBe('ISO_IR 101');
    expect([...(answer.get(0x00100010)!.value as Buffer)]).toEqual([
      ...Buffer.from([0x4e, 0x6f, 0x76, 0xe1, 0x6b, 0x5e, 0x4a, 0x69, 0xf8, 0xed]),
    ]);
    const plain = await find({ QueryRetrieveLevel: 'STUDY', PatientName: 'NOV*' });
    const utf8 = qrAnswer(plain.rows[0]!, plain.request, 'ARCHIVE');
    expect((utf8.get(0x00080005)!.value as Buffer).toString()).toBe('ISO_IR 192');
    expect((utf8.get(0x00100010)!.value as Buffer).toString('utf8')).toBe('Novák^Jiří');
  });

  it("answers a script's read-only sql() with rows of text, and never writes", async () => {
    const rows = await index.scriptRows(
      'SELECT s.study_uid, p.patient_name FROM studies s JOIN patients p ON p.id = s.patient_fk ORDER BY s.study_uid;',
    );
    expect(rows.map((r) => r[0])).toEqual(['1.1', '1.2', '2.1', '3.1']);
    expect(rows[3]![1]).toBe('Novák^Jiří');
    await expect(index.scriptRows("UPDATE patients SET patient_name = 'x'")).rejects.toThrow('reads only');
    await expect(index.scriptRows('SELECT name FROM users')).rejects.toThrow('does not read users');
    expect((await index.scriptRows("SELECT count(*) FROM patients WHERE patient_name = 'x'"))[0]).toEqual(['0']);
  });

  it("lists the patients with studies on a storage folder, least recently used first (Lua's listoldestpatients)", async () => {
    const all = await index.oldestPatients(0, 10);
    expect([...all].sort()).toEqual(['P1', 'P2', 'P3']);
    expect(await index.oldestPatients(0, 2)).toHaveLength(2);
    expect(await index.oldestPatients(5, 10)).toEqual([]);
    // Used now: the patient goes last.
    await index.touchStudies([['2.1', new Date().toISOString()]]);
    expect((await index.oldestPatients(0, 10)).at(-1)).toBe('P2');
  });

  it('refuses a malformed date with status C000', () => {
    expect(() => qrRequestFrom(identifier({ QueryRetrieveLevel: 'STUDY', StudyDate: '2024-01-01' }), 'STUDY')).toThrow(
      expect.objectContaining({ status: Status.UnableToProcess, message: expect.stringMatching(/StudyDate/) }),
    );
  });

  it('keeps the study and series counts right when an object is stored again into another series', async () => {
    const counts = async () =>
      (
        await find({
          QueryRetrieveLevel: 'SERIES',
          StudyInstanceUID: '1.1',
          SeriesInstanceUID: '',
          NumberOfSeriesRelatedInstances: '',
        })
      ).rows
        .map((r) => [r.SeriesInstanceUID, r.NumberOfSeriesRelatedInstances])
        .sort();
    expect(await counts()).toEqual([
      ['1.1.1', 2],
      ['1.1.2', 1],
    ]);
    const again = header({
      sopInstanceUid: '1.2.3.1',
      seriesInstanceUid: '1.1.2',
      seriesNumber: '2',
      instanceNumber: '9',
    });
    await index.storeInstance({
      header: again,
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: 'again' },
      size: 10,
      callingAe: 'CT1',
    });
    expect(await counts()).toEqual([
      ['1.1.1', 1],
      ['1.1.2', 2],
    ]);
    const study = (
      await find({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.1', NumberOfStudyRelatedInstances: '' })
    ).rows[0];
    expect(study?.NumberOfStudyRelatedInstances).toBe(3);
    await index.storeInstance({
      header: { ...again, seriesInstanceUid: '1.1.1', seriesNumber: '1' },
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: 'back' },
      size: 10,
      callingAe: 'CT1',
    });
    expect(await counts()).toEqual([
      ['1.1.1', 2],
      ['1.1.2', 1],
    ]);
  });

  it('finds the instances under a study for a retrieve, in order', async () => {
    const request = qrRequestFrom(identifier({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.1' }), 'STUDY');
    const found = await index.instancesMatching(request.conditions);
    expect(found.map((i) => i.sopInstanceUid)).toEqual(['1.2.3.1', '1.2.3.2', '1.2.3.3']);
  });

  it('caps a search at a limit, the most recently stored entities first', async () => {
    const request = qrRequestFrom(identifier({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' }), 'STUDY');
    const newest = await index.queryArchive(request.level, request.returns, request.conditions, 2);
    expect(newest.map((r) => r.StudyInstanceUID)).toEqual(['3.1', '2.1']);
    expect((await index.queryArchive(request.level, request.returns, request.conditions)).length).toBe(4);
  });

  // Last: it removes data the tests above read.
  it('deletes a study with its series and objects, and its patient only with the last study, through the journal', async () => {
    expect(await index.setStudyProtected('1.1', true)).toBe(true);
    expect(await index.beginStudyDeletion('1.1', 'test')).toBe('protected');
    const deletion = await index.beginStudyDeletion('1.1', 'test', true);
    if (!deletion || deletion === 'protected') throw new Error('not deleted');
    expect(deletion.locations.map((l) => l.relativePath).sort()).toEqual(['back', 'f2', 'f3']);
    expect((await index.pendingDeletions()).map((d) => d.id)).toEqual([deletion.id]);
    await index.finishDeletion(deletion.id);
    expect(await index.pendingDeletions()).toEqual([]);
    expect((await index.listDeletions())[0]).toMatchObject({
      studyUid: '1.1',
      patientId: 'P1',
      objects: 3,
      reason: 'test',
      state: 'done',
    });
    expect(await index.beginStudyDeletion('1.1', 'test')).toBeUndefined();
    expect(
      (await find({ QueryRetrieveLevel: 'STUDY', PatientID: 'P1', StudyInstanceUID: '' })).rows.map(
        (r) => r.StudyInstanceUID,
      ),
    ).toEqual(['1.2']);
    expect(await index.findInstance('1.2.3.1')).toBeUndefined();
    expect((await find({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: '1.1', SeriesInstanceUID: '' })).rows).toEqual(
      [],
    );
    expect(await index.findPatient('P1')).toBeDefined();
    await index.beginStudyDeletion('1.2', 'test');
    expect(await index.findPatient('P1')).toBeUndefined();
    expect(await index.counts()).toMatchObject({ patients: 2, studies: 2, series: 2, instances: 2 });
    // A new object of the deleted series makes it anew (no stale cached series row).
    await index.storeInstance({
      header: header({ sopInstanceUid: '1.2.3.99' }),
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: 'new' },
      size: 10,
      callingAe: 'CT1',
    });
    expect(
      (
        await find({
          QueryRetrieveLevel: 'SERIES',
          StudyInstanceUID: '1.1',
          SeriesInstanceUID: '',
          NumberOfSeriesRelatedInstances: '',
        })
      ).rows,
    ).toEqual([expect.objectContaining({ SeriesInstanceUID: '1.1.1', NumberOfSeriesRelatedInstances: 1 })]);
  });
});
