import { LEVEL_NAMES, QR_ATTRIBUTES, qrAttribute, type LevelNumber, type QrAttribute } from '../query/attributes.ts';
import { MatchError, parseMatch } from '../query/matching.ts';
import type { Condition } from '../query/condition.ts';
import { keywordTag } from '../dicom/dictionary.ts';
import { IdentifierError, qrRequestFrom } from '../query/identifier.ts';
import { identifierFromKeywords, KeywordError } from '../query/keyword-identifiers.ts';
import { withFoldedNames } from '../query/condition.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';

/** A search of the local archive by keywords (the API's FindRequest has this shape). */
export interface LocalFindRequest {
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
  keys: Record<string, string>;
  /** At most this many answers, the most recently stored first. */
  limit?: number;
}

/** One answer: keyword -> value as text. */
export type LocalFindAnswer = Record<string, string>;

/** A query the UI states with keywords, refused with the reason when it is not one the archive can run. */
export class QueryRefused extends Refusal {
  constructor(said: Message | string) {
    super(400, said);
  }
}

/** The keys a level answers with, when the request names none: all the archive supports up to that level. */
function defaultKeys(level: number, added: readonly QrAttribute[]): Record<string, string> {
  return Object.fromEntries(
    [...QR_ATTRIBUTES, ...added].filter((a) => a.level <= level && keywordTag(a.keyword)).map((a) => [a.keyword, '']),
  );
}

export function checkedFindRequest(
  request: Partial<LocalFindRequest>,
  added: readonly QrAttribute[] = [],
): {
  level: number;
  keys: Record<string, string>;
} {
  // A body of null, a number or a list is refused as the rest are (it came as JSON from anyone).
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new QueryRefused('the search is a JSON object with a level and keys');
  const level = LEVEL_NAMES.indexOf(String(request.level) as (typeof LEVEL_NAMES)[number]);
  if (level < 0) throw new QueryRefused('level must be PATIENT, STUDY, SERIES or IMAGE');
  const keys = request.keys ?? {};
  if (
    typeof keys !== 'object' ||
    keys === null ||
    Array.isArray(keys) ||
    Object.values(keys).some((v) => typeof v !== 'string')
  )
    throw new QueryRefused('keys must map keywords to text');
  // Keys with empty values are what to return; a request naming none gets every key the level answers.
  const namesReturnKeys = Object.values(keys).some((v) => v === '');
  return { level, keys: namesReturnKeys ? keys : { ...defaultKeys(level, added), ...keys } };
}

/** Tables a deeper level's row is reached by from a level's own (st, se, i as QR_FROM names them). */
const BELOW: Record<string, string> = {
  '0,1': 'studies x WHERE x.patient_fk = p.id',
  '0,2': 'series x JOIN studies y ON y.id = x.study_fk WHERE y.patient_fk = p.id',
  '0,3':
    'instances x JOIN series y ON y.id = x.series_fk JOIN studies z ON z.id = y.study_fk WHERE z.patient_fk = p.id',
  '1,2': 'series x WHERE x.study_fk = st.id',
  '1,3': 'instances x JOIN series y ON y.id = x.series_fk WHERE y.study_fk = st.id',
  '2,3': 'instances x WHERE x.series_fk = se.id',
};

/**
 * A key dicom.sql added below the searched level, as the Studies screen asks for it (the studies one of whose series
 * has this protocol): matched on any row under each answer, not returned.
 */
function deeperCondition(attr: QrAttribute, value: string, level: number): Condition | undefined {
  const match = parseMatch(value, attr.vr);
  if (match.kind === 'universal') return undefined;
  const own = attr.column.replace(/^\w+\./, 'x.');
  return {
    attr: {
      ...attr,
      column: own,
      matchColumn: attr.ignoreCase ? `upper(${own})` : own,
      existsFrom: BELOW[`${level},${attr.level}`]!,
    },
    match,
  };
}

/** Search the local archive, as a C-FIND in the Patient Root model would (the answers' keys by keyword). */
export async function findLocal(
  index: Pick<ArchiveIndex, 'queryArchive'> & Partial<Pick<ArchiveIndex, 'schema'>>,
  request: Partial<LocalFindRequest>,
): Promise<LocalFindAnswer[]> {
  // The keys dicom.sql added (the Studies screen and its own searches; callers without them search ours).
  const added = index.schema?.attributes ?? [];
  const { level, keys: asked } = checkedFindRequest(request, added);
  try {
    const keys = { ...asked };
    const deeper: Condition[] = [];
    for (const attr of added) {
      const value = keys[attr.keyword];
      const here = qrAttribute(attr.tag, level as LevelNumber, added);
      if (value === undefined || attr.level <= level || (here && here.level <= level)) continue;
      delete keys[attr.keyword];
      const condition = deeperCondition(attr, value, level);
      if (condition) deeper.push(condition);
    }
    // Values come as JavaScript text, written in UTF-8: the identifier says so.
    const q = qrRequestFrom(
      identifierFromKeywords({ ...keys, SpecificCharacterSet: 'ISO_IR 192' }, LEVEL_NAMES[level]),
      'PATIENT',
      added,
    );
    const limit = request.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
      throw new QueryRefused('limit must be a whole number above 0');
    // People search the way they type: "dvorak" finds Dvořák, "mueller" Müller.
    const rows = await index.queryArchive(q.level, q.returns, [...withFoldedNames(q.conditions), ...deeper], limit);
    return rows.map((row) =>
      Object.fromEntries(
        q.returns.map((a) => [
          a.keyword,
          row[a.keyword] === null || row[a.keyword] === undefined ? '' : String(row[a.keyword]),
        ]),
      ),
    );
  } catch (err) {
    if (err instanceof IdentifierError || err instanceof KeywordError || err instanceof MatchError)
      throw new QueryRefused(err.message);
    throw err;
  }
}
