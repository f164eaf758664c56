import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import type { IndexSettings } from '../config/settings-types.ts';

/** An index on a MySQL/MariaDB server (IndexSettings of that engine). */
export type MysqlIndexSettings = Extract<IndexSettings, { engine: 'mysql' }>;

/** The server's command-line tools: MariaDB's names first, MySQL's where those are missing. */
const DUMP_TOOLS = ['mariadb-dump', 'mysqldump'];
const CLIENT_TOOLS = ['mariadb', 'mysql'];

function connectionArgs(s: MysqlIndexSettings): string[] {
  return ['--protocol=TCP', '-h', s.host, '-P', String(s.port), '-u', s.user];
}

/** Run the first of `tools` that exists, `input` piped in and the output to `output`; the password in the environment. */
async function runTool(
  tools: string[],
  args: string[],
  password: string,
  io: { input?: string; output?: string },
): Promise<void> {
  let lastError: Error | undefined;
  for (const tool of tools) {
    const ran = await new Promise<'missing' | undefined>((resolve, reject) => {
      const child = spawn(tool, args, {
        env: { ...process.env, MYSQL_PWD: password },
        stdio: [io.input ? 'pipe' : 'ignore', io.output ? 'pipe' : 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      // The output file complete (flushed) before the run counts as done.
      const out = io.output ? createWriteStream(io.output) : undefined;
      const written = out ? new Promise<void>((ok, fail) => out.once('finish', ok).once('error', fail)) : undefined;
      if (out) child.stdout!.pipe(out);
      if (io.input) createReadStream(io.input).pipe(child.stdin!);
      child.once('error', (err: NodeJS.ErrnoException) => {
        out?.destroy();
        if (err.code === 'ENOENT') resolve('missing');
        else reject(err);
      });
      child.once('close', (code) => {
        if (code !== 0) reject(new Error(`${tool} ended with ${code}: ${stderr.trim().slice(0, 500)}`));
        else void (written ?? Promise.resolve()).then(() => resolve(undefined), reject);
      });
    }).catch((err: Error) => {
      lastError = err;
      return 'failed' as const;
    });
    if (ran === undefined) return;
    if (ran === 'failed') throw lastError!;
  }
  throw new Error(`none of ${tools.join(', ')} is installed (the MariaDB or MySQL client tools)`);
}

/**
 * The index database as one consistent dump (`mariadb-dump --single-transaction`: a snapshot of its InnoDB tables
 * taken while the archive goes on writing), into `file` (through a temporary name: a dump cut short is never taken for
 * one).
 */
export async function dumpIndex(s: MysqlIndexSettings, file: string): Promise<void> {
  const partial = `${file}.partial`;
  try {
    await runTool(
      DUMP_TOOLS,
      [...connectionArgs(s), '--single-transaction', '--quick', '--skip-lock-tables', '--no-tablespaces', s.database],
      s.password,
      { output: partial },
    );
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/** The objects an index database names (where each file is, its size), and its schema version. */
export async function indexRows(
  s: MysqlIndexSettings,
): Promise<{ schemaVersion: number; rows: { device: number; path: string; size: number }[] }> {
  const conn = await mysql.createConnection({
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: s.database,
  });
  try {
    const [[version]] = await conn.query<RowDataPacket[]>('SELECT max(version) AS v FROM schema_version');
    const [rows] = await conn.query<RowDataPacket[]>('SELECT device, path, size FROM instances');
    return {
      schemaVersion: Number(version?.v ?? 0),
      rows: rows.map((r) => ({ device: Number(r.device), path: String(r.path), size: Number(r.size) })),
    };
  } finally {
    await conn.end();
  }
}

/**
 * A dump loaded into a database of the server: made if missing, refused if it holds tables (a restore never writes
 * over an archive's index).
 */
export async function loadIndex(s: MysqlIndexSettings, file: string): Promise<void> {
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(s.database)) throw new Error(`"${s.database}" is not a database name`);
  const admin = await mysql.createConnection({ host: s.host, port: s.port, user: s.user, password: s.password });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${s.database}\``);
    const [tables] = await admin.query<RowDataPacket[]>(
      'SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ?',
      [s.database],
    );
    if (Number(tables[0]?.n ?? 0) > 0)
      throw new Error(
        `the database ${s.database} on ${s.host}:${s.port} is not empty: restore into a new database (--database)`,
      );
  } finally {
    await admin.end();
  }
  await runTool(CLIENT_TOOLS, [...connectionArgs(s), s.database], s.password, { input: file });
}
