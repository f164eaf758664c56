import { copyFile, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IniDocument } from '../../common/ini-document.ts';
import { SQLITE_MIGRATIONS } from '../index/migrations/sqlite.ts';
import { SUMMARY, readRows, type BackupSummary } from './backup.ts';
import { backupFile, copyHashed, readManifest } from './manifest.ts';

/**
 * `cli.ts restore --from DIR --data NEW`: a complete backup (its backup.json) put into an empty data folder. Every
 * object is copied back and checked against the manifest (size and SHA-256) on the way; a backup of a newer index
 * schema than this version reads is refused before anything is written. The configuration comes back as it was, its
 * storage devices (MAGDeviceN) placed inside the new data folder (storage, storage1, ...) and the index at
 * index/archive.db3; objects that fail the check or are not in the backup are listed (and the restore ends in error).
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
}): Promise<RestoreResult> {
  const { from, dataDir, log } = options;
  const summary = JSON.parse(
    await readFile(path.join(from, SUMMARY), 'utf8').catch(() => {
      throw new Error(`${from} holds no complete backup (no ${SUMMARY}: a backup that did not finish)`);
    }),
  ) as BackupSummary;
  const ours = SQLITE_MIGRATIONS.at(-1)!.version;
  if (summary.schemaVersion > ours)
    throw new Error(
      `the backup's index is of schema ${summary.schemaVersion}, newer than this version reads (${ours}): restore it with the version that made it`,
    );
  const present = await readdir(dataDir).catch(() => []);
  if (present.length) throw new Error(`${dataDir} is not empty: restore into a new, empty data folder`);
  const configDir = path.join(dataDir, 'config');
  await cp(path.join(from, 'config'), configDir, { recursive: true });
  const devices = await placeDevices(configDir, summary.devices.length);
  const manifest = await readManifest(from);
  const rows = readRows(path.join(from, 'index', 'archive.db3'));
  const damaged: string[] = [];
  let bytes = 0;
  let done = 0;
  for (const row of rows) {
    const entry = manifest.get(row.key);
    const target = path.join(devices[row.device]!, ...row.path.replace(/\\/g, '/').split('/'));
    const copied = entry ? await copyHashed(backupFile(from, row.key), target).catch(() => undefined) : undefined;
    if (!entry || !copied || copied.sha256 !== entry.sha256 || copied.size !== entry.size) {
      damaged.push(row.key);
      log(`restore: ${row.key}: ${entry ? 'its copy does not match the manifest' : 'not in the backup'}`);
      continue;
    }
    bytes += copied.size;
    if (++done % 1000 === 0) log(`restore: ${done} object(s) checked and copied`);
  }
  await mkdir(path.join(dataDir, 'index'), { recursive: true });
  await copyFile(path.join(from, 'index', 'archive.db3'), path.join(dataDir, 'index', 'archive.db3'));
  return { objects: done, bytes, damaged };
}

/**
 * The restored configuration's storage devices and index inside the new data folder: MAGDevice0 = storage, MAGDevice1
 * = storage1, ...; SQLServer = index/archive.db3 (an index on MySQL/MariaDB is not backed up by this version).
 */
async function placeDevices(configDir: string, count: number): Promise<string[]> {
  const file = path.join(configDir, 'dicom.ini');
  const ini = new IniDocument(file, await readFile(file, 'utf8'));
  const devices: string[] = [];
  for (let n = 0; n < Math.max(count, 1); n++) {
    const name = n === 0 ? 'storage' : `storage${n}`;
    ini.set('sscscp', `MAGDevice${n}`, name);
    devices.push(path.join(path.dirname(configDir), name));
  }
  ini.set('sscscp', 'SQLServer', 'index/archive.db3');
  await writeFile(file, ini.toString());
  return devices;
}
