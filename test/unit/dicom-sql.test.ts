import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseDicomSql } from '../../main/config/dicom-sql.ts';
import { ConfigErrors } from '../../main/config/config-error.ts';
import { indexSchemaOf } from '../../main/config/index-schema.ts';
import { DEFAULT_CONFIG_DIR } from '../../main/config/load.ts';
import { Tag } from '../../main/dicom/tags.ts';
import path from 'node:path';
import { CONQUEST_STYLE } from '../helpers/conquest-dicom-sql.ts';

/** dicom.sql as Conquest writes it, read line for line; what each line means to the index. */

function refusals(text: string): string[] {
  try {
    indexSchemaOf(parseDicomSql('dicom.sql', text));
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    throw err;
  }
  return [];
}

describe('dicom.sql', () => {
  it("reads Conquest's layout: comments, a missing comma, HL7 fields; adds only what the index does not keep", () => {
    const file = parseDicomSql('dicom.sql', CONQUEST_STYLE);
    expect(file.entries).toHaveLength(22);
    expect(file.entries.find((e) => e.column === 'PatientID' && e.level === 'Study')!.line).toBe(20);
    const schema = indexSchemaOf(file);
    // Denormalised copies (the patient on the study, SeriesPat, ImagePat), links and our own keys add nothing.
    expect(schema.added.map((c) => [c.table, c.name, c.type])).toEqual([
      ['studies', 'x_patientsage', 'DT_STR'],
      ['series', 'x_protocolname', 'DT_ISTR'],
      ['instances', 'x_imagetype', 'DT_MSTR'],
      ['instances', 'x_acqdate', 'DT_DATE'],
    ]);
    const byKeyword = new Map(schema.attributes.map((a) => [a.keyword, a]));
    expect(byKeyword.get('AcquisitionDate')).toMatchObject({ vr: 'DA', level: 3, column: 'i.x_acqdate' });
    expect(byKeyword.get('ProtocolName')).toMatchObject({ ignoreCase: true, matchColumn: 'upper(se.x_protocolname)' });
    expect(byKeyword.get('ImageType')).toMatchObject({ multiValued: true, tag: Tag.ImageType });
    expect(schema.worklist.map((e) => e.hl7)).toEqual(['OBR.3', '---', 'OBR.7.DATE', '---']);
  });

  it('the file we ship describes what the index keeps: it adds nothing', async () => {
    const file = path.join(DEFAULT_CONFIG_DIR, 'dicom.sql');
    const schema = indexSchemaOf(parseDicomSql(file, await readFile(file, 'utf8')));
    expect(schema.added).toEqual([]);
    expect(schema.worklist.length).toBeGreaterThan(10);
  });

  it('refuses each line it cannot honour with its line and reason, all at once', () => {
    const text = `*Patient* {
  { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x1002, "OtherIDs", 64, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x0040, "Sex", 16, SQL_C_VARCHAR, DT_STR },
  { 0x0010, 0x0041, "Sex2", 16, SQL_C_CHAR, DT_TEXT },
  { 0x0010, 0x2160, "Ethnic", 16, SQL_C_CHAR },
  { 0x0040, 0x0100, "--", 0, SQL_C_CHAR, DT_STARTSEQUENCE },
  { 0x0010, 0x1010, "Age", 16, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x1010, "Age", 16, SQL_C_CHAR, DT_STR }
}`;
    expect(refusals(text)).toEqual([
      'dicom.sql:4: "SQL_C_VARCHAR" is not an SQL type: SQL_C_CHAR or SQL_C_DATE',
      expect.stringMatching(/^dicom\.sql:5: "DT_TEXT" is not a DICOM type \(DT_STR, /),
      'dicom.sql:6: expected { group, element, "Column", length, SQL type, DICOM type }',
    ]);
    // Those read, then checked against what the index can keep.
    const kept = text
      .split('\n')
      .filter((_, i) => ![3, 4, 5].includes(i))
      .join('\n');
    expect(refusals(kept)).toEqual([
      'dicom.sql:3: (0010,1002) is a sequence: the index keeps values, not sequences',
      'dicom.sql:4: DT_STARTSEQUENCE is only for the WorkList table',
      'dicom.sql:6: *Patient* has Age already (line 5)',
    ]);
    expect(refusals('*Patients* { }')).toEqual([
      'dicom.sql:1: "*Patients*" is not a table: expected *Patient*, *Study*, *Series*, *Image* or *WorkList*',
    ]);
    expect(refusals('/* never closed\n*Patient* { }')).toEqual([
      'dicom.sql:1: a comment opened here is never closed with */',
    ]);
    expect(refusals('*Patient* {\n { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }')).toEqual([
      'dicom.sql:2: *Patient* is not closed with }',
    ]);
  });
});
