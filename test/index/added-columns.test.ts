import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { INDEX_ENGINES, testHeader } from '../helpers/index-engines.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import { qrRequestFrom, worklistRequestFrom } from '../../main/query/identifier.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { parseDicomSql } from '../../main/config/dicom-sql.ts';
import { indexSchemaOf, type IndexSchema } from '../../main/config/index-schema.ts';
import { RemovedColumnsError } from '../../main/index/index-columns.ts';
import { Tag } from '../../main/dicom/tags.ts';
import { textElement, type DataSet } from '../../main/dicom/dataset.ts';
import { TransferSyntax } from '../../common/uids.ts';

/**
 * dicom.sql's added columns on each index engine: made by migration, written by every store, matched by C-FIND (a
 * multi-valued DT_MSTR by any value, a DT_ISTR case aside, a DT_DATE by range), filled for the rows stored before they
 * were added, and dropped only when confirmed.
 */

const BASE = `*Patient* { { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR } }
*Study* { { 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI } }
*Series* { { 0x0020, 0x000e, "SeriesInstanceUID", 64, SQL_C_CHAR, DT_UI } }
*Image* { { 0x0008, 0x0018, "SOPInstanceUID", 64, SQL_C_CHAR, DT_UI } }`;

/** BASE with lines added to tables, as an admin edits dicom.sql. */
function textWith(lines: Partial<Record<'Study' | 'Series' | 'Image', string[]>>): string {
  let text = BASE;
  for (const [table, added] of Object.entries(lines))
    text = text.replace(new RegExp(`(\\*${table}\\* \\{ [^\\n]*?\\})( \\})`), `$1, ${added.join(', ')}$2`);
  return text;
}

function schemaWith(lines: Partial<Record<'Study' | 'Series' | 'Image', string[]>>): IndexSchema {
  return indexSchemaOf(parseDicomSql('dicom.sql', textWith(lines)));
}

const PROTOCOL = '{ 0x0018, 0x1030, "ProtocolName", 64, SQL_C_CHAR, DT_ISTR }';
const AGE = '{ 0x0010, 0x1010, "PatientsAge", 16, SQL_C_CHAR, DT_STR }';
const IMAGE_TYPE = '{ 0x0008, 0x0008, "ImageType", 128, SQL_C_CHAR, DT_MSTR }';
const ACQ_DATE = '{ 0x0008, 0x0022, "AcqDate", 8, SQL_C_DATE, DT_DATE }';
const MANUFACTURER = '{ 0x0008, 0x0070, "Manufacturer", 64, SQL_C_CHAR, DT_STR }';

describe.each(INDEX_ENGINES)('dicom.sql columns on the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  let n = 0;
  const store = (h: Partial<InstanceHeader>, more: [number, string][]) =>
    index.storeInstance({
      header: { ...testHeader(h, ++n), more: new Map(more) },
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: `f${n}` },
      size: 10,
      callingAe: 'CT1',
    });
  const find = async (keys: Record<string, string>) => {
    const request = qrRequestFrom(identifierFromKeywords(keys), 'STUDY', index.schema.attributes);
    return index.queryArchive(request.level, request.returns, request.conditions);
  };

  beforeAll(async () => {
    ({ index, dispose } = await engine.open('added-columns'));
  });
  afterAll(() => dispose());

  it('adds the columns, writes them with every store and matches them as dicom.sql types them', async () => {
    await index.applySchema(schemaWith({ Study: [AGE], Series: [PROTOCOL], Image: [IMAGE_TYPE, ACQ_DATE] }), []);
    await store({ seriesInstanceUid: '1.1.1' }, [
      [Tag.PatientAge, '045Y'],
      [Tag.ProtocolName, 'Head Routine'],
      [Tag.ImageType, 'ORIGINAL\\PRIMARY\\AXIAL'],
      [Tag.AcquisitionDate, '20240105'],
    ]);
    await store({ seriesInstanceUid: '1.1.2' }, [
      [Tag.PatientAge, '045Y'],
      [Tag.ProtocolName, 'Chest'],
      [Tag.ImageType, 'DERIVED\\SECONDARY'],
      [Tag.AcquisitionDate, '20240301'],
    ]);
    const series = await find({ QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '', ProtocolName: 'HEAD*' });
    expect(series).toEqual([{ SeriesInstanceUID: '1.1.1', ProtocolName: 'Head Routine' }]);
    const study = await find({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientAge: '045Y' });
    expect(study).toEqual([{ StudyInstanceUID: '1.1', PatientAge: '045Y' }]);
    // A multi-valued column matches any of its values, whole: PRIMARY is one, PRIM is none.
    const byType = async (value: string) =>
      (await find({ QueryRetrieveLevel: 'IMAGE', SOPInstanceUID: '', ImageType: value })).map((r) => r.SOPInstanceUID);
    expect(await byType('PRIMARY')).toEqual(['1.2.3.1']);
    expect(await byType('PRIM')).toEqual([]);
    expect(await byType('SECONDARY\\AXIAL')).toEqual(['1.2.3.1', '1.2.3.2']);
    expect(await byType('DERIV*')).toEqual(['1.2.3.2']);
    const byDate = await find({
      QueryRetrieveLevel: 'IMAGE',
      SOPInstanceUID: '',
      AcquisitionDate: '20240101-20240201',
    });
    expect(byDate).toEqual([{ SOPInstanceUID: '1.2.3.1', AcquisitionDate: '20240105' }]);
  });

  it('fills a column added later from the rows stored before, batch by batch, and says it is filling until then', async () => {
    await store({ seriesInstanceUid: '1.1.3' }, [[Tag.Manufacturer, 'ACME']]);
    const schema = schemaWith({
      Study: [AGE],
      Series: [PROTOCOL, '{ 0x0008, 0x0070, "Manufacturer", 64, SQL_C_CHAR, DT_STR }'],
      Image: [IMAGE_TYPE, ACQ_DATE],
    });
    await index.applySchema(schema, []);
    const manufacturer = schema.attributes.find((a) => a.keyword === 'Manufacturer')!;
    expect(manufacturer.filling).toBe(true);
    expect(schema.attributes.find((a) => a.keyword === 'ProtocolName')!.filling).toBe(false);
    // Not read yet: the series stored before has no value.
    expect(await find({ QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '', Manufacturer: 'ACME' })).toEqual([]);
    const columns = index.indexColumns();
    const [fill, ...others] = await columns.pending(schema);
    expect(others).toEqual([]);
    expect(fill!.table).toBe('series');
    // One row at a time, as a restart between batches would resume.
    for (let rounds = 0; fill!.from < fill!.below; rounds++) {
      expect(rounds).toBeLessThan(10);
      const targets = await columns.targets(fill!, 1);
      const upTo = targets.length < 1 ? fill!.below : targets[0]!.id + 1;
      const values = targets.map((target) => ({
        target,
        values: [target.location.relativePath === 'f3' ? 'ACME' : 'OTHER'],
      }));
      await columns.write(fill!, values, upTo);
    }
    expect(await columns.pending(schema)).toEqual([]);
    expect(await find({ QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '', Manufacturer: 'ACME' })).toEqual([
      { SeriesInstanceUID: '1.1.3', Manufacturer: 'ACME' },
    ]);
  });

  it('refuses to drop a column that dicom.sql no longer names until DropIndexColumns confirms it', async () => {
    const without = schemaWith({ Study: [AGE], Series: [PROTOCOL], Image: [IMAGE_TYPE, ACQ_DATE] });
    const refused = await index.applySchema(without, []).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(RemovedColumnsError);
    expect((refused as RemovedColumnsError).columns).toEqual(['Series.manufacturer']);
    // Still there, with its values.
    expect(await find({ QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '', Manufacturer: 'ACME' })).toHaveLength(1);
    await index.applySchema(without, ['series.MANUFACTURER']);
    const again = schemaWith({
      Study: [AGE],
      Series: [PROTOCOL, '{ 0x0008, 0x0070, "Manufacturer", 64, SQL_C_CHAR, DT_STR }'],
      Image: [IMAGE_TYPE, ACQ_DATE],
    });
    // Added once more: empty, to be filled again.
    await index.applySchema(again, []);
    expect(await find({ QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '', Manufacturer: 'ACME' })).toEqual([]);
    expect(again.attributes.find((a) => a.keyword === 'Manufacturer')!.filling).toBe(true);
  });
  it("keeps the worklist's added columns, and matches and returns them as Modality Worklist keys", async () => {
    const text = `${BASE}
*WorkList* {
  { 0x0010, 0x2000, "MedicalAlerts", 64, SQL_C_CHAR, DT_STR, "---" },
  { 0x0040, 0x0100, "--------", 0, SQL_C_CHAR, DT_STARTSEQUENCE, "---" },
  { 0x0040, 0x0400, "SchedPSComments", 64, SQL_C_CHAR, DT_STR, "---" },
  { 0x0040, 0x0100, "---------", 0, SQL_C_CHAR, DT_ENDSEQUENCE, "---" }
}`;
    const tables = textWith({ Study: [AGE], Series: [PROTOCOL, MANUFACTURER], Image: [IMAGE_TYPE, ACQ_DATE] });
    const schema = indexSchemaOf(parseDicomSql('dicom.sql', text.replace(BASE, tables)));
    await index.applySchema(schema, []);
    const entry = { patientId: 'W1', patientName: 'Doe^Jane', modality: 'CT', scheduledDate: '20261209' };
    const added = await index.addWorklistEntry({
      ...entry,
      more: { x_medicalalerts: 'LATEX', x_schedpscomments: 'fasting' },
    });
    await index.addWorklistEntry({ ...entry, patientId: 'W2' });
    expect((await index.listWorklist()).find((e) => e.id === added.id)!.more).toEqual({
      x_medicalalerts: 'LATEX',
      x_schedpscomments: 'fasting',
    });
    const step: DataSet = new Map([
      [Tag.CommentsOnTheScheduledProcedureStep, textElement(Tag.CommentsOnTheScheduledProcedureStep, 'LT', '')],
    ]);
    const identifier: DataSet = new Map([
      [Tag.PatientID, textElement(Tag.PatientID, 'LO', '')],
      [Tag.MedicalAlerts, textElement(Tag.MedicalAlerts, 'LO', 'LATEX')],
      [Tag.ScheduledProcedureStepSequence, { tag: Tag.ScheduledProcedureStepSequence, vr: 'SQ', value: [step] }],
    ]);
    const request = worklistRequestFrom(identifier, index.schema.worklistKeys);
    const rows = await index.queryWorklist([...request.returns, ...request.stepReturns], request.conditions);
    expect(rows).toEqual([{ PatientID: 'W1', MedicalAlerts: 'LATEX', CommentsOnTheScheduledProcedureStep: 'fasting' }]);
  });
});
