import { msg } from '../../common/message.ts';
import { ConfigError, ConfigErrors } from './config-error.ts';
import {
  DICOM_SQL_LEVELS,
  parseHl7Source,
  type DicomSqlEntry,
  type DicomSqlFile,
  type DicomType,
} from './dicom-sql.ts';
import { keywordOf, vrOf } from '../dicom/dictionary.ts';
import { CHARSET_VRS } from '../dicom/vr.ts';
import {
  MWL_ATTRIBUTES,
  MWL_STEP_ATTRIBUTES,
  QR_ALIAS,
  QR_BY_TAG,
  type LevelNumber,
  type QrAttribute,
} from '../query/attributes.ts';
import { Tag } from '../dicom/tags.ts';
import { tagText } from '../dicom/dataset-scanner.ts';
import type { WorklistKey } from '../query/identifier.ts';

/**
 * What dicom.sql asks of the index, beside the schema this archive always keeps. Each line of a Patient, Study,
 * Series or Image table is one of:
 * - a key the index keeps already at that level or above it (PatientID, StudyDate, Conquest's denormalised copies such
 *   as the patient's fields on the study, `SeriesPat` and `ImagePat`, and each table's link to the one above): nothing
 *   to add, the stock file's lines are taken as they are;
 * - an attribute the index does not keep: a column added to that level's table (`x_` and the lower-case Conquest
 *   name, so it never meets one of ours), filled by every object stored from then on and, for the objects stored
 *   before, from their files in the background (features/index-columns.ts); C-FIND, QIDO-RS and the Studies screen match on it.
 * The WorkList table is read and kept for its HL7 fields; its columns are the worklist's own.
 */

export const LEVEL_TABLES = ['patients', 'studies', 'series', 'instances'] as const;
export type LevelTable = (typeof LEVEL_TABLES)[number];
/** The tables dicom.sql may add columns to: the four levels' and the worklist's. */
export const INDEX_TABLES = [...LEVEL_TABLES, 'worklist'] as const;
export type IndexTable = (typeof INDEX_TABLES)[number];
/** The worklist's place after the four levels (AddedColumn.level). */
export const WORKLIST_LEVEL = 4;

/** A column dicom.sql adds to a level's table, or to the worklist's. */
export interface AddedColumn {
  level: LevelNumber | typeof WORKLIST_LEVEL;
  table: IndexTable;
  /** The SQL column (x_ and Conquest's name in lower case). */
  name: string;
  /** The name dicom.sql gives it. */
  conquestName: string;
  tag: number;
  type: DicomType;
  length: number;
  line: number;
}

/** A query key on an added column (`filling` while objects stored before it was added are still being read). */
export interface AddedAttribute extends QrAttribute {
  added: AddedColumn;
  filling: boolean;
}

export interface IndexSchema {
  file: string;
  /** Every line of dicom.sql, in its order (Lua's get_sqldef). */
  entries: DicomSqlEntry[];
  /** Every added column: the levels' and the worklist's. */
  added: AddedColumn[];
  /** The levels' added columns as query keys (by level, in dicom.sql's order). */
  attributes: AddedAttribute[];
  /** The worklist's added columns as Modality Worklist keys. */
  worklistKeys: (WorklistKey & { attr: AddedAttribute })[];
  /** The WorkList table's lines (their HL7 fields). */
  worklist: DicomSqlEntry[];
}

/** The schema of an index with no dicom.sql lines beyond what it keeps always. */
export const BUILT_IN_SCHEMA: IndexSchema = {
  file: '',
  entries: [],
  added: [],
  attributes: [],
  worklistKeys: [],
  worklist: [],
};

/** The VR a column is matched as: dicom.sql's type first (DT_DATE ranges, DT_UI lists), else the dictionary's. */
function matchVr(type: DicomType, tag: number): string {
  switch (type) {
    case 'DT_DATE':
      return 'DA';
    case 'DT_TIME':
      return 'TM';
    case 'DT_UI':
      return 'UI';
    case 'DT_UINT16':
      return 'US';
    default: {
      const vr = vrOf(tag);
      return ['UN', 'OB', 'OW', 'SQ'].includes(vr) ? 'LO' : vr;
    }
  }
}

export function addedAttribute(c: AddedColumn): AddedAttribute {
  const alias = [...QR_ALIAS, 'w'][c.level]!;
  const column = `${alias}.${c.name}`;
  const vr = matchVr(c.type, c.tag);
  return {
    // A worklist column's key is not a Query/Retrieve key: its level is never asked for.
    level: Math.min(c.level, 3) as LevelNumber,
    tag: c.tag,
    // The answer row's key: the dictionary's keyword, else Conquest's name (a private tag).
    keyword: keywordOf(c.tag) || c.conquestName,
    vr,
    column,
    text: CHARSET_VRS.has(vr),
    ...(c.type === 'DT_ISTR' ? { ignoreCase: true, matchColumn: `upper(${column})` } : {}),
    ...(c.type === 'DT_MSTR' ? { multiValued: true } : {}),
    added: c,
    filling: false,
  };
}

/** From dicom.sql to the columns to add; every line that cannot be honoured is refused with its line, all at once. */
export function indexSchemaOf(sql: DicomSqlFile): IndexSchema {
  const errors: ConfigError[] = [];
  const added: AddedColumn[] = [];
  const worklist: DicomSqlEntry[] = [];
  const worklistKeys: IndexSchema['worklistKeys'] = [];
  /** Inside the Scheduled Procedure Step Sequence's DT_STARTSEQUENCE ... DT_ENDSEQUENCE. */
  let inStep = false;
  for (const entry of sql.entries) {
    const refuse = (reason: ReturnType<typeof msg>) => errors.push(new ConfigError(sql.file, entry.line, reason));
    if (entry.level === 'WorkList') {
      if (parseHl7Source(entry.hl7) === undefined)
        refuse(
          msg('"{field}" is not an HL7 field (SEG.N, SEG.N.M, SEG.N.DATE, SEG.N.TIME, *AN, *UI or ---)', {
            field: entry.hl7,
          }),
        );
      worklist.push(entry);
      if (entry.dicomType === 'DT_STARTSEQUENCE' || entry.dicomType === 'DT_ENDSEQUENCE') {
        if (entry.tag !== Tag.ScheduledProcedureStepSequence)
          refuse(msg('the worklist keeps one sequence, the Scheduled Procedure Step Sequence (0040,0100)'));
        inStep = entry.dicomType === 'DT_STARTSEQUENCE';
        continue;
      }
      const own = (inStep ? MWL_STEP_ATTRIBUTES : MWL_ATTRIBUTES).some((a) => a.tag === entry.tag);
      if (own) continue;
      const column = addedColumn(entry, WORKLIST_LEVEL, added, refuse);
      if (column) worklistKeys.push({ attr: addedAttribute(column), step: inStep });
      continue;
    }
    // dicom.sql's tables are in INDEX_TABLES' order: Patient, Study, Series, Image (the worklist handled above).
    const level = DICOM_SQL_LEVELS.indexOf(entry.level);
    if (entry.dicomType === 'DT_STARTSEQUENCE' || entry.dicomType === 'DT_ENDSEQUENCE') {
      refuse(msg('{type} is only for the WorkList table', { type: entry.dicomType }));
      continue;
    }
    const kept = QR_BY_TAG.get(entry.tag);
    if (kept && kept.level <= level) continue;
    addedColumn(entry, level as LevelNumber, added, refuse);
  }
  if (errors.length) throw new ConfigErrors(errors);
  const attributes = added.filter((c) => c.level !== WORKLIST_LEVEL).map(addedAttribute);
  return { file: sql.file, entries: sql.entries, added, attributes, worklistKeys, worklist };
}

/** The column a line adds to its table (pushed onto `added`), or undefined with the reason refused. */
function addedColumn(
  entry: DicomSqlEntry,
  level: LevelNumber | typeof WORKLIST_LEVEL,
  added: AddedColumn[],
  refuse: (reason: ReturnType<typeof msg>) => void,
): AddedColumn | undefined {
  if (vrOf(entry.tag) === 'SQ') {
    refuse(msg('{tag} is a sequence: the index keeps values, not sequences', { tag: tagText(entry.tag) }));
    return undefined;
  }
  if (entry.tag >>> 16 === 0x7fe0 || entry.tag >>> 16 < 0x0008) {
    refuse(msg('{tag} is not an attribute of the object to index', { tag: tagText(entry.tag) }));
    return undefined;
  }
  const name = `x_${entry.column.toLowerCase().replace(/-/g, '_')}`;
  const table = INDEX_TABLES[level];
  const twin = added.find((a) => a.table === table && (a.name === name || a.tag === entry.tag));
  if (twin) {
    refuse(
      msg('*{level}* has {column} already (line {line})', {
        level: entry.level,
        column: twin.conquestName,
        line: String(twin.line),
      }),
    );
    return undefined;
  }
  const column: AddedColumn = {
    level,
    table,
    name,
    conquestName: entry.column,
    tag: entry.tag,
    type: entry.dicomType,
    length: entry.length,
    line: entry.line,
  };
  added.push(column);
  return column;
}
