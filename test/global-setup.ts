import { rm } from 'node:fs/promises';
import { MARIADB_ENV, startMariaDb, stopMariaDb, type RunningMariaDb } from './helpers/mariadb.ts';
import { SCREENSHOT_DIR } from './helpers/browser.ts';

/**
 * One private MariaDB for the whole test run (the MySQL index tests); stopped when the run ends. The UI tests'
 * screenshots of an earlier run are removed, so the folder shows this run's only.
 */
let db: RunningMariaDb | undefined;

export async function setup(): Promise<void> {
  await rm(SCREENSHOT_DIR, { recursive: true, force: true });
  try {
    db = await startMariaDb();
    process.env[MARIADB_ENV] = JSON.stringify({ host: db.host, port: db.port, user: db.user, password: db.password });
  } catch (err) {
    // The MySQL tests read this and fail with it; the others run.
    process.env[MARIADB_ENV] = JSON.stringify({
      error: `MariaDB could not be started for the tests: ${(err as Error).message}`,
    });
  }
}

export async function teardown(): Promise<void> {
  if (db) await stopMariaDb(db);
}
