import { keywordTag } from '../dicom/dictionary.ts';
import type { DataSet } from '../dicom/dataset.ts';

export class KeywordError extends Error {}

/**
 * An identifier from keywords and values (`{ PatientName: 'DOE*', StudyDate: '' }`), the way the UI and the job queue
 * state queries. Values are written as given (ASCII, or the caller sets SpecificCharacterSet and encodes).
 */
export function identifierFromKeywords(keys: Record<string, string>, level?: string): DataSet {
  const ds: DataSet = new Map();
  const all = level ? { QueryRetrieveLevel: level, ...keys } : keys;
  for (const [keyword, value] of Object.entries(all)) {
    const known = keywordTag(keyword);
    if (!known) throw new KeywordError(`"${keyword}" is not a DICOM attribute keyword`);
    ds.set(known.tag, {
      tag: known.tag,
      vr: known.vr,
      value: Buffer.from(value, /^[\x00-\x7f]*$/.test(value) ? 'latin1' : 'utf8'),
    });
  }
  return ds;
}
