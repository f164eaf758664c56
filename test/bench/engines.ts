import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { MysqlIndex, type MysqlOptions } from '../../main/index/mysql.ts';
import { startMariaDb, stopMariaDb, type RunningMariaDb } from '../helpers/mariadb.ts';
import { ROOT, countIndexed, out, prepareDataDir, startOurs, stop } from './common.ts';
import { generateStudy, storescu } from './ingest.ts';

/**
 * The index engines side by side: ingest into our server on SQLite and on MariaDB (a private server started here),
 * alternating rounds; then the rebuild of the index from those files (regen), in objects per second.
 */

export async function withMariaDb<T>(
  work: (options: Omit<MysqlOptions, 'database'>) => Promise<T>,
  serverOptions: string[] = [],
): Promise<T> {
  const db: RunningMariaDb = await startMariaDb(serverOptions);
  try {
    return await work({ host: db.host, port: db.port, user: db.user, password: db.password });
  } finally {
    await stopMariaDb(db);
  }
}

function mysqlKeys(server: Omit<MysqlOptions, 'database'>, database: string): Record<string, string> {
  return {
    MySQL: '1',
    SqLite: '0',
    SQLHost: `${server.host}:${server.port}`,
    SQLServer: database,
    Username: server.user,
    Password: server.password,
  };
}

async function mysqlCount(server: Omit<MysqlOptions, 'database'>, database: string): Promise<number> {
  const c = await mysql.createConnection({ ...server, database });
  const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM instances');
  await c.end();
  return Number(rows[0]!.n);
}

export async function enginesBench(
  work: string,
  shim: string,
  count: number,
  rounds: number,
  server: Omit<MysqlOptions, 'database'>,
): Promise<void> {
  const inDir = path.join(work, 'engines-in');
  await generateStudy(inDir, count, 'ENGINES');
  const times = { sqlite: [] as number[], mariadb: [] as number[] };
  let lastSqliteDir = '';
  for (let round = 0; round < rounds; round++) {
    for (const engine of ['sqlite', 'mariadb'] as const) {
      const dataDir = path.join(work, `engines-${engine}-${round}`);
      const database = `bench_ingest_${round}`;
      await prepareDataDir(dataDir, engine === 'mariadb' ? mysqlKeys(server, database) : {});
      const ours = await startOurs(dataDir);
      times[engine].push((await storescu(shim, ours.port, ours.ae, inDir)).seconds);
      await stop(ours.child);
      const indexed = engine === 'sqlite' ? await countIndexed(dataDir) : await mysqlCount(server, database);
      if (indexed !== count) throw new Error(`${engine}: ${indexed} instances indexed, expected ${count}`);
      if (engine === 'sqlite') {
        if (lastSqliteDir) await rm(lastSqliteDir, { recursive: true, force: true });
        lastSqliteDir = dataDir;
      } else await rm(dataDir, { recursive: true, force: true });
    }
    out(
      `  round ${round + 1}: SQLite ${times.sqlite[round]!.toFixed(2)} s, MariaDB ${times.mariadb[round]!.toFixed(2)} s`,
    );
  }
  const best = (v: number[]) => Math.min(...v);
  const rate = (t: number) => count / t;
  out(`\ningest of ${count} objects (0.5 MB) by storescu, our server on each index engine, best of ${rounds}`);
  out(
    `  SQLite (embedded)                ${best(times.sqlite).toFixed(2)} s   ${rate(best(times.sqlite)).toFixed(0)} images/s`,
  );
  out(
    `  MariaDB (local server, mysql2)   ${best(times.mariadb).toFixed(2)} s   ${rate(best(times.mariadb)).toFixed(0)} images/s`,
  );
  out(
    `  ratio MariaDB / SQLite           ${(rate(best(times.mariadb)) / rate(best(times.sqlite))).toFixed(2)}   (goal: at least 0.7)`,
  );

  // Regen: the last SQLite archive's files indexed again from scratch, by the CLI as an admin runs it.
  const regen = await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'main/cli.ts'), 'regen', '--data', lastSqliteDir],
    { timeout: 600_000 },
  );
  const line = /regen: (\d+) file\(s\), (\d+) indexed, (\d+) skipped, ([0-9.]+) s \((\d+) objects\/s\)/.exec(
    regen.stdout,
  );
  if (!line || Number(line[2]) !== count) throw new Error(`regen did not index all ${count} objects: ${regen.stdout}`);
  out(
    `\nregen of ${count} objects (0.5 MB files, SQLite): ${line[4]} s, ${line[5]} objects/s   (goal: 1000 objects in under 5 s)`,
  );
  await rm(lastSqliteDir, { recursive: true, force: true });
  await rm(inDir, { recursive: true, force: true });
}

/** Copy a generated SQLite index into a MariaDB database (bench only): the same rows on both engines. */
export async function copyIndexToMysql(
  sqliteFile: string,
  server: Omit<MysqlOptions, 'database'>,
  database: string,
  progress: (s: string) => void,
): Promise<void> {
  await (await MysqlIndex.open({ ...server, database })).close(); // schema by the product's migrations
  const src = new Database(sqliteFile, { readonly: true });
  const dst = await mysql.createConnection({ ...server, database });
  await dst.query('SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0');
  const tables: [string, string[]][] = [
    ['patients', ['id', 'patient_id', 'patient_name', 'name_key', 'birth_date', 'sex', 'updated_at']],
    [
      'studies',
      [
        'id',
        'study_uid',
        'patient_fk',
        'study_date',
        'study_time',
        'accession_number',
        'study_id',
        'description',
        'referring_physician',
        'charset',
        'updated_at',
        'num_series',
        'num_instances',
        'modalities',
      ],
    ],
    [
      'series',
      [
        'id',
        'series_uid',
        'study_fk',
        'modality',
        'series_number',
        'description',
        'body_part',
        'series_date',
        'series_time',
        'updated_at',
        'num_instances',
      ],
    ],
    [
      'instances',
      [
        'id',
        'sop_uid',
        'series_fk',
        'sop_class_uid',
        'instance_number',
        'transfer_syntax',
        'rows',
        'columns',
        'frames',
        'device',
        'path',
        'size',
        'calling_ae',
        'received_at',
      ],
    ],
  ];
  for (const [table, columns] of tables) {
    const BATCH = 5000;
    let batch: unknown[][] = [];
    let n = 0;
    const flush = async () => {
      if (!batch.length) return;
      await dst.query(`INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES ?`, [batch]);
      n += batch.length;
      batch = [];
    };
    for (const row of src
      .prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM ${table}`)
      .raw()
      .iterate()) {
      batch.push(row as unknown[]);
      if (batch.length >= BATCH) {
        await flush();
        if (n % 1_000_000 === 0) progress(`${table}: ${n}`);
      }
    }
    await flush();
    progress(`${table}: ${n} rows`);
  }
  await dst.end();
  src.close();
}
