import type { SqlDialect } from '../query/sql.ts';

/**
 * What a database engine supplies to the index (as Orthanc's IDatabaseWrapper::ITransaction): run SQL, read rows, one
 * transaction at a time, and the few places where SQL differs. The index's rules (what a store, a delete, a worklist
 * change or a job does to which rows) are written once over these, in sql-index.ts, hierarchy.ts and sql-jobs.ts.
 */
export interface SqlEngine {
  readonly dialect: IndexDialect;
  /** Rows of a SELECT, columns by name. */
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** An INSERT, UPDATE or DELETE: rows changed, and the id of the row an INSERT added. */
  run(sql: string, params?: unknown[]): Promise<{ changes: number; insertId: number }>;
  /**
   * Statements run in order, in one round trip where the engine can (MySQL's multiple statements); each one's rows.
   * `last`: nothing follows in this transaction, so the engine may send its COMMIT in the same round trip.
   */
  script(statements: Statement[], options?: { last?: boolean }): Promise<Record<string, unknown>[][]>;
  /** `work` as one transaction on this engine's `tx`: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlEngine) => Promise<T>): Promise<T>;
  /**
   * Rows of a SELECT in chunks of up to `chunk`, read as the consumer asks for the next: no query holds its whole
   * result in memory, and writes go on meanwhile. Leaving the loop early ends the query.
   */
  stream<T = Record<string, unknown>>(sql: string, params?: unknown[], chunk?: number): AsyncIterable<T[]>;
  /** Rows of a SELECT that may take long (a search of the UI or of QIDO-RS): off the event loop where the engine can. */
  search<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** `rows` in chunks, for an engine (or a transaction's view) that reads a result whole. */
export async function* chunksOf<T>(rows: Promise<T[]>, chunk: number): AsyncIterable<T[]> {
  const all = await rows;
  for (let at = 0; at < all.length; at += chunk) yield all.slice(at, at + chunk);
}

export interface Statement {
  sql: string;
  params: unknown[];
}

export interface IndexDialect extends SqlDialect {
  /** One row whose `bytes` is the database's size (monitoring). */
  sizeQuery: string;
  /** INSERT that skips rows whose unique key exists ("INSERT OR IGNORE" / "INSERT IGNORE"). */
  insertIgnore: string;
  /**
   * INSERT of `rows` rows of `columns` into `table` that updates `update` where `key` exists. With `withId`, `run` gives
   * the row's id whether it was inserted or updated (RETURNING id in SQLite; LAST_INSERT_ID(id) in MySQL).
   */
  upsert(
    table: string,
    key: string,
    columns: readonly string[],
    update: readonly string[],
    rows: number,
    withId: boolean,
  ): string;
  /** The column that orders rows as they were inserted (job items): SQLite's rowid, MySQL's seq. */
  insertionOrder: string;
  /** A study's modalities, distinct, sorted, separated by "\" (PS3.5 value multiplicity), from its series. */
  studyModalities(studyParam: string): string;
  /** Appended to a SELECT that locks the rows it reads for the transaction (" FOR UPDATE"; SQLite locks the database). */
  forUpdate: string;
  /** A column name that is a reserved word in the engine ("rows", "columns" in MySQL). */
  quote(column: string): string;
  /** The type of a column dicom.sql adds (index-columns.ts). */
  addedColumnType: string;
  /** Rows with a `name`: the columns of `table`. */
  columnNames(table: string): string;
  /** An index on a text column, made unless it exists. */
  textIndex(table: string, index: string, column: string): string;
  /** An index dropped if it exists. */
  dropIndex(table: string, index: string): string;
}
