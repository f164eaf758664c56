import type { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { MYSQL_MIGRATIONS } from './migrations/mysql.ts';
import type { SqlDialect } from '../query/sql.ts';
import { chunksOf, type IndexDialect, type SqlEngine, type Statement } from './sql-engine.ts';
import { SqlArchiveIndex } from './sql-index.ts';

export interface MysqlOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** LIKE with "!" as escape: DICOM "*" and "?" become "%" and "_", and a literal "%", "_" or "!" is escaped. */
export const MYSQL_DIALECT: SqlDialect = {
  wildcard: (expr, pattern) => ({
    sql: `${expr} LIKE ? ESCAPE '!'`,
    param: pattern
      .replace(/[!%_]/g, (c) => '!' + c)
      .replace(/\*/g, '%')
      .replace(/\?/g, '_'),
  }),
  // MySQL's strings take escapes: the SQL literal '\\' is one backslash.
  multiValue: (expr) => `CONCAT('\\\\', ${expr}, '\\\\')`,
  // MariaDB indexes no expression: the generated upper-case column where the index has one (index migration 18).
  caseAside: (attr) => attr.upperColumn ?? `upper(${attr.column})`,
};

/** MySQL's SQL where it differs (sql-engine.ts). */
export const MYSQL_INDEX_DIALECT: IndexDialect = {
  ...MYSQL_DIALECT,
  insertIgnore: 'INSERT IGNORE',
  sizeQuery:
    'SELECT COALESCE(SUM(data_length + index_length), 0) AS bytes FROM information_schema.tables WHERE table_schema = DATABASE()',
  upsert: (table, _key, columns, update, rows, withId) => `INSERT INTO ${table} (${columns.join(', ')})
    VALUES ${Array.from({ length: rows }, () => `(${columns.map(() => '?').join(', ')})`).join(', ')}
    ON DUPLICATE KEY UPDATE ${withId ? 'id = LAST_INSERT_ID(id), ' : ''}${update.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
  insertionOrder: 'seq',
  studyModalities: (p) =>
    `COALESCE((SELECT GROUP_CONCAT(DISTINCT modality ORDER BY modality SEPARATOR '\\\\') FROM series WHERE study_fk = ${p}), '')`,
  forUpdate: ' FOR UPDATE',
  quote: (column) => `\`${column}\``,
  addedColumnType: "TEXT NOT NULL DEFAULT ''",
  columnNames: (table) =>
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '${table}'`,
  // A text column is indexed by its first 191 characters (InnoDB's key limit in utf8mb4 on every row format).
  textIndex: (table, index, column) => `CREATE INDEX IF NOT EXISTS ${index} ON ${table}(${column}(191))`,
  dropIndex: (table, index) => `DROP INDEX IF EXISTS ${index} ON ${table}`,
};

/** Errors after which the same transaction may succeed on a new connection (the server restarted, the link dropped). */
const RETRYABLE = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ER_SERVER_SHUTDOWN',
  'ETIMEDOUT',
  'ER_LOCK_DEADLOCK',
  'ER_CON_COUNT_ERROR',
]);
const RETRIES = 20;
const RETRY_DELAY_MS = 250;

const retryable = (err: unknown) => RETRYABLE.has((err as { code?: string }).code ?? '');
const pause = () => new Promise((r) => setTimeout(r, RETRY_DELAY_MS));

type Queryable = Pool | PoolConnection;

async function runOn(q: Queryable, sql: string, params: unknown[]): Promise<{ changes: number; insertId: number }> {
  const [r] = await q.query<ResultSetHeader>(sql, params);
  return { changes: r.affectedRows, insertId: r.insertId };
}

/**
 * One transaction's connection. START TRANSACTION travels with the first statement and COMMIT with the last script,
 * in the same round trips (the pool's connections take multiple statements).
 */
class MysqlTransaction implements SqlEngine {
  readonly dialect = MYSQL_INDEX_DIALECT;
  private readonly conn: PoolConnection;
  private begun = false;
  private committed = false;

  constructor(conn: PoolConnection) {
    this.conn = conn;
  }

  /** Send statements, with START TRANSACTION first if not yet sent; the results of `statements` only. */
  private async send(statements: Statement[]): Promise<unknown[]> {
    const all = this.begun ? statements : [{ sql: 'START TRANSACTION', params: [] }, ...statements];
    this.begun = true;
    const [results] = await this.conn.query(
      all.map((s) => s.sql).join(';\n'),
      all.flatMap((s) => s.params),
    );
    const list = all.length > 1 ? (results as unknown[]) : [results];
    return list.slice(all.length - statements.length);
  }

  async all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.send([{ sql, params }]))[0] as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number; insertId: number }> {
    const r = (await this.send([{ sql, params }]))[0] as ResultSetHeader;
    return { changes: r.affectedRows, insertId: r.insertId };
  }

  async script(statements: Statement[], options: { last?: boolean } = {}): Promise<Record<string, unknown>[][]> {
    // The last statements of a transaction carry its COMMIT: a batch of known series costs one round trip in all.
    const results = await this.send(options.last ? [...statements, { sql: 'COMMIT', params: [] }] : statements);
    if (options.last) this.committed = true;
    return results.slice(0, statements.length).map((r) => (Array.isArray(r) ? (r as Record<string, unknown>[]) : []));
  }

  async transaction<T>(work: (tx: SqlEngine) => Promise<T>): Promise<T> {
    return work(this);
  }

  stream<T = Record<string, unknown>>(sql: string, params: unknown[] = [], chunk = 256): AsyncIterable<T[]> {
    return chunksOf(this.all<T>(sql, params), chunk);
  }

  search<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.all<T>(sql, params);
  }

  async commit(): Promise<void> {
    if (this.begun && !this.committed) await this.conn.query('COMMIT');
  }
}

/**
 * The pool under the engine interface. A dropped connection or a restarting server is retried with a new connection
 * for a few seconds, whole transactions included, before the call fails.
 */
class MysqlEngine implements SqlEngine {
  readonly dialect = MYSQL_INDEX_DIALECT;
  readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  private async retried<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!retryable(err) || attempt >= RETRIES) throw err;
        await pause();
      }
    }
  }

  all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.retried(async () => (await this.pool.query<RowDataPacket[]>(sql, params))[0] as T[]);
  }

  /** The server does the work: the event loop only waits for the rows. */
  search<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.all<T>(sql, params);
  }

  run(sql: string, params: unknown[] = []): Promise<{ changes: number; insertId: number }> {
    return this.retried(() => runOn(this.pool, sql, params));
  }

  script(statements: Statement[]): Promise<Record<string, unknown>[][]> {
    return this.transaction((tx) => tx.script(statements, { last: true }));
  }

  /**
   * A result streamed from the server on one of the pool's connections (mysql2's row stream, paused while the
   * consumer is busy, so the server sends no faster than the answers leave).
   */
  async *stream<T = Record<string, unknown>>(sql: string, params: unknown[] = [], chunk = 256): AsyncIterable<T[]> {
    const conn = await this.retried(() => this.pool.getConnection());
    // The promise wrapper's underlying connection: its query() gives a row stream (the typings name it the wrapper).
    const core = (
      conn as unknown as {
        connection: { query(sql: string, params: unknown[]): { stream(o: { highWaterMark: number }): Readable } };
      }
    ).connection;
    const rows = core.query(sql, params).stream({ highWaterMark: chunk });
    let done = false;
    try {
      let batch: T[] = [];
      for await (const row of rows) {
        batch.push(row as T);
        if (batch.length >= chunk) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
      done = true;
    } finally {
      if (done) conn.release();
      else {
        // Left early: the rest of the result is still coming on this connection; it cannot serve anyone else.
        rows.destroy();
        conn.destroy();
      }
    }
  }

  async transaction<T>(work: (tx: SqlEngine) => Promise<T>): Promise<T> {
    return this.retried(async () => {
      const conn = await this.pool.getConnection();
      try {
        const tx = new MysqlTransaction(conn);
        const result = await work(tx);
        await tx.commit();
        conn.release();
        return result;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        conn.destroy();
        throw err;
      }
    });
  }
}

/**
 * The index on a MySQL/MariaDB server (mysql2): a pool of four connections, versioned migrations, and the rules of
 * sql-index.ts — group commit included: objects arriving together are written in one transaction, the instance rows in
 * one multi-row statement.
 */
export class MysqlIndex extends SqlArchiveIndex {
  private readonly pool: Pool;

  private constructor(engine: MysqlEngine) {
    super(engine);
    this.pool = engine.pool;
  }

  static async open(options: MysqlOptions): Promise<MysqlIndex> {
    const admin = await mysql.createConnection({
      host: options.host,
      port: options.port,
      user: options.user,
      password: options.password,
    });
    try {
      await admin.query(
        `CREATE DATABASE IF NOT EXISTS \`${options.database.replace(/`/g, '')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
      );
    } finally {
      await admin.end();
    }
    const pool = mysql.createPool({
      ...options,
      connectionLimit: 4,
      decimalNumbers: true,
      charset: 'utf8mb4',
      enableKeepAlive: true,
      multipleStatements: true,
    });
    // Identifiers in double quotes, as the shared query builder writes them.
    pool.on('connection', (c) => {
      c.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");
    });
    const index = new MysqlIndex(new MysqlEngine(pool));
    await index.migrate();
    return index;
  }

  private async migrate(): Promise<void> {
    await this.pool.query('CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL) ENGINE=InnoDB');
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT max(version) AS v FROM schema_version');
    const current = Number(rows[0]?.v ?? 0);
    for (const step of MYSQL_MIGRATIONS) {
      if (step.version <= current) continue;
      // MySQL commits DDL implicitly; a step is written so that rerunning after a crash fails loudly, not silently.
      for (const sql of step.statements) await this.pool.query(sql);
      await this.pool.query('INSERT INTO schema_version (version) VALUES (?)', [step.version]);
    }
    await this.fillNameFolds();
  }

  override async close(): Promise<void> {
    await super.close();
    await this.pool.end();
  }
}
