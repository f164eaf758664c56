import type { KeyAttribute } from './attributes.ts';
import { foldCase, type Match } from './matching.ts';
import { foldName } from './name-fold.ts';
import type { Condition } from './condition.ts';

export type { Condition } from './condition.ts';

/** What differs between database engines in a WHERE clause. */
export interface SqlDialect {
  /** A condition that `expr` matches a DICOM wildcard pattern ("*" any run, "?" one character), case-sensitively. */
  wildcard(expr: string, pattern: string): { sql: string; param: string };
  /** `expr` with a backslash before and after it, so that each of its values is matched as `\value\`. */
  multiValue(expr: string): string;
  /** The attribute's value in upper case, as an indexed expression of this engine (forgiving matching of IDs). */
  caseAside(attr: KeyAttribute): string;
}

export const SQLITE_DIALECT: SqlDialect = {
  // GLOB is case-sensitive and uses an index for a literal prefix; "[" is its only other special character.
  wildcard: (expr, pattern) => ({ sql: `${expr} GLOB ?`, param: pattern.replace(/\[/g, '[[]') }),
  // SQLite's strings have no escapes: '\' is one backslash.
  multiValue: (expr) => `('\\' || ${expr} || '\\')`,
  // Indexed as this expression (index migration 18).
  caseAside: (attr) => `upper(${attr.column})`,
};

/** Person names are stored and compared upper-case, without trailing empty components ("DOE^JOHN^^" = "DOE^JOHN"). */
export function personNameKey(name: string): string {
  return name.toUpperCase().replace(/[\^ =]+$/, '');
}

/** The WHERE clause (without the keyword) and its parameters; "1" when nothing is matched. */
export function whereSql(conditions: Condition[], dialect: SqlDialect): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const { attr, match: raw, foldNames } of conditions) {
    if (raw.kind === 'universal' || attr.returnOnly) continue;
    const folded = foldNames && attr.foldColumn !== undefined;
    const caseAside = foldNames && attr.caseFold === true;
    const match = folded
      ? mapValues(raw, foldName)
      : attr.personName
        ? foldPersonName(raw)
        : caseAside || attr.ignoreCase
          ? foldCase(raw)
          : raw;
    const expr = folded ? attr.foldColumn! : caseAside ? dialect.caseAside(attr) : (attr.matchColumn ?? attr.column);
    const within = (sql: string) => (attr.existsFrom ? `EXISTS (SELECT 1 FROM ${attr.existsFrom} AND ${sql})` : sql);
    if (attr.multiValued) {
      parts.push(within(anyValueSql(dialect.multiValue(expr), match, dialect, params)));
      continue;
    }
    let sql = '';
    switch (match.kind) {
      case 'single':
        sql = `${expr} = ?`;
        params.push(match.value);
        break;
      case 'list':
        sql = `${expr} IN (${match.values.map(() => '?').join(', ')})`;
        params.push(...match.values);
        break;
      case 'wildcard': {
        const w = dialect.wildcard(expr, match.pattern);
        sql = w.sql;
        params.push(w.param);
        break;
      }
      case 'range':
        // An empty value has no date, so it is never inside a range.
        if (match.from && match.to) {
          sql = `${expr} BETWEEN ? AND ?`;
          params.push(match.from, match.to);
        } else if (match.from) {
          sql = `${expr} >= ?`;
          params.push(match.from);
        } else {
          sql = `(${expr} <= ? AND ${expr} <> '')`;
          params.push(match.to);
        }
        break;
    }
    parts.push(within(sql));
  }
  return { sql: parts.length ? parts.join(' AND ') : '1 = 1', params };
}

/**
 * A multi-valued column (dicom.sql's DT_MSTR, `ORIGINAL\PRIMARY\AXIAL`) matched when one of its values matches:
 * the column is wrapped in backslashes and each value looked for as `*\value\*`.
 */
function anyValueSql(wrapped: string, match: Match, dialect: SqlDialect, params: unknown[]): string {
  const one = (pattern: string) => {
    const w = dialect.wildcard(wrapped, `*\\${pattern}\\*`);
    params.push(w.param);
    return w.sql;
  };
  switch (match.kind) {
    case 'single':
      return one(match.value);
    case 'wildcard':
      return one(match.pattern);
    case 'list':
      return `(${match.values.map(one).join(' OR ')})`;
    default:
      return '1 = 1';
  }
}

function mapValues(m: Match, f: (v: string) => string): Match {
  switch (m.kind) {
    case 'single':
      return { kind: 'single', value: f(m.value) };
    case 'list':
      return { kind: 'list', values: m.values.map(f) };
    // Wildcards survive folding: "*" and "?" are neither letters nor trailing separators that it removes.
    case 'wildcard':
      return { kind: 'wildcard', pattern: f(m.pattern) };
    default:
      return m;
  }
}

function foldPersonName(m: Match): Match {
  const folded = foldCase(m);
  if (folded.kind === 'single') return { kind: 'single', value: personNameKey(folded.value) };
  if (folded.kind === 'list') return { kind: 'list', values: folded.values.map(personNameKey) };
  return folded;
}

/** `expr AS "keyword"` for each attribute, for a SELECT list. */
export function selectList(attrs: KeyAttribute[]): string {
  return attrs.map((a) => `${a.column} AS "${a.keyword}"`).join(', ');
}
