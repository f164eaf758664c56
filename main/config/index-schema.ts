import { msg } from '../../common/message.ts';
import { ConfigError, ConfigErrors } from './config-error.ts';
import { parseHl7Source, type DicomSqlEntry, type DicomSqlFile, type DicomType } from './dicom-sql.ts';
import { keywordOf, vrOf } from '../dicom/dictionary.ts';
import { CHARSET_VRS } from '../dicom/vr.ts';
import { QR_BY_TAG, type LevelNumber, type QrAttribute } from '../query/attributes.ts';

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
const LEVEL_OF = { Patient: 0, Study: 1, Series: 2, Image: 3 } as const;

/** A column dicom.sql adds to a level's table. */
export interface AddedColumn {
  level: LevelNumber;
  table: LevelTable;
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
  added: AddedColumn[];
  /** The added columns as query keys (by level, in dicom.sql's order). */
  attributes: AddedAttribute[];
  /** The WorkList table's lines (their HL7 fields). */
  worklist: DicomSqlEntry[];
}

/** The schema of an index with no dicom.sql lines beyond what it keeps always. */
export const BUILT_IN_SCHEMA: IndexSchema = { file: '', added: [], attributes: [], worklist: [] };

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
  const alias = ['p', 'st', 'se', 'i'][c.level]!;
  const column = `${alias}.${c.name}`;
  const vr = matchVr(c.type, c.tag);
  return {
    level: c.level,
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
  for (const entry of sql.entries) {
    if (entry.level === 'WorkList') {
      if (parseHl7Source(entry.hl7) === undefined)
        errors.push(
          new ConfigError(
            sql.file,
            entry.line,
            msg('"{field}" is not an HL7 field (SEG.N, SEG.N.M, SEG.N.DATE, SEG.N.TIME, *AN, *UI or ---)', {
              field: entry.hl7,
            }),
          ),
        );
      worklist.push(entry);
      continue;
    }
    const level = LEVEL_OF[entry.level];
    const refuse = (reason: ReturnType<typeof msg>) => errors.push(new ConfigError(sql.file, entry.line, reason));
    if (entry.dicomType === 'DT_STARTSEQUENCE' || entry.dicomType === 'DT_ENDSEQUENCE') {
      refuse(msg('{type} is only for the WorkList table', { type: entry.dicomType }));
      continue;
    }
    const kept = QR_BY_TAG.get(entry.tag);
    if (kept && kept.level <= level) continue;
    if (vrOf(entry.tag) === 'SQ') {
      refuse(msg('{tag} is a sequence: the index keeps values, not sequences', { tag: tagText(entry.tag) }));
      continue;
    }
    if (entry.tag >>> 16 === 0x7fe0 || entry.tag >>> 16 < 0x0008) {
      refuse(msg('{tag} is not an attribute of the object to index', { tag: tagText(entry.tag) }));
      continue;
    }
    const name = `x_${entry.column.toLowerCase().replace(/-/g, '_')}`;
    const table = LEVEL_TABLES[level];
    const twin = added.find((a) => a.table === table && (a.name === name || a.tag === entry.tag));
    if (twin) {
      refuse(
        msg('*{level}* has {column} already (line {line})', {
          level: entry.level,
          column: twin.conquestName,
          line: String(twin.line),
        }),
      );
      continue;
    }
    added.push({
      level: level as LevelNumber,
      table,
      name,
      conquestName: entry.column,
      tag: entry.tag,
      type: entry.dicomType,
      length: entry.length,
      line: entry.line,
    });
  }
  if (errors.length) throw new ConfigErrors(errors);
  return { file: sql.file, added, attributes: added.map(addedAttribute), worklist };
}

export function tagText(tag: number): string {
  const hex = tag.toString(16).padStart(8, '0').toUpperCase();
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
