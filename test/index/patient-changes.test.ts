import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import { INDEX_ENGINES, testHeader } from '../helpers/index-engines.ts';
import { QR_ATTRIBUTES } from '../../main/query/attributes.ts';

/** Patient updates and merges from HL7 (issue 16) leave the same rows and counts on every index engine. */
describe.each(INDEX_ENGINES)('patient changes on the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  beforeAll(async () => { ({ index, dispose } = await engine.open('patients')); });
  afterAll(async () => { await dispose?.(); });

  let n = 0;
  const store = (h: Partial<InstanceHeader>) => index.storeInstance({ header: testHeader({ rows: 8, columns: 8, ...h }, ++n, '9.8'), transferSyntaxUid: '1.2.840.10008.1.2.1',
    location: { device: 0, relativePath: `x/${n}.dcm` }, size: 10, callingAe: 'T' });

  it('updates a patient, merges another into it, and keeps the counts right', async () => {
    await store({ patientId: 'H1', patientName: 'Novak^Jan', studyInstanceUid: '9.1', seriesInstanceUid: '9.1.1' });
    await store({ patientId: 'H2', patientName: 'Novák^Jan', studyInstanceUid: '9.2', seriesInstanceUid: '9.2.1' });
    await store({ patientId: 'H2', patientName: 'Novák^Jan', studyInstanceUid: '9.3', seriesInstanceUid: '9.3.1' });
    await index.addWorklistEntry({ patientId: 'H2', patientName: 'Novák^Jan', modality: 'CT', scheduledDate: '20261127' });
    expect(await index.updatePatient({ patientId: 'H1', patientName: 'Novák^Jan^Karel', birthDate: '19650312', sex: 'M' })).toBe(true);
    expect(await index.updatePatient({ patientId: 'NOBODY', patientName: 'X', birthDate: '', sex: '' })).toBe(false);
    expect(await index.findPatient('H1')).toEqual({ patientId: 'H1', patientName: 'Novák^Jan^Karel', birthDate: '19650312', sex: 'M' });

    expect(await index.mergePatients('H2', { patientId: 'H1', patientName: 'Novák^Jan^Karel', birthDate: '19650312', sex: 'M' }, 'test')).toBe(2);
    expect(await index.findPatient('H2')).toBeUndefined();
    expect(await index.counts()).toMatchObject({ patients: 1, studies: 3, instances: 3 });
    expect((await index.listWorklist()).map((e) => [e.patientId, e.patientName])).toEqual([['H1', 'Novák^Jan^Karel']]);

    // A merge into a patient the archive does not hold yet renames the prior one.
    expect(await index.mergePatients('H1', { patientId: 'H9', patientName: 'Novák^Jan', birthDate: '', sex: '' }, 'test')).toBe(3);
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
    const row = async (uid: string) => (await index.queryArchive(1, ['NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances'].map((k) => QR_ATTRIBUTES.find((a) => a.keyword === k)!),
      [{ attr: QR_ATTRIBUTES.find((a) => a.keyword === 'StudyInstanceUID')!, match: { kind: 'single', value: uid } }]))[0];
    expect(await row('7.1')).toEqual({ NumberOfStudyRelatedSeries: 1, NumberOfStudyRelatedInstances: 1 });
    expect(await row('7.2')).toEqual({ NumberOfStudyRelatedSeries: 1, NumberOfStudyRelatedInstances: 2 });
    // The last object of study 7.1 moves too: its series, study and patient go.
    await store({ patientId: 'E2', studyInstanceUid: '7.2', seriesInstanceUid: '7.1.1', sopInstanceUid: '7.9.1' });
    await index.pruneEmpty(['7.1', '7.2']);
    expect(await row('7.1')).toBeUndefined();
    expect(await index.findPatient('E1')).toBeUndefined();
    expect(await row('7.2')).toEqual({ NumberOfStudyRelatedSeries: 2, NumberOfStudyRelatedInstances: 3 });
  });
});