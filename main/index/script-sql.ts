/**
 * What a script's `sql()` / `dbquery()` may run on the index: one SELECT (or WITH ... SELECT) that reads the archive's
 * tables, never the accounts, access keys or audit trail, and never writes (no INTO, no locking reads). SQLite runs it
 * on its read-only connection besides; MySQL relies on this check alone.
 */

const CLOSED_TABLES = ['users', 'api_keys', 'audit', 'sessions'];

export class ScriptSqlRefused extends Error {}

/** The statement as it will run (a trailing `;` dropped), or a refusal saying why. */
export function checkedScriptSql(statement: string): string {
  const sql = statement.trim().replace(/;\s*$/, '');
  const bare = sql.replace(/'(?:[^']|'')*'/g, "''");
  if (!/^(select|with)\b/i.test(bare)) throw new ScriptSqlRefused('sql() in a script reads only: SELECT ...');
  if (bare.includes(';')) throw new ScriptSqlRefused('sql() runs one statement');
  if (/\b(into|for\s+update|lock|share\s+mode)\b/i.test(bare))
    throw new ScriptSqlRefused('sql() in a script reads only (no INTO, no locking)');
  const words = bare.toLowerCase().replace(/[`"[\]]/g, ' ');
  const closed = CLOSED_TABLES.find((t) => new RegExp(`\\b${t}\\b`).test(words));
  if (closed) throw new ScriptSqlRefused(`sql() in a script does not read ${closed}`);
  return sql;
}

/** The most rows one call gives back (the rest are not read). */
export const SCRIPT_SQL_ROWS = 10_000;
