import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../main/workflow/hl7/message.ts';
import { readOrders } from '../../main/workflow/hl7/orders.ts';
import { orderColumns } from '../../main/workflow/hl7/order-columns.ts';
import { parseDicomSql } from '../../main/config/dicom-sql.ts';
import { indexSchemaOf } from '../../main/config/index-schema.ts';
import { ConfigErrors } from '../../main/config/config-error.ts';

/** dicom.sql's WorkList HL7 fields decide where an order's values come from, as Conquest's do. */

const TABLES = `*Patient* { { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR } }
*WorkList*
{
  { 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR, "OBR.3" },
  { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR, "PID.4" },
  { 0x0010, 0x0010, "PatientName", 64, SQL_C_CHAR, DT_STR, "PID.5" },
  { 0x0010, 0x2000, "MedicalAlerts", 64, SQL_C_CHAR, DT_STR, "---" },
  { 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI, "*UI" },
  { 0x0032, 0x1060, "ReqProcDescription", 64, SQL_C_CHAR, DT_STR, "OBR.4.1" },
  { 0x0040, 0x0100, "--------", 0, SQL_C_CHAR, DT_STARTSEQUENCE, "---" },
  { 0x0008, 0x0060, "Modality", 16, SQL_C_CHAR, DT_STR, "---" },
  { 0x0040, 0x0002, "StartDate", 8, SQL_C_DATE, DT_DATE, "OBR.7.DATE" },
  { 0x0040, 0x0003, "StartTime", 16, SQL_C_CHAR, DT_TIME, "OBR.7.TIME" },
  { 0x0040, 0x0009, "SchedPSID", 16, SQL_C_CHAR, DT_STR, "OBR.4.0" },
  { 0x0040, 0x0400, "SchedPSComments", 64, SQL_C_CHAR, DT_STR, "OBR.13" },
  { 0x0040, 0x0100, "---------", 0, SQL_C_CHAR, DT_ENDSEQUENCE, "---" },
  { 0x0040, 0x1003, "ReqProcPriority", 16, SQL_C_CHAR, DT_STR, "OBR.27.5" }
}`;

const ORDER = [
  'MSH|^~\\&|HIS|WARD|PACS|RAD|20261208101500||ORM^O01|5|P|2.3',
  'PID|1|HOSP77|MRN77|ALT77|Dvorak^Jiri^^^Ing.||19700101|M',
  'ORC|NW|PLACER1|FILLER1',
  'OBR|1|PLACER1|FILLER1|CT-HEAD^CT of the head|||202612091430||||||contrast allergy|||||ACC18|RP19|SPS20||||CT|||^^^^^STAT',
].join('\r');

describe("dicom.sql's WorkList HL7 fields", () => {
  it('replace our mapping of the columns they name: fields, components from 0, date and time halves, new UIDs', () => {
    const schema = indexSchemaOf(parseDicomSql('dicom.sql', TABLES));
    // Columns beyond the worklist's own become its columns: at the top, or in the step's item.
    expect(schema.worklistKeys.map((k) => [k.attr.keyword, k.attr.column, k.step])).toEqual([
      ['MedicalAlerts', 'w.x_medicalalerts', false],
      ['CommentsOnTheScheduledProcedureStep', 'w.x_schedpscomments', true],
      ['RequestedProcedurePriority', 'w.x_reqprocpriority', false],
    ]);
    const columns = orderColumns(schema);
    const [ours] = readOrders(parseMessage(Buffer.from(ORDER)));
    const [theirs] = readOrders(parseMessage(Buffer.from(ORDER)), columns);
    expect(ours!.entry).toMatchObject({
      accessionNumber: 'ACC18',
      patientId: 'MRN77',
      stepId: 'SPS20',
      requestedProcedureDescription: 'CT of the head',
      // Ours reads the start from TQ1-7, OBR-27.4, OBR-36 or ORC-9, not OBR-7 (the observation's time).
      scheduledDate: '',
      studyUid: '',
    });
    expect(theirs!.entry).toMatchObject({
      accessionNumber: 'FILLER1',
      patientId: 'ALT77',
      patientName: 'Dvorak^Jiri^^Ing.',
      stepId: 'CT-HEAD',
      requestedProcedureDescription: 'CT of the head',
      scheduledDate: '20261209',
      scheduledTime: '1430',
      // "---": ours.
      modality: 'CT',
      more: { x_schedpscomments: 'contrast allergy', x_reqprocpriority: 'STAT' },
    });
    expect(theirs!.entry.studyUid).toMatch(/^[\d.]{10,64}$/);
  });

  it('refuses an HL7 field it cannot read, with its line', () => {
    const bad = TABLES.replace('"OBR.4.1"', '"OBR-4"').replace(
      '{ 0x0040, 0x0100, "--------"',
      '{ 0x0040, 0x0008, "--------"',
    );
    expect(() => indexSchemaOf(parseDicomSql('dicom.sql', bad))).toThrow(ConfigErrors);
    expect(() => indexSchemaOf(parseDicomSql('dicom.sql', bad))).toThrow(
      /dicom\.sql:9: "OBR-4" is not an HL7 field \(SEG\.N, SEG\.N\.M.*\n.*dicom\.sql:10: the worklist keeps one sequence/,
    );
  });
});
