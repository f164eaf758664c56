import { msg } from '../../common/message.ts';
import { ConfigError, ConfigErrors } from './config-error.ts';

/**
 * Conquest's dicom.sql ("kFactorFile"): which attributes the index keeps, per level. Blocks `*Patient*`, `*Study*`,
 * `*Series*`, `*Image*` and `*WorkList*`, each `{ { group, element, "Column", length, SQL type, DICOM type[, "HL7"] }
 * ... }`, with `/* ... *\/` comments anywhere (Conquest's parse.cpp takes them between blocks; a comma between entries
 * may be missing, as in its stock file). This file only reads the text; index-schema.ts decides what each line means.
 */

export const DICOM_SQL_LEVELS = ['Patient', 'Study', 'Series', 'Image', 'WorkList'] as const;
export type DicomSqlLevel = (typeof DICOM_SQL_LEVELS)[number];

export const DICOM_TYPES = [
  'DT_STR',
  'DT_ISTR',
  'DT_MSTR',
  'DT_DATE',
  'DT_TIME',
  'DT_UI',
  'DT_UINT16',
  'DT_UINT32',
  'DT_FL',
  'DT_FD',
  'DT_STARTSEQUENCE',
  'DT_ENDSEQUENCE',
] as const;
export type DicomType = (typeof DICOM_TYPES)[number];

export interface DicomSqlEntry {
  level: DicomSqlLevel;
  tag: number;
  column: string;
  length: number;
  sqlType: 'SQL_C_CHAR' | 'SQL_C_DATE';
  dicomType: DicomType;
  /** The worklist's HL7 field (`PID.5`, `OBR.7.DATE`, `---` for none). */
  hl7: string;
  line: number;
}

export interface DicomSqlFile {
  file: string;
  entries: DicomSqlEntry[];
}

interface Token {
  text: string;
  line: number;
  quoted: boolean;
}

/** Words, quoted strings and the punctuation `{ } ,`, comments left out. */
function tokens(file: string, text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let at = 0;
  while (at < text.length) {
    const c = text[at]!;
    if (c === '\n') {
      line++;
      at++;
    } else if (/\s/.test(c)) at++;
    else if (text.startsWith('/*', at)) {
      const end = text.indexOf('*/', at + 2);
      if (end < 0) throw new ConfigError(file, line, msg('a comment opened here is never closed with */'));
      for (let i = at; i < end; i++) if (text[i] === '\n') line++;
      at = end + 2;
    } else if (c === '{' || c === '}' || c === ',') {
      out.push({ text: c, line, quoted: false });
      at++;
    } else if (c === '"') {
      const end = text.indexOf('"', at + 1);
      const nl = text.indexOf('\n', at + 1);
      if (end < 0 || (nl >= 0 && nl < end))
        throw new ConfigError(file, line, msg('a quoted name is not closed on its line'));
      out.push({ text: text.slice(at + 1, end), line, quoted: true });
      at = end + 1;
    } else {
      const m = /^[^\s{},"]+/.exec(text.slice(at, at + 200))!;
      // "*/" outside a comment, or a word such as *Patient*.
      out.push({ text: m[0], line, quoted: false });
      at += m[0].length;
    }
  }
  return out;
}

function number(text: string): number | undefined {
  if (/^0x[0-9a-f]{1,4}$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d{1,5}$/.test(text)) return Number(text);
  return undefined;
}

/** Read dicom.sql; every line it cannot read is refused with its line (all at once). */
export function parseDicomSql(file: string, text: string): DicomSqlFile {
  const errors: ConfigError[] = [];
  let list: Token[];
  try {
    list = tokens(file, text);
  } catch (err) {
    throw new ConfigErrors([err as ConfigError]);
  }
  const entries: DicomSqlEntry[] = [];
  const seen = new Set<DicomSqlLevel>();
  let i = 0;
  const expect = (what: string): Token | undefined => {
    const t = list[i];
    if (t?.text === what && !t.quoted) {
      i++;
      return t;
    }
    return undefined;
  };
  while (i < list.length) {
    const head = list[i]!;
    const level = DICOM_SQL_LEVELS.find((l) => `*${l}*`.toLowerCase() === head.text.toLowerCase());
    if (!level || head.quoted) {
      errors.push(
        new ConfigError(
          file,
          head.line,
          msg('"{word}" is not a table: expected *Patient*, *Study*, *Series*, *Image* or *WorkList*', {
            word: head.text,
          }),
        ),
      );
      break;
    }
    if (seen.has(level))
      errors.push(new ConfigError(file, head.line, msg('the table *{level}* is described twice', { level })));
    seen.add(level);
    i++;
    if (!expect('{')) {
      errors.push(
        new ConfigError(file, head.line, msg('*{level}* must be followed by {brace}', { level, brace: '{' })),
      );
      break;
    }
    while (list[i] && expect('{')) {
      const start = list[i - 1]!.line;
      const fields: Token[] = [];
      while (list[i] && !(list[i]!.text === '}' && !list[i]!.quoted)) {
        const t = list[i++]!;
        if (t.text !== ',' || t.quoted) fields.push(t);
      }
      if (!expect('}')) {
        errors.push(new ConfigError(file, start, msg('this entry is not closed with {brace}', { brace: '}' })));
        break;
      }
      expect(',');
      const entry = readEntry(file, level, start, fields, errors);
      if (entry) entries.push(entry);
    }
    if (!expect('}')) {
      const at = (list[i] ?? list[list.length - 1] ?? head).line;
      errors.push(new ConfigError(file, at, msg('*{level}* is not closed with {brace}', { level, brace: '}' })));
      break;
    }
  }
  if (errors.length) throw new ConfigErrors(errors);
  return { file, entries };
}

function readEntry(
  file: string,
  level: DicomSqlLevel,
  line: number,
  fields: Token[],
  errors: ConfigError[],
): DicomSqlEntry | undefined {
  const wanted = level === 'WorkList' ? [6, 7] : [6];
  if (!wanted.includes(fields.length)) {
    errors.push(
      new ConfigError(
        file,
        line,
        level === 'WorkList'
          ? msg('expected {form}', { form: '{ group, element, "Column", length, SQL type, DICOM type, "HL7 field" }' })
          : msg('expected {form}', { form: '{ group, element, "Column", length, SQL type, DICOM type }' }),
      ),
    );
    return undefined;
  }
  const [g, e, column, length, sqlType, dicomType, hl7] = fields as [Token, Token, Token, Token, Token, Token, Token?];
  const group = number(g.text);
  const element = number(e.text);
  const size = number(length.text);
  const bad = (reason: ReturnType<typeof msg>) => {
    errors.push(new ConfigError(file, line, reason));
    return undefined;
  };
  if (group === undefined || element === undefined)
    return bad(
      msg('"{group}, {element}" is not a tag (two numbers such as 0x0010, 0x0020)', { group: g.text, element: e.text }),
    );
  const marker = dicomType.text === 'DT_STARTSEQUENCE' || dicomType.text === 'DT_ENDSEQUENCE';
  if (!marker && !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(column.text))
    return bad(msg('"{column}" is not a column name (letters, digits and _, up to 64)', { column: column.text }));
  if (size === undefined) return bad(msg('"{length}" is not a column length', { length: length.text }));
  if (sqlType.text !== 'SQL_C_CHAR' && sqlType.text !== 'SQL_C_DATE')
    return bad(msg('"{type}" is not an SQL type: SQL_C_CHAR or SQL_C_DATE', { type: sqlType.text }));
  if (!(DICOM_TYPES as readonly string[]).includes(dicomType.text))
    return bad(msg('"{type}" is not a DICOM type ({types})', { type: dicomType.text, types: DICOM_TYPES.join(', ') }));
  return {
    level,
    tag: ((group << 16) | element) >>> 0,
    column: column.text,
    length: size,
    sqlType: sqlType.text,
    dicomType: dicomType.text as DicomType,
    hl7: hl7?.text ?? '',
    line,
  };
}

/** An HL7 field as dicom.sql names it; undefined for `---` (ours kept) and for what is not one. */
export type Hl7Source =
  | { kind: 'field'; segment: string; field: number; component?: number; part?: 'DATE' | 'TIME' }
  | { kind: 'new'; what: 'AN' | 'UI' };

export function parseHl7Source(text: string): Hl7Source | 'none' | undefined {
  const spec = text.trim().toUpperCase();
  if (spec === '' || /^-+$/.test(spec)) return 'none';
  if (spec === '*AN' || spec === '*UI') return { kind: 'new', what: spec.slice(1) as 'AN' | 'UI' };
  const m = /^([A-Z][A-Z0-9]{2})\.(\d{1,3})(?:\.(\d{1,2}))?(?:\.(DATE|TIME))?$/.exec(spec);
  if (!m) return undefined;
  return {
    kind: 'field',
    segment: m[1]!,
    field: Number(m[2]),
    ...(m[3] !== undefined ? { component: Number(m[3]) } : {}),
    ...(m[4] ? { part: m[4] as 'DATE' | 'TIME' } : {}),
  };
}
