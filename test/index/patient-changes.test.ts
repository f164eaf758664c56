import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import { INDEX_ENGINES, testHeader } from '../helpers/index-engines.ts';
import { QR_ATTRIBUTES, qrAttribute, type LevelNumber } from '../../main/query/attributes.ts';
import { TransferSyntax } from '../../common/uids.ts';

/**
 * Patient updates and merges from HL7 (issue 16) leave the same rows and counts on every index engine; a patient's
 * name follows its newest study and each study keeps its own (issue 28).
 */
describe.each(INDEX_ENGINES)('patient changes on the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ index, dispose } = await engine.open('patients'));
  });
  afterAll(async () => {
    await dispose?.();
  });

  let n = 0;
  const store = (h: Partial<InstanceHeader>) =>
    index.storeInstance({
      header: testHeader({ rows: 8, columns: 8, ...h }, ++n, '9.8'),
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: `x/${n}.dcm` },
      size: 10,
      callingAe: 'T',
    });

  it('updates a patient, merges another into it, and keeps the counts right', async () => {
    await store({ patientId: 'H1', patientName: 'Novak^Jan', studyInstanceUid: '9.1', seriesInstanceUid: '9.1.1' });
    await store({ patientId: 'H2', patientName: 'Novák^Jan', studyInstanceUid: '9.2', seriesInstanceUid: '9.2.1' });
    await store({ patientId: 'H2', patientName: 'Novák^Jan', studyInstanceUid: '9.3', seriesInstanceUid: '9.3.1' });
    await index.addWorklistEntry({
      patientId: 'H2',
      patientName: 'Novák^Jan',
      modality: 'CT',
      scheduledDate: '20261127',
    });
    expect(
      await index.updatePatient({ patientId: 'H1', patientName: 'Novák^Jan^Karel', birthDate: '19650312', sex: 'M' }),
    ).toBe(true);
    expect(await index.updatePatient({ patientId: 'NOBODY', patientName: 'X', birthDate: '', sex: '' })).toBe(false);
    expect(await index.findPatient('H1')).toEqual({
      patientId: 'H1',
      patientName: 'Novák^Jan^Karel',
      birthDate: '19650312',
      sex: 'M',
    });

    expect(
      await index.mergePatients(
        'H2',
        { patientId: 'H1', patientName: 'Novák^Jan^Karel', birthDate: '19650312', sex: 'M' },
        'test',
      ),
    ).toBe(2);
    expect(await index.findPatient('H2')).toBeUndefined();
    expect(await index.counts()).toMatchObject({ patients: 1, studies: 3, instances: 3 });
    // Its size on disk, for monitoring: SQLite's pages, MariaDB's tables (at least a page of each).
    expect(await index.sizeBytes()).toBeGreaterThanOrEqual(4096);
    expect((await index.listWorklist()).map((e) => [e.patientId, e.patientName])).toEqual([['H1', 'Novák^Jan^Karel']]);

    // A merge into a patient the archive does not hold yet renames the prior one.
    expect(
      await index.mergePatients('H1', { patientId: 'H9', patientName: 'Novák^Jan', birthDate: '', sex: '' }, 'test'),
    ).toBe(3);
    expect(await index.findPatient('H9')).toMatchObject({ patientName: 'Novák^Jan' });
    expect(await index.counts()).toMatchObject({ patients: 1, studies: 3 });
    // Objects arriving afterwards for a merged study still land under the surviving patient's study row.
    await store({ patientId: 'H9', patientName: 'Novák^Jan', studyInstanceUid: '9.2', seriesInstanceUid: '9.2.1' });
    expect(await index.counts()).toMatchObject({ patients: 1, studies: 3, instances: 4 });
  });

  it('counts studies and series again after objects moved between them (an edit), and prunes what is left empty', async () => {
    await store({ patientId: 'E1', studyInstanceUid: '7.1', seriesInstanceUid: '7.1.1', sopInstanceUid: '7.9.1' });
    await store({ patientId: 'E1', studyInstanceUid: '7.1', seriesInstanceUid: '7.1.2', sopInstanceUid: '7.9.2' });
    await store({ patientId: 'E1', studyInstanceUid: '7.1', seriesInstanceUid: '7.1.2', sopInstanceUid: '7.9.3' });
    // Series 7.1.2 moves to a new study 7.2 of another patient: its objects are stored again with the new values.
    await store({ patientId: 'E2', studyInstanceUid: '7.2', seriesInstanceUid: '7.1.2', sopInstanceUid: '7.9.2' });
    await store({ patientId: 'E2', studyInstanceUid: '7.2', seriesInstanceUid: '7.1.2', sopInstanceUid: '7.9.3' });
    await index.pruneEmpty(['7.1', '7.2']);
    const row = async (uid: string) =>
      (
        await index.queryArchive(
          1,
          ['NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances'].map(
            (k) => QR_ATTRIBUTES.find((a) => a.keyword === k)!,
          ),
          [
            {
              attr: QR_ATTRIBUTES.find((a) => a.keyword === 'StudyInstanceUID')!,
              match: { kind: 'single', value: uid },
            },
          ],
        )
      )[0];
    expect(await row('7.1')).toEqual({ NumberOfStudyRelatedSeries: 1, NumberOfStudyRelatedInstances: 1 });
    expect(await row('7.2')).toEqual({ NumberOfStudyRelatedSeries: 1, NumberOfStudyRelatedInstances: 2 });
    // The last object of study 7.1 moves too: its series, study and patient go.
    await store({ patientId: 'E2', studyInstanceUid: '7.2', seriesInstanceUid: '7.1.1', sopInstanceUid: '7.9.1' });
    await index.pruneEmpty(['7.1', '7.2']);
    expect(await row('7.1')).toBeUndefined();
    expect(await index.findPatient('E1')).toBeUndefined();
    expect(await row('7.2')).toEqual({ NumberOfStudyRelatedSeries: 2, NumberOfStudyRelatedInstances: 3 });
  });

  it("keeps each study's own patient name; the patient takes its newest study's, and a confirmed one whatever arrives", async () => {
    const nameAt = async (level: LevelNumber) =>
      (
        await index.queryArchive(
          level,
          [qrAttribute(0x0020000d, 1)!, qrAttribute(0x00100010, level)!].filter((a) => a.level <= level),
          [{ attr: qrAttribute(0x00100020, level)!, match: { kind: 'single', value: 'D1' } }],
        )
      )
        .map((r) => (level ? `${r.StudyInstanceUID} ${r.PatientName}` : String(r.PatientName)))
        .sort();
    await store({
      patientId: 'D1',
      patientName: 'Dvořák^Jiří',
      studyInstanceUid: '5.26',
      seriesInstanceUid: '5.26.1',
      studyDate: '20260105',
      patientSex: 'M',
    });
    // A prior from another archive, written years ago by an old modality: it keeps its own spelling and renames nobody.
    await store({
      patientId: 'D1',
      patientName: 'DVORAK^JIRI',
      studyInstanceUid: '5.24',
      seriesInstanceUid: '5.24.1',
      studyDate: '20240105',
      patientSex: '',
    });
    expect(await index.findPatient('D1')).toMatchObject({ patientName: 'Dvořák^Jiří', sex: 'M' });
    expect(await nameAt(0)).toEqual(['Dvořák^Jiří']);
    expect(await nameAt(1)).toEqual(['5.24 DVORAK^JIRI', '5.26 Dvořák^Jiří']);
    expect(await index.patientNames(['D1', 'NOBODY'])).toEqual([
      {
        patientId: 'D1',
        name: 'Dvořák^Jiří',
        confirmed: false,
        spellings: [
          { name: 'DVORAK^JIRI', studies: 1 },
          { name: 'Dvořák^Jiří', studies: 1 },
        ],
      },
    ]);
    // A study-level search matches a study's own spelling.
    const studies = await index.queryArchive(
      1,
      [qrAttribute(0x0020000d, 1)!],
      [{ attr: qrAttribute(0x00100010, 1)!, match: { kind: 'single', value: 'DVORAK^JIRI' } }],
    );
    expect(studies.map((r) => r.StudyInstanceUID)).toEqual(['5.24']);
    // A newer study: the patient goes by its spelling (the rule), until an admin confirms a name.
    await store({
      patientId: 'D1',
      patientName: 'Dvorak^Jiri',
      studyInstanceUid: '5.27',
      seriesInstanceUid: '5.27.1',
      studyDate: '20270105',
    });
    expect(await index.findPatient('D1')).toMatchObject({ patientName: 'Dvorak^Jiri' });
    expect(await index.confirmPatientName('D1', 'Dvořák^Jiří')).toBe(true);
    expect(await index.confirmPatientName('NOBODY', 'X')).toBe(false);
    await store({
      patientId: 'D1',
      patientName: 'DVORAK^J',
      studyInstanceUid: '5.28',
      seriesInstanceUid: '5.28.1',
      studyDate: '20280105',
      patientBirthDate: '19700102',
    });
    expect(await index.findPatient('D1')).toMatchObject({ patientName: 'Dvořák^Jiří', birthDate: '19700102' });
    expect((await index.patientNames(['D1']))[0]).toMatchObject({ name: 'Dvořák^Jiří', confirmed: true });
  });

  it('keeps the name an admin or the hospital gave while studies with other spellings arrive at the same moment', async () => {
    await store({
      patientId: 'R1',
      patientName: 'Racer^Anna',
      studyInstanceUid: '6.0',
      seriesInstanceUid: '6.0.1',
      studyDate: '20200101',
    });
    const arrivals = Array.from({ length: 40 }, (_, i) =>
      store({
        patientId: 'R1',
        patientName: i % 2 ? 'RACER^ANNA' : 'Racer^A',
        studyInstanceUid: `6.${i + 1}`,
        seriesInstanceUid: `6.${i + 1}.1`,
        studyDate: `2026${String(1 + (i % 12)).padStart(2, '0')}01`,
      }),
    );
    const admin = index.confirmPatientName('R1', 'Račer^Anna');
    const hospital = index.updatePatient({
      patientId: 'R1',
      patientName: 'Račerová^Anna',
      birthDate: '19800101',
      sex: 'F',
    });
    await Promise.all([...arrivals, admin, hospital]);
    expect(['Račer^Anna', 'Račerová^Anna']).toContain((await index.findPatient('R1'))!.patientName);
    const names = (await index.patientNames(['R1']))[0]!;
    expect(names.confirmed).toBe(true);
    expect(names.spellings.reduce((n, s) => n + s.studies, 0)).toBe(41);
  });
});
