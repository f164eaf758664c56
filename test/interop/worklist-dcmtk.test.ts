import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { WorklistEntryError } from '../../main/index/worklist-entry.ts';

const SPS = 'ScheduledProcedureStepSequence[0]';

/** Scheduled procedure steps made through the core's index API, and modalities asking for them with findscu -W. */
describe('Modality Worklist SCP', () => {
  let archive: TestArchive;
  let mrId = 0;

  beforeAll(async () => {
    archive = await startArchive();
    const index = archive.server.index;
    mrId = (
      await index.addWorklistEntry({
        patientId: 'W001',
        patientName: 'Nováková^Eva',
        birthDate: '19800202',
        sex: 'F',
        accessionNumber: 'ACC-MR-1',
        modality: 'MR',
        scheduledAe: 'MR1',
        scheduledDate: '20261125',
        scheduledTime: '0930',
        requestedProcedureDescription: 'MR brain',
        stepDescription: 'Brain without contrast',
        requestedProcedureId: 'RP1',
      })
    ).id;
    await index.addWorklistEntry({
      patientId: 'W002',
      patientName: 'Smith^Tom',
      accessionNumber: 'ACC-CT-1',
      modality: 'CT',
      scheduledAe: 'CT1',
      scheduledDate: '20261125',
      scheduledTime: '1400',
    });
    await index.addWorklistEntry({
      patientId: 'W003',
      patientName: 'Smith^Ann',
      accessionNumber: 'ACC-CT-2',
      modality: 'CT',
      scheduledAe: 'CT1',
      scheduledDate: '20261126',
    });
  });
  afterAll(async () => {
    await archive?.stop();
  });

  const worklist = (keys: string[]) => findscu(archive.port, archive.aeTitle, ['-W'], keys);
  const returnKeys = [
    'PatientName',
    'PatientID',
    'AccessionNumber',
    'StudyInstanceUID',
    'RequestedProcedureDescription',
    `${SPS}.Modality`,
    `${SPS}.ScheduledStationAETitle`,
    `${SPS}.ScheduledProcedureStepStartDate`,
    `${SPS}.ScheduledProcedureStepStartTime`,
    `${SPS}.ScheduledProcedureStepDescription`,
  ];

  it('matches inside the Scheduled Procedure Step Sequence: modality, station and date', async () => {
    const r = await worklist([...returnKeys, `${SPS}.Modality=MR`, `${SPS}.ScheduledProcedureStepStartDate=20261125`]);
    expect(r.final, r.stdout).toBe('Success');
    expect(r.answers).toHaveLength(1);
    expect(r.answers[0]).toMatchObject({
      PatientName: 'Nováková^Eva',
      PatientID: 'W001',
      AccessionNumber: 'ACC-MR-1',
      RequestedProcedureDescription: 'MR brain',
      'ScheduledProcedureStepSequence.Modality': 'MR',
      'ScheduledProcedureStepSequence.ScheduledStationAETitle': 'MR1',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepStartDate': '20261125',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepStartTime': '0930',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepDescription': 'Brain without contrast',
    });
    expect(r.answers[0]!.StudyInstanceUID).toMatch(/^2\.25\.\d+$/);
    const ct = await worklist([
      ...returnKeys,
      `${SPS}.ScheduledStationAETitle=CT1`,
      `${SPS}.ScheduledProcedureStepStartDate=20261125-20261126`,
    ]);
    expect(ct.answers.map((a) => a.AccessionNumber).sort()).toEqual(['ACC-CT-1', 'ACC-CT-2']);
    const today = await worklist([...returnKeys, `${SPS}.ScheduledProcedureStepStartDate=20261126`]);
    expect(today.answers.map((a) => a.PatientName)).toEqual(['Smith^Ann']);
  });

  it('matches top-level keys and patient name wildcards without regard to case', async () => {
    const r = await worklist([...returnKeys, 'PatientName=smith*']);
    expect(r.answers.map((a) => a.PatientID).sort()).toEqual(['W002', 'W003']);
    const acc = await worklist([...returnKeys, 'AccessionNumber=ACC-MR-1']);
    expect(acc.answers.map((a) => a.PatientID)).toEqual(['W001']);
  });

  it('follows edits and deletions made through the API, and refuses an entry without what a modality needs', async () => {
    await archive.server.index.updateWorklistEntry(mrId, { modality: 'CT', scheduledAe: 'CT1' });
    const moved = await worklist([
      ...returnKeys,
      `${SPS}.ScheduledStationAETitle=CT1`,
      `${SPS}.ScheduledProcedureStepStartDate=20261125`,
    ]);
    expect(moved.answers.map((a) => a.PatientID).sort()).toEqual(['W001', 'W002']);
    expect(await archive.server.index.deleteWorklistEntry(mrId)).toBe(true);
    const gone = await worklist([...returnKeys, 'PatientID=W001']);
    expect(gone.answers).toEqual([]);
    await expect(
      archive.server.index.addWorklistEntry({
        patientId: 'X',
        patientName: 'X^Y',
        modality: 'CT',
        scheduledDate: '25.11.2026',
      }),
    ).rejects.toThrow(WorklistEntryError);
    expect(await archive.server.index.updateWorklistEntry(999999, { modality: 'CT' })).toBeUndefined();
  });

  it('refuses a malformed scheduled date with an error status', async () => {
    const r = await worklist([...returnKeys, `${SPS}.ScheduledProcedureStepStartDate=tomorrow`]);
    expect(r.final).toBe('Failed: UnableToProcess');
  });
});
