import Database from 'better-sqlite3';
import type { Statement as Prepared } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SQLITE_MIGRATIONS } from './migrations/sqlite.ts';
import { foldName } from '../query/name-fold.ts';
import { SQLITE_DIALECT } from '../query/sql.ts';
import { chunksOf, type IndexDialect, type SqlEngine, type Statement } from './sql-engine.ts';
import { SqlArchiveIndex } from './sql-index.ts';
import { WalFlush } from './wal-flush.ts';
import { SqliteReaders } from './sqlite-reader.ts';

/** SQLite's SQL where it differs (sql-engine.ts). */
export const SQLITE_INDEX_DIALECT: IndexDialect = {
  ...SQLITE_DIALECT,
  insertIgnore: 'INSERT OR IGNORE',
  sizeQuery: 'SELECT p.page_count * s.page_size AS bytes FROM pragma_page_count() AS p, pragma_page_size() AS s',
  upsert: (table, key, columns, update, rows, withId) => `INSERT INTO ${table} (${columns.join(', ')})
    VALUES ${Array.from({ length: rows }, () => `(${columns.map(() => '?').join(', ')})`).join(', ')}
    ON CONFLICT (${key}) DO UPDATE SET ${update.map((c) => `${c} = excluded.${c}`).join(', ')}${withId ? ' RETURNING id' : ''}`,
  insertionOrder: 'rowid',
  // DISTINCT aggregates take no separator in SQLite: the distinct, sorted modalities come from a subquery.
  studyModalities: (p) =>
    `(SELECT coalesce(group_concat(m, '\\'), '') FROM (SELECT DISTINCT modality AS m FROM series WHERE study_fk = ${p} ORDER BY modality))`,
  forUpdate: '',
  quote: (column) => column,
  addedColumnType: "TEXT NOT NULL DEFAULT ''",
  columnNames: (table) => `SELECT name FROM pragma_table_info('${table}')`,
  textIndex: (table, index, column) => `CREATE INDEX IF NOT EXISTS ${index} ON ${table}(${column})`,
  dropIndex: (_table, index) => `DROP INDEX IF EXISTS ${index}`,
};

/** Prepared statements kept by SQL text, at most this many (batches of other sizes make new texts). */
const MAX_PREPARED = 500;

/**
 * better-sqlite3 under the engine interface. One connection: a transaction holds it from BEGIN to COMMIT, and every
 * other call waits until it is free, so no statement lands inside another's transaction.
 */
class SqliteEngine implements SqlEngine {
  readonly dialect = SQLITE_INDEX_DIALECT;
  private readonly db: Database.Database;
  private readonly shared: {
    prepared: Map<string, Prepared>;
    busy: Promise<void> | undefined;
    readers?: SqliteReaders;
    /** DurableWrites: the log flushed after each write, off the event loop (wal-flush.ts). */
    wal?: WalFlush;
  };
  /** The view inside a transaction: it runs at once, never waiting for itself. */
  private readonly inside: boolean;

  constructor(
    db: Database.Database,
    shared: {
      prepared: Map<string, Prepared>;
      busy: Promise<void> | undefined;
      readers?: SqliteReaders;
      wal?: WalFlush;
    } = {
      prepared: new Map(),
      busy: undefined,
    },
    inside = false,
  ) {
    this.db = db;
    this.shared = shared;
    this.inside = inside;
  }

  /** Run `fn` once no transaction holds the connection; the check and the call are one synchronous step. */
  private async whenFree<T>(fn: () => T): Promise<T> {
    if (!this.inside) while (this.shared.busy) await this.shared.busy;
    return fn();
  }

  private prepare(sql: string): Prepared {
    let st = this.shared.prepared.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (this.shared.prepared.size >= MAX_PREPARED) this.shared.prepared.clear();
      this.shared.prepared.set(sql, st);
    }
    return st;
  }

  private exec(
    sql: string,
    params: unknown[],
  ): { rows: Record<string, unknown>[]; changes: number; insertId: number; wrote?: boolean } {
    const st = this.prepare(sql);
    if (st.reader) {
      // SELECT, or a write with RETURNING (an upsert's row id).
      const rows = st.all(...params) as Record<string, unknown>[];
      return { rows, changes: rows.length, insertId: Number(rows[0]?.id ?? 0), wrote: !st.readonly };
    }
    const info = st.run(...params);
    return { rows: [], changes: info.changes, insertId: Number(info.lastInsertRowid) };
  }

  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.whenFree(() => this.exec(sql, params));
    if (result.wrote) await this.durable();
    return result.rows as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number; insertId: number }> {
    const result = await this.whenFree(() => {
      const { changes, insertId } = this.exec(sql, params);
      return { changes, insertId };
    });
    if (result.changes) await this.durable();
    return result;
  }

  async script(statements: Statement[]): Promise<Record<string, unknown>[][]> {
    const rows = await this.whenFree(() => statements.map((s) => this.exec(s.sql, s.params).rows));
    await this.durable();
    return rows;
  }

  /** A write outside a transaction (its own commit) reported done once the log is flushed (DurableWrites). */
  private async durable(): Promise<void> {
    if (!this.inside) await this.shared.wal?.flush();
  }

  /**
   * A result read in chunks on a read-only connection in a worker thread (sqlite-reader.ts): the scan never holds the
   * event loop, and WAL lets it read while the main connection writes. An in-memory database, and a transaction's view,
   * have no second connection: their result is read here, whole, and handed out in chunks.
   */
  async *stream<T = Record<string, unknown>>(sql: string, params: unknown[] = [], chunk = 256): AsyncIterable<T[]> {
    if (this.inside || !this.shared.readers) {
      yield* chunksOf(this.all<T>(sql, params), chunk);
      return;
    }
    yield* this.shared.readers.stream<T>(sql, params, chunk);
  }

  /** A read that may be long (a search): in a worker thread too, where there is one. */
  search<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.inside || !this.shared.readers ? this.all<T>(sql, params) : this.shared.readers.all<T>(sql, params);
  }

  async transaction<T>(work: (tx: SqlEngine) => Promise<T>): Promise<T> {
    if (this.inside) return work(this);
    while (this.shared.busy) await this.shared.busy;
    // Taken in the same synchronous step as the check above: no other call can slip in between.
    let release!: () => void;
    let result: T;
    this.shared.busy = new Promise((resolve) => {
      release = resolve;
    });
    try {
      this.db.exec('BEGIN IMMEDIATE');
      result = await work(new SqliteEngine(this.db, this.shared, true));
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    } finally {
      this.shared.busy = undefined;
      release();
    }
    // The connection is free for the next transaction while this one's log is flushed.
    await this.shared.wal?.flush();
    return result;
  }
}

/**
 * The index in an embedded SQLite file (better-sqlite3), in WAL mode; each batch of objects is one transaction,
 * committed before success is sent. Durable (DurableWrites, the default): each write reported done once the WAL is
 * flushed (wal-flush.ts: in the thread pool, shared by the commits that land meanwhile), so a committed row survives a
 * power cut; otherwise no flush: the database still consistent after a crash but the last commits may be gone.
 */
export class SqliteIndex extends SqlArchiveIndex {
  private readonly db: Database.Database;

  private readonly readers: SqliteReaders | undefined;

  /** Opening is synchronous and happens once at start-up, before any association is served. */
  private readonly wal: WalFlush | undefined;

  constructor(file: string, options: { durable?: boolean } = {}) {
    const durable = options.durable ?? false;
    const db = openDatabase(file);
    const readers = file === ':memory:' ? undefined : new SqliteReaders(file);
    const wal = durable && file !== ':memory:' ? new WalFlush(file) : undefined;
    super(new SqliteEngine(db, { prepared: new Map(), busy: undefined, readers, wal }));
    this.db = db;
    this.readers = readers;
    this.wal = wal;
  }

  override async close(): Promise<void> {
    await super.close();
    await this.readers?.close();
    await this.wal?.close();
    this.db.close();
  }
}

function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // No flush inside COMMIT: with DurableWrites the log is flushed after each write by WalFlush, off the event loop.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Migration 5 fills the folded name keys with the same function the index writes them with.
  db.function('fold_name', { deterministic: true }, (name: unknown) => foldName(String(name ?? '')));
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const step of SQLITE_MIGRATIONS) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
  return db;
}
