import { keywordOf, keywordTag } from '../dicom/dictionary.ts';
import { LEVEL_NAMES, QR_ATTRIBUTES, qrAttribute, type LevelNumber } from '../query/attributes.ts';
import { IdentifierError, qrRequestFrom } from '../query/identifier.ts';
import { withFoldedNames } from '../query/condition.ts';
import { identifierFromKeywords } from '../query/keyword-identifiers.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import { jsonFromRow, tagKey, type JsonDataSet } from './dicom-json.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * QIDO-RS (PS3.18 10.6): the search resources for studies, series and instances, answered from the index with the
 * matching our C-FIND does (wildcards, ranges, UID lists, person names), `includefield`, `limit` and `offset`, and
 * `fuzzymatching` (person names then match without regard to case and diacritics, as the UI searches). What cannot be
 * matched on is said in a Warning header, as the standard asks, and ignored.
 */

export class QidoError extends Error {}

export interface QidoScope {
  level: 2 | 3 | 1;
  studyUid?: string;
  seriesUid?: string;
}

export interface QidoAnswer {
  results: JsonDataSet[];
  /** Warning header values (PS3.18 8.3.5.1: 299 with the reason). */
  warnings: string[];
}

const RESERVED = new Set(['includefield', 'limit', 'offset', 'fuzzymatching', 'token']);

/** What each level returns by default (PS3.18 Table 10.6.3-3 to -5, as far as the index keeps them). */
const DEFAULT_RETURNS: Record<number, string[]> = {
  1: [
    'StudyDate',
    'StudyTime',
    'AccessionNumber',
    'ModalitiesInStudy',
    'ReferringPhysicianName',
    'PatientName',
    'PatientID',
    'PatientBirthDate',
    'PatientSex',
    'StudyInstanceUID',
    'StudyID',
    'StudyDescription',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
  ],
  2: [
    'Modality',
    'SeriesDescription',
    'SeriesInstanceUID',
    'SeriesNumber',
    'SeriesDate',
    'SeriesTime',
    'BodyPartExamined',
    'NumberOfSeriesRelatedInstances',
  ],
  3: [
    'SOPClassUID',
    'SOPInstanceUID',
    'InstanceNumber',
    'Rows',
    'Columns',
    'NumberOfFrames',
    'AvailableTransferSyntaxUID',
  ],
};

/** An attribute named in a query, by keyword or by tag (eight hex digits); undefined when it is neither. */
function attributeName(name: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(name)) return keywordOf(parseInt(name, 16)) || undefined;
  return keywordTag(name) ? name : undefined;
}

/** The QIDO-RS answer for a scope (the resource's path) and the query's parameters. */
export async function qido(
  index: Pick<ArchiveIndex, 'queryArchive'> & Partial<Pick<ArchiveIndex, 'schema'>>,
  scope: QidoScope,
  params: URLSearchParams,
  baseUrl: string,
  maxResults: number,
): Promise<QidoAnswer> {
  const level = scope.level as LevelNumber;
  // Ours and the keys dicom.sql added to the index.
  const added = index.schema?.attributes ?? [];
  const attributeAt = (keyword: string) => qrAttribute(keywordTag(keyword)!.tag, level, added);
  const warnings: string[] = [];
  const keys: Record<string, string> = {};
  const unmatched: string[] = [];
  for (const [name, value] of params) {
    if (RESERVED.has(name)) continue;
    const keyword = attributeName(name);
    if (!keyword) throw new QidoError(`"${name}" is not a DICOM attribute keyword or tag`);
    const attr = attributeAt(keyword);
    if (!attr || attr.level > level) {
      unmatched.push(keyword);
      continue;
    }
    // A list of UIDs may be written with commas (PS3.18 8.3.4.1); C-FIND's separator is the backslash.
    keys[keyword] = attr.vr === 'UI' ? value.replace(/,/g, '\\') : value;
  }
  if (scope.studyUid) keys.StudyInstanceUID = scope.studyUid;
  if (scope.seriesUid) keys.SeriesInstanceUID = scope.seriesUid;

  // What to return: the level's defaults, the study's when not scoped to one study, and includefield.
  const returned = new Set<string>(DEFAULT_RETURNS[level]);
  for (let l = level - 1; l >= 1; l--) {
    if (!scope.studyUid || l >= 2) for (const k of DEFAULT_RETURNS[l]!) returned.add(k);
  }
  returned.add('StudyInstanceUID');
  if (level >= 2) returned.add('SeriesInstanceUID');
  for (const field of params.getAll('includefield').flatMap((f) => f.split(','))) {
    const name = field.trim();
    if (!name) continue;
    if (name === 'all') {
      for (const a of [...QR_ATTRIBUTES, ...added])
        if (a.level <= level && keywordTag(a.keyword)) returned.add(a.keyword);
      continue;
    }
    const keyword = attributeName(name);
    if (!keyword) throw new QidoError(`includefield "${name}" is not a DICOM attribute keyword or tag`);
    const attr = attributeAt(keyword);
    if (!attr || attr.level > level) warnings.push(`299 pacs: ${keyword} is not kept in the index and is not returned`);
    else returned.add(keyword);
  }
  if (unmatched.length)
    warnings.push(
      `299 pacs: matching on ${unmatched.join(', ')} is not supported at this level; those keys were ignored`,
    );

  const limit = whole(params.get('limit'), 'limit', 1);
  const offset = whole(params.get('offset'), 'offset', 0) ?? 0;
  const fuzzy = params.get('fuzzymatching');
  if (fuzzy !== null && fuzzy !== 'true' && fuzzy !== 'false')
    throw new QidoError('fuzzymatching must be true or false');

  const identifierKeys: Record<string, string> = { SpecificCharacterSet: 'ISO_IR 192' };
  for (const k of returned) identifierKeys[k] = '';
  Object.assign(identifierKeys, keys);
  let request: ReturnType<typeof qrRequestFrom>;
  try {
    request = qrRequestFrom(identifierFromKeywords(identifierKeys, LEVEL_NAMES[level]), 'STUDY', added);
  } catch (err) {
    if (err instanceof IdentifierError) throw new QidoError(err.message);
    throw err;
  }
  const conditions = fuzzy === 'true' ? withFoldedNames(request.conditions) : request.conditions;
  const cap = Math.min(limit ?? maxResults, maxResults);
  const rows = await index.queryArchive(level, request.returns, conditions, cap + 1, offset);
  if (rows.length > cap) {
    rows.length = cap;
    if (limit === undefined || limit > maxResults) {
      warnings.push(
        `299 pacs: The number of results exceeded the maximum supported by the server (${maxResults}). Additional results can be requested with offset.`,
      );
    }
  }
  return { results: rows.map((row) => jsonFromRow(row, request.returns, retrieveUrl(row, level, baseUrl))), warnings };
}

function whole(text: string | null, what: string, min: number): number | undefined {
  if (text === null) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) throw new QidoError(`${what} must be a whole number from ${min}`);
  return n;
}

/** The answer's Retrieve URL (0008,1190): where WADO-RS gives this study, series or instance. */
function retrieveUrl(row: Record<string, unknown>, level: LevelNumber, baseUrl: string): JsonDataSet {
  const parts = [`${baseUrl}/studies/${row.StudyInstanceUID}`];
  if (level >= 2) parts.push(`/series/${row.SeriesInstanceUID}`);
  if (level >= 3) parts.push(`/instances/${row.SOPInstanceUID}`);
  return { [tagKey(Tag.RetrieveURL)]: { vr: 'UR', Value: [parts.join('')] } };
}
