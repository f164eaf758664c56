import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { uid } from '../helpers/fixtures.ts';
import { seg } from '../helpers/hl7-segments.ts';
import type { WorklistEntryDto } from '../../main/api/contract.ts';

/**
 * dicom.sql's WorkList table as a Conquest site has it (issue 32.1): its HL7 fields decide where an order's values go,
 * and its columns beyond ours (a priority, the step's comments, medical alerts) are kept and answered to findscu -W.
 * The orders come from python3-hl7's mllp_send, as from the hospital's information system.
 */

const SPS = 'ScheduledProcedureStepSequence[0]';

/** Our shipped tables, with a WorkList in the manner of Conquest's stock one. */
const WORKLIST = `*Patient* { { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR } }
*WorkList*
{
  { 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR, "OBR.3" },
  { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR, "PID.3" },
  { 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR, "PID.5" },
  { 0x0010, 0x2000, "MedicalAlerts", 64, SQL_C_CHAR, DT_STR, "---" },
  { 0x0040, 0x0100, "--------", 0, SQL_C_CHAR, DT_STARTSEQUENCE, "---" },
  { 0x0008, 0x0060, "Modality", 16, SQL_C_CHAR, DT_STR, "OBR.24" },
  { 0x0040, 0x0002, "StartDate", 8, SQL_C_DATE, DT_DATE, "OBR.7.DATE" },
  { 0x0040, 0x0003, "StartTime", 16, SQL_C_CHAR, DT_TIME, "OBR.7.TIME" },
  { 0x0040, 0x0400, "SchedPSComments", 64, SQL_C_CHAR, DT_STR, "OBR.13" },
  { 0x0040, 0x0100, "---------", 0, SQL_C_CHAR, DT_ENDSEQUENCE, "---" },
  { 0x0040, 0x1003, "ReqProcPriority", 16, SQL_C_CHAR, DT_STR, "OBR.27.5" }
}`;

describe("dicom.sql's WorkList with HL7 orders and findscu -W", () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({ HL7Listener: '1', HL7Port: '0' }, [], 'TESTPACS', {
      configFiles: { 'dicom.sql': WORKLIST },
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-wl-sql-'));
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const order = (control: string, placer: string, priority: string, comment: string) =>
    [
      'MSH|^~\\&|HIS|NEMOCNICE|PACSWS|RDG|20261208080000||ORM^O01|' + `${control}-${placer}` + '|P|2.3.1',
      seg('PID', { 3: 'W100', 5: 'Novak^Jan', 7: '19700101', 8: 'M' }),
      seg('ORC', { 1: control, 2: placer, 3: `F-${placer}` }),
      seg('OBR', {
        1: '1',
        2: placer,
        3: `F-${placer}`,
        4: 'CT-HEAD^CT of the head',
        7: '202612091430',
        13: comment,
        18: `ACC-${placer}`,
        24: 'CT',
        27: `^^^^^${priority}`,
      }),
    ].join('\r');

  async function send(text: string): Promise<void> {
    const file = path.join(work, `${uid()}.hl7`);
    await writeFile(file, `${text}\n`);
    const r = await run('mllp_send', ['--loose', '-f', file, '-p', String(archive.server.hl7!.port), '127.0.0.1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/MSA\|AA\|/);
  }

  it('fills the worklist from the fields dicom.sql names, and answers its added keys to a modality', async () => {
    await send(order('NW', 'ORD7', 'STAT', 'contrast allergy'));
    const keys = [
      'PatientID=W100',
      'AccessionNumber',
      'MedicalAlerts',
      'RequestedProcedurePriority',
      `${SPS}.Modality`,
      `${SPS}.ScheduledProcedureStepStartDate`,
      `${SPS}.ScheduledProcedureStepStartTime`,
      `${SPS}.CommentsOnTheScheduledProcedureStep`,
    ];
    const r = await findscu(archive.port, archive.aeTitle, ['-W'], keys);
    expect(r.answers).toEqual([
      expect.objectContaining({
        // OBR.3 (the filler order number) as dicom.sql says, not our OBR-18.
        AccessionNumber: 'F-ORD7',
        MedicalAlerts: '',
        RequestedProcedurePriority: 'STAT',
        'ScheduledProcedureStepSequence.Modality': 'CT',
        'ScheduledProcedureStepSequence.ScheduledProcedureStepStartDate': '20261209',
        'ScheduledProcedureStepSequence.ScheduledProcedureStepStartTime': '1430',
        'ScheduledProcedureStepSequence.CommentsOnTheScheduledProcedureStep': 'contrast allergy',
      }),
    ]);
    // A modality asking only for urgent work matches on the added key.
    const urgent = async (priority: string) =>
      (await findscu(archive.port, archive.aeTitle, ['-W'], ['PatientID', `RequestedProcedurePriority=${priority}`]))
        .answers.length;
    expect(await urgent('STAT')).toBe(1);
    expect(await urgent('ROUTINE')).toBe(0);

    // A change (XO) changes the added columns too; the API shows them.
    await send(order('XO', 'ORD7', 'ROUTINE', 'no contrast'));
    expect(await urgent('ROUTINE')).toBe(1);
    const entries = (await (await apiFetch(archive, 'GET', '/api/worklist')).json()) as WorklistEntryDto[];
    expect(entries.find((e) => e.placerOrder === 'ORD7')).toMatchObject({
      more: { x_medicalalerts: '', x_schedpscomments: 'no contrast', x_reqprocpriority: 'ROUTINE' },
    });
  }, 60_000);
});
