import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from './storescp.ts';
import { requireTool } from './dcmtk.ts';

/**
 * A private MariaDB server for the tests: its own data folder, a free loopback port, a user `pacs`. Started once per
 * test run (vitest globalSetup) and stopped at its end; the connection settings travel in PACS_TEST_MARIADB.
 */
export interface RunningMariaDb {
  host: string;
  port: number;
  user: string;
  password: string;
  socket: string;
  child: ChildProcess;
  dir: string;
  /** Server options beyond the defaults (e.g. --innodb-flush-log-at-trx-commit=2). */
  options: string[];
}

export const MARIADB_ENV = 'PACS_TEST_MARIADB';

export async function startMariaDb(options: string[] = []): Promise<RunningMariaDb> {
  const mariadbd = requireTool('mariadbd');
  const installDb = requireTool('mariadb-install-db');
  const dir = await mkdtemp(path.join(tmpdir(), 'pacs-mariadb-'));
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const user = userInfo().username;
  await promisify(execFile)(
    installDb,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--user=${user}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    { timeout: 120_000 },
  );
  const port = await freePort();
  const db: RunningMariaDb = {
    host: '127.0.0.1',
    port,
    user: 'pacs',
    password: 'pacs',
    socket,
    child: undefined as unknown as ChildProcess,
    dir,
    options,
  };
  await launch(db, mariadbd, data, user);
  const root = await mysql.createConnection({ socketPath: socket, user: 'root' });
  await root.query("CREATE USER IF NOT EXISTS 'pacs'@'%' IDENTIFIED BY 'pacs'");
  await root.query("GRANT ALL PRIVILEGES ON *.* TO 'pacs'@'%'");
  await root.end();
  return db;
}

async function launch(
  db: RunningMariaDb,
  mariadbd = requireTool('mariadbd'),
  data = path.join(db.dir, 'data'),
  user = userInfo().username,
): Promise<void> {
  let log = '';
  const child = spawn(
    mariadbd,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${db.socket}`,
      `--port=${db.port}`,
      '--bind-address=127.0.0.1',
      `--user=${user}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=128M',
      `--pid-file=${path.join(db.dir, 'mysqld.pid')}`,
      ...db.options,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => {
    log += d;
  });
  child.stderr!.on('data', (d) => {
    log += d;
  });
  db.child = child;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited (${child.exitCode}): ${log.slice(-2000)}`);
    try {
      const root = await mysql.createConnection({ socketPath: db.socket, user: 'root' });
      await root.end();
      return;
    } catch (err) {
      if (i > 300)
        throw new Error(`mariadbd did not accept connections: ${(err as Error).message}\n${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Kill the server as a crash or a restart would, then start it again on the same data and port. */
export async function restartMariaDb(
  db: RunningMariaDb,
  signal: NodeJS.Signals = 'SIGKILL',
  downMs = 500,
): Promise<void> {
  const exited = new Promise((r) => db.child.once('exit', r));
  db.child.kill(signal);
  await exited;
  await new Promise((r) => setTimeout(r, downMs));
  await launch(db);
}

export async function stopMariaDb(db: RunningMariaDb): Promise<void> {
  if (db.child.exitCode === null && db.child.signalCode === null) {
    const exited = new Promise((r) => db.child.once('exit', r));
    db.child.kill('SIGTERM');
    await exited;
  }
  await rm(db.dir, { recursive: true, force: true });
}

/** The test run's MariaDB, as the global setup started it; fails loudly when there is none. */
export function testMariaDb(): { host: string; port: number; user: string; password: string } {
  const value = process.env[MARIADB_ENV];
  if (!value)
    throw new Error(
      `no MariaDB for this test run (${MARIADB_ENV} is not set): install mariadb-server (Debian); .ci/run does`,
    );
  const parsed = JSON.parse(value) as { host: string; port: number; user: string; password: string; error?: string };
  if (parsed.error) throw new Error(parsed.error);
  return parsed;
}

/** A fresh database name per test file, so files running in parallel never share tables. */
export function freshDatabaseName(label: string): string {
  return `pacs_${label.replace(/\W/g, '_')}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
}
