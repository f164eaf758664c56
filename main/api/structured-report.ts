import { readFile, stat } from 'node:fs/promises';
import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, itemsOf, parseDataSet, textOf, type DataSet } from '../dicom/dataset.ts';
import { encodingOf } from '../../common/uids.ts';
import { readFileMeta } from '../store/file-meta.ts';
import type { ReportItem, StructuredReport } from './contract.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * A stored Structured Report (PS3.3 C.17.3, SR Document Content) as a tree a person reads: each content item's concept
 * name, its value as text (numbers with their units, codes by meaning, dates, names, references), its children.
 * The CT dose report every modern CT study carries is the usual reader.
 */

/** SR documents are text; one larger than this is not read whole. */
const MAX_REPORT_BYTES = 16 << 20;

/** Items nested deeper than this are not followed (a malformed or hostile report). */
const MAX_DEPTH = 32;

export class NotAReport extends Error {}

function firstItem(ds: DataSet, tag: number): DataSet | undefined {
  const e = ds.get(tag);
  return e && isSequence(e) ? e.value[0] : undefined;
}

function codeMeaning(code: DataSet | undefined, charset: CharacterSet): string {
  if (!code) return '';
  const meaning = code.get(Tag.CodeMeaning);
  return meaning ? textOf(meaning, (b) => charset.decode(b)) : textOf(code.get(Tag.CodeValue));
}

function text(ds: DataSet, tag: number, charset: CharacterSet): string {
  const e = ds.get(tag);
  return e ? textOf(e, (b) => charset.decode(b)) : '';
}

/** A content item's value as text, and its unit for numbers. */
function valueOf(item: DataSet, type: string, charset: CharacterSet): { value: string; unit?: string } {
  switch (type) {
    case 'TEXT':
      return { value: text(item, Tag.TextValue, charset) };
    case 'NUM': {
      const measured = firstItem(item, Tag.MeasuredValueSequence);
      if (!measured) return { value: '(no value)' };
      const unit = firstItem(measured, Tag.MeasurementUnitsCodeSequence);
      // UCUM's "1" is "no unit"; the code value (mGy.cm) reads better than its meaning where a meaning is long.
      const unitText = unit ? textOf(unit.get(Tag.CodeValue)) : '';
      return {
        value: text(measured, Tag.NumericValue, charset),
        unit: unitText === '1' ? undefined : unitText || codeMeaning(unit, charset),
      };
    }
    case 'CODE':
      return { value: codeMeaning(firstItem(item, Tag.ConceptCodeSequence), charset) };
    case 'DATETIME':
      return { value: text(item, Tag.DateTime, charset) };
    case 'DATE':
      return { value: text(item, Tag.Date, charset) };
    case 'TIME':
      return { value: text(item, Tag.Time, charset) };
    case 'PNAME':
      return { value: text(item, Tag.PersonName, charset) };
    case 'UIDREF':
      return { value: text(item, Tag.UID, charset) };
    case 'IMAGE':
    case 'COMPOSITE':
    case 'WAVEFORM': {
      const ref = firstItem(item, Tag.ReferencedSOPSequence);
      return { value: ref ? `object ${text(ref, Tag.ReferencedSOPInstanceUID, charset)}` : '' };
    }
    default:
      return { value: '' };
  }
}

function contentItems(ds: DataSet, charset: CharacterSet, depth: number): ReportItem[] {
  if (depth > MAX_DEPTH) return [];
  return itemsOf(ds, Tag.ContentSequence).map((item) => {
    const type = textOf(item.get(Tag.ValueType));
    return {
      relationship: textOf(item.get(Tag.RelationshipType)),
      valueType: type,
      name: codeMeaning(firstItem(item, Tag.ConceptNameCodeSequence), charset),
      ...valueOf(item, type, charset),
      children: contentItems(item, charset, depth + 1),
    };
  });
}

/** The report of an SR data set; NotAReport when the data set has no SR content (an image, say). */
export function reportOf(ds: DataSet): StructuredReport {
  const type = textOf(ds.get(Tag.ValueType));
  if (type !== 'CONTAINER' || !ds.get(Tag.ContentSequence))
    throw new NotAReport('this object is not a structured report (no SR document content)');
  const charset = new CharacterSet(textOf(ds.get(Tag.SpecificCharacterSet)));
  return {
    title: codeMeaning(firstItem(ds, Tag.ConceptNameCodeSequence), charset),
    completion: textOf(ds.get(Tag.CompletionFlag)),
    verification: textOf(ds.get(Tag.VerificationFlag)),
    items: contentItems(ds, charset, 0),
  };
}

/** Read a stored object's report. */
export async function structuredReport(file: string): Promise<StructuredReport> {
  const { size } = await stat(file);
  if (size > MAX_REPORT_BYTES)
    throw new NotAReport(
      `the object has ${size} bytes, more than a structured report this viewer reads (${MAX_REPORT_BYTES})`,
    );
  const bytes = await readFile(file);
  const meta = readFileMeta(bytes.subarray(0, 64 * 1024));
  return reportOf(parseDataSet(bytes.subarray(meta.dataSetOffset), encodingOf(meta.transferSyntaxUid)));
}
