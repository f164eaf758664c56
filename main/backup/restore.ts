import { copyFile, cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IniDocument } from '../../common/ini-document.ts';
import { SQLITE_MIGRATIONS } from '../index/migrations/sqlite.ts';
import { MYSQL_MIGRATIONS } from '../index/migrations/mysql.ts';
import { loadConfig } from '../config/load.ts';
import { indexRows, loadIndex, type MysqlIndexSettings } from './mysql-dump.ts';
import Database from 'better-sqlite3';
import { SUMMARY, keyedRows, readRows, stampTime, type BackupSummary } from './backup.ts';
import { backupFile, copyHashed, readManifest, type ManifestEntry } from './manifest.ts';

/**
 * `cli.ts restore --from DIR --data NEW`: a complete backup (its backup.json) put into an empty data folder. Every
 * object is copied back and checked against the manifest (size and SHA-256) on the way; a backup of a newer index
 * schema than this version reads is refused before anything is written. The configuration comes back as it was, its
 * storage devices (MAGDeviceN) placed inside the new data folder (storage, storage1, ...) and the index at
 * index/archive.db3; objects that fail the check or are not in the backup are listed (and the restore ends in error).
 * A backup of an index on MySQL/MariaDB is loaded into a new database of the same server (`database`; by default the
 * old name with `_restored`), refused if that database holds tables; the restored configuration names it.
 */

export interface RestoreResult {
  objects: number;
  bytes: number;
  /** Objects the index names that the backup does not hold, or whose copy did not match its manifest line. */
  damaged: string[];
}

export async function restoreArchive(options: {
  from: string;
  dataDir: string;
  log: (line: string) => void;
  /** The start of a kept snapshot's stamp (2026-12-07, 2026-12-07T02): the newest that matches; the newest when not given. */
  at?: string;
  /** MySQL/MariaDB: the new database the index goes into. */
  database?: string;
}): Promise<RestoreResult> {
  const { from, dataDir, log } = options;
  const summary = JSON.parse(
    await readFile(path.join(from, SUMMARY), 'utf8').catch(() => {
      throw new Error(`${from} holds no complete backup (no ${SUMMARY}: a backup that did not finish)`);
    }),
  ) as BackupSummary;
  const mysqlIndex = summary.engine === 'mysql';
  const indexFile = chosenSnapshot(from, summary, options.at, mysqlIndex ? 'sql' : 'db3');
  const schemaVersion = mysqlIndex ? summary.schemaVersion : indexVersion(indexFile);
  const ours = (mysqlIndex ? MYSQL_MIGRATIONS : SQLITE_MIGRATIONS).at(-1)!.version;
  if (schemaVersion > ours || summary.schemaVersion > ours)
    throw new Error(
      `the backup's index is of schema ${Math.max(schemaVersion, summary.schemaVersion)}, newer than this version reads (${ours}): restore it with the version that made it`,
    );
  const present = await readdir(dataDir).catch(() => []);
  if (present.length) throw new Error(`${dataDir} is not empty: restore into a new, empty data folder`);
  const configDir = path.join(dataDir, 'config');
  await cp(path.join(from, 'config'), configDir, { recursive: true });
  let target: MysqlIndexSettings | undefined;
  if (mysqlIndex) {
    const backedUp = (await loadConfig(configDir, dataDir)).settings.index;
    if (backedUp.engine !== 'mysql') throw new Error('the backup says MySQL, but its dicom.ini does not (MySQL = 1)');
    target = { ...backedUp, database: options.database ?? `${backedUp.database}_restored` };
    log(`restore: the index goes into the database ${target.database} on ${target.host}:${target.port}`);
    await loadIndex(target, indexFile);
  }
  const devices = await placeDevices(configDir, summary.devices.length, target?.database);
  const gone = new Map<string, { at: string; entry: ManifestEntry }>();
  const manifest = await readManifest(from, gone);
  const rows = target ? keyedRows((await indexRows(target)).rows) : readRows(indexFile);
  const damaged: string[] = [];
  let bytes = 0;
  let done = 0;
  for (const row of rows) {
    // An older snapshot may name objects deleted since: their last entry (their copy is kept while it may).
    const entry = manifest.get(row.key) ?? gone.get(row.key)?.entry;
    const target = path.join(devices[row.device]!, ...row.path.replace(/\\/g, '/').split('/'));
    const copied = entry ? await copyHashed(backupFile(from, row.key), target).catch(() => undefined) : undefined;
    if (!entry || !copied || copied.sha256 !== entry.sha256 || copied.size !== entry.size) {
      // A damaged copy is not left for the archive to serve as if it were the object.
      if (copied) await rm(target, { force: true });
      damaged.push(row.key);
      log(`restore: ${row.key}: ${entry ? 'its copy does not match the manifest' : 'not in the backup'}`);
      continue;
    }
    bytes += copied.size;
    if (++done % 1000 === 0) log(`restore: ${done} object(s) checked and copied`);
  }
  if (!target) {
    await mkdir(path.join(dataDir, 'index'), { recursive: true });
    await copyFile(indexFile, path.join(dataDir, 'index', 'archive.db3'));
  }
  return { objects: done, bytes, damaged };
}

/** The index snapshot to restore: the newest (index/archive.db3), or the newest kept one whose stamp starts with `at`. */
function chosenSnapshot(from: string, summary: BackupSummary, at: string | undefined, extension: string): string {
  if (!at) return path.join(from, 'index', `archive.${extension}`);
  const stamp = [...(summary.snapshots ?? [])].reverse().find((s) => stampTime(s).startsWith(at) || s.startsWith(at));
  if (!stamp)
    throw new Error(
      `no kept backup was taken at ${at}; those kept: ${(summary.snapshots ?? []).map(stampTime).join(', ') || 'none'}`,
    );
  return path.join(from, 'index', `archive-${stamp}.${extension}`);
}

function indexVersion(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/**
 * The restored configuration's storage devices and index inside the new data folder: MAGDevice0 = storage, MAGDevice1
 * = storage1, ...; SQLServer = index/archive.db3, or the new database of a MySQL/MariaDB index.
 */
async function placeDevices(configDir: string, count: number, database?: string): Promise<string[]> {
  const file = path.join(configDir, 'dicom.ini');
  const ini = new IniDocument(file, await readFile(file, 'utf8'));
  const devices: string[] = [];
  for (let n = 0; n < Math.max(count, 1); n++) {
    const name = n === 0 ? 'storage' : `storage${n}`;
    ini.set('sscscp', `MAGDevice${n}`, name);
    devices.push(path.join(path.dirname(configDir), name));
  }
  ini.set('sscscp', 'SQLServer', database ?? 'index/archive.db3');
  await writeFile(file, ini.toString());
  return devices;
}
