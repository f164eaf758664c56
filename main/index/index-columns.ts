import type { SqlEngine } from './sql-engine.ts';
import {
  INDEX_TABLES,
  WORKLIST_LEVEL,
  type AddedColumn,
  type IndexSchema,
  type IndexTable,
  type LevelTable,
} from '../config/index-schema.ts';
import { DICOM_SQL_LEVELS } from '../config/dicom-sql.ts';
import type { StoredLocation } from '../store/file-store.ts';

/**
 * The columns dicom.sql added, kept in the index's tables (index-schema.ts decides which): added by migration when
 * dicom.sql names a new one, removed only when the admin confirms it, and filled for the objects stored before each
 * was added, in batches that survive a restart (index_columns.filled_to says how far each has come).
 */

/** dicom.sql no longer names columns that hold data: the start stops until the admin puts them back or confirms. */
export class RemovedColumnsError extends Error {
  readonly columns: string[];
  constructor(file: string, columns: string[]) {
    super(
      `${file} no longer names the index column(s) ${columns.join(', ')}, which hold values; put them back in ` +
        `dicom.sql, or confirm their removal with DropIndexColumns = ${columns.join(', ')} in dicom.ini`,
    );
    this.name = 'RemovedColumnsError';
    this.columns = columns;
  }
}

/** Rows of one table stored before some of its added columns existed, still to be read into them. */
export interface ColumnFill {
  table: LevelTable;
  columns: AddedColumn[];
  /** Rows with ids from `from` up to (not including) `below` are still to be read. */
  from: number;
  below: number;
}

/** A row of a fill, with the stored object whose file gives its values. */
export interface FillTarget {
  id: number;
  location: StoredLocation;
}

interface ColumnRow {
  tbl: string;
  name: string;
  tag: number;
  type: string;
  fill_below: number;
  filled_to: number;
}

/** How a removal is confirmed (DropIndexColumns): the table as dicom.sql names it and the column, `Series.ProtocolName`. */
function confirmName(table: IndexTable, column: string): string {
  return `${DICOM_SQL_LEVELS[INDEX_TABLES.indexOf(table)]}.${column.replace(/^x_/, '')}`;
}

/** The newest object of each row of `table` (its values are the row's, as the last object stored gave them). */
const NEWEST_OBJECT: Record<LevelTable, string> = {
  instances: 't.id',
  series: '(SELECT max(i2.id) FROM instances i2 WHERE i2.series_fk = t.id)',
  studies: '(SELECT max(i2.id) FROM instances i2 JOIN series s2 ON s2.id = i2.series_fk WHERE s2.study_fk = t.id)',
  patients: `(SELECT max(i2.id) FROM instances i2 JOIN series s2 ON s2.id = i2.series_fk
    JOIN studies st2 ON st2.id = s2.study_fk WHERE st2.patient_fk = t.id)`,
};

export class SqlIndexColumns {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  /**
   * Bring the tables to `schema`: each new column added (with an index above the image level: the image table is
   * searched within a series, and an index per column would slow every store), each one `confirmed` removed (names as
   * DropIndexColumns gives them, case aside). One that holds values and is neither: RemovedColumnsError.
   */
  async apply(schema: IndexSchema, confirmed: readonly string[]): Promise<void> {
    const recorded = await this.engine.all<ColumnRow>(
      'SELECT tbl, name, tag, type, fill_below, filled_to FROM index_columns',
    );
    const wanted = new Map(schema.added.map((c) => [`${c.table}.${c.name}`, c]));
    const drops = new Set(confirmed.map((c) => c.trim().toLowerCase()));
    const refused: string[] = [];
    for (const row of recorded) {
      if (wanted.has(`${row.tbl}.${row.name}`)) continue;
      const name = confirmName(row.tbl as IndexTable, row.name);
      if (!drops.has(name.toLowerCase())) refused.push(name);
    }
    if (refused.length) throw new RemovedColumnsError(schema.file || 'dicom.sql', refused);
    const dialect = this.engine.dialect;
    for (const row of recorded) {
      if (wanted.has(`${row.tbl}.${row.name}`)) continue;
      await this.engine.run(dialect.dropIndex(row.tbl, `${row.tbl}_${row.name}`));
      await this.engine.run(`ALTER TABLE ${row.tbl} DROP COLUMN ${row.name}`);
      await this.engine.run('DELETE FROM index_columns WHERE tbl = ? AND name = ?', [row.tbl, row.name]);
    }
    const known = new Set(recorded.map((r) => `${r.tbl}.${r.name}`));
    const existing = new Map<string, Set<string>>();
    for (const table of INDEX_TABLES) {
      const rows = await this.engine.all<{ name: string }>(dialect.columnNames(table));
      existing.set(table, new Set(rows.map((r) => String(r.name).toLowerCase())));
    }
    for (const c of schema.added) {
      const key = `${c.table}.${c.name}`;
      if (!known.has(key)) {
        // Recorded first: a start that crashed before the ALTER below has it done by the next one.
        const [top] = await this.engine.all<{ n: number | null }>(`SELECT max(id) AS n FROM ${c.table}`);
        const below = Number(top?.n ?? 0) + 1;
        // A worklist column is filled by orders from now on: the entries made before have no value to read.
        const from = c.level === WORKLIST_LEVEL ? below : Math.min(below, 1);
        await this.engine.run(
          'INSERT INTO index_columns (tbl, name, tag, type, fill_below, filled_to) VALUES (?, ?, ?, ?, ?, ?)',
          [c.table, c.name, c.tag, c.type, below, from],
        );
      } else
        await this.engine.run('UPDATE index_columns SET type = ? WHERE tbl = ? AND name = ?', [
          c.type,
          c.table,
          c.name,
        ]);
      if (!existing.get(c.table)!.has(c.name))
        await this.engine.run(`ALTER TABLE ${c.table} ADD COLUMN ${c.name} ${dialect.addedColumnType}`);
      if (c.level < 3) await this.engine.run(dialect.textIndex(c.table, `${c.table}_${c.name}`, c.name));
    }
  }

  /** What is still to be read, by table and by the start that added the columns. */
  async pending(schema: IndexSchema): Promise<ColumnFill[]> {
    const rows = await this.engine.all<ColumnRow>(
      'SELECT tbl, name, tag, type, fill_below, filled_to FROM index_columns WHERE filled_to < fill_below',
    );
    const fills = new Map<string, ColumnFill>();
    for (const row of rows) {
      const column = schema.added.find((c) => c.table === row.tbl && c.name === row.name);
      if (!column) continue;
      const key = `${row.tbl}/${row.fill_below}/${row.filled_to}`;
      const fill = fills.get(key) ?? {
        table: row.tbl as LevelTable,
        columns: [],
        from: Number(row.filled_to),
        below: Number(row.fill_below),
      };
      fill.columns.push(column);
      fills.set(key, fill);
    }
    return [...fills.values()];
  }

  /** The next rows of a fill (at most `limit`), each with its newest object; rows without objects are passed over. */
  async targets(fill: ColumnFill, limit: number): Promise<FillTarget[]> {
    const rows = await this.engine.all<{ id: number; device: number; path: string }>(
      `SELECT t.id AS id, i.device AS device, i.path AS path FROM ${fill.table} t
       JOIN instances i ON i.id = ${NEWEST_OBJECT[fill.table]}
       WHERE t.id >= ? AND t.id < ? ORDER BY t.id LIMIT ${Math.max(1, Math.floor(limit))}`,
      [fill.from, fill.below],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      location: { device: Number(r.device), relativePath: String(r.path) },
    }));
  }

  /**
   * The values read for a batch of a fill's rows, and how far it has come (`upTo`: the rows below are done), in one
   * transaction. An object's row whose file changed meanwhile (stored again) keeps the values its new copy gave.
   */
  async write(fill: ColumnFill, rows: { target: FillTarget; values: string[] }[], upTo: number): Promise<void> {
    const set = fill.columns.map((c) => `${c.name} = ?`).join(', ');
    const sameFile = fill.table === 'instances' ? ' AND path = ?' : '';
    await this.engine.transaction(async (tx) => {
      for (const { target, values } of rows)
        await tx.run(`UPDATE ${fill.table} SET ${set} WHERE id = ?${sameFile}`, [
          ...values,
          target.id,
          ...(sameFile ? [target.location.relativePath] : []),
        ]);
      await tx.run(
        `UPDATE index_columns SET filled_to = ? WHERE tbl = ? AND name IN (${fill.columns.map(() => '?').join(', ')})`,
        [upTo, fill.table, ...fill.columns.map((c) => c.name)],
      );
    });
    fill.from = upTo;
  }
}
