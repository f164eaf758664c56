import Database from 'better-sqlite3';
import { copyFile, cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../config/load.ts';
import { lockBackup } from './backup-lock.ts';
import { ManifestWriter, backupFile, copyHashed, objectKey, readManifest, type ManifestEntry } from './manifest.ts';
import { dumpIndex, indexRows, type MysqlIndexSettings } from './mysql-dump.ts';

/**
 * `cli.ts backup --to DIR`, while the archive runs and receives: the index copied as one consistent snapshot (SQLite's
 * online backup API, from its own read-only connection), then every object that snapshot names and the backup does not
 * hold yet (or holds at another size: rewritten since) copied beside it with its SHA-256 in the manifest; objects no
 * longer in the index are recorded as deleted and their copies go. A file that changed between the snapshot and its
 * copy (re-encoded, edited) makes another round with a new snapshot, so the index copy and the files agree. Killed
 * midway, the next run goes on: what the manifest lists is not copied again. DIR/backup.json is written last; without
 * it a backup is not complete (restore refuses it). An index on MySQL/MariaDB is dumped instead
 * (`mariadb-dump --single-transaction`, index/archive.sql) and its rows read after the dump, so every object the dump
 * names is among those copied.
 */

export const SUMMARY = 'backup.json';
const SNAPSHOT_WORKER = new URL('./snapshot-worker.ts', import.meta.url);
/** Files copied at once. */
const PARALLEL = 8;
/** Rounds of snapshot and copy before a backup gives up on files that keep changing under it. */
const MAX_ROUNDS = 5;

export interface BackupSummary {
  format: 1;
  /** The index's engine: its copy is index/archive.db3 (SQLite, also when absent) or index/archive.sql (a dump). */
  engine?: 'sqlite' | 'mysql';
  finishedAt: string;
  /** The index's schema (SQLite user_version) the backup was taken at: a restore refuses a newer one. */
  schemaVersion: number;
  objects: number;
  bytes: number;
  /** What this run copied and deleted (the rest was there from earlier runs). */
  copied: number;
  deleted: number;
  /** Objects the index named whose file could not be read (moved or deleted while the backup ran). */
  missing: string[];
  /** The storage devices (MAGn) as the archive had them. */
  devices: string[];
  /** The index snapshots kept (index/archive-<stamp>.db3), oldest first: `restore --at` takes one of them. */
  snapshots: string[];
}

interface Row {
  key: string;
  device: number;
  path: string;
  size: number;
}

export async function backupArchive(options: {
  dataDir: string;
  configDir: string;
  to: string;
  log: (line: string) => void;
  /** Index snapshots kept (BackupKeep when not given). */
  keep?: number;
}): Promise<BackupSummary> {
  const { dataDir, configDir, to, log } = options;
  const config = await loadConfig(configDir, dataDir);
  const { index, devices, mirrors } = config.settings;
  const keep = options.keep ?? config.settings.backupKeep;
  await mkdir(path.join(to, 'index'), { recursive: true });
  const unlock = await lockBackup(to);
  try {
    return await backupInto(to, { devices, mirrors, index, keep, configDir, log });
  } finally {
    await unlock();
  }
}

/** The backup itself, under the folder's lock. */
async function backupInto(
  to: string,
  o: {
    devices: string[];
    /** MIRRORDevice<i>: where an object is read when its folder's file is not there (the disk unmounted). */
    mirrors: (string | undefined)[];
    index: { engine: 'sqlite'; file: string } | MysqlIndexSettings;
    keep: number;
    configDir: string;
    log: (line: string) => void;
  },
): Promise<BackupSummary> {
  const { devices, keep, configDir, log } = o;
  const gone = new Map<string, { at: string; entry: ManifestEntry }>();
  const manifest = await readManifest(to, gone);
  const writer = new ManifestWriter(to);
  let copied = 0;
  let missing: string[] = [];
  let rows: Row[] = [];
  let schemaVersion = 0;
  const extension = o.index.engine === 'sqlite' ? 'db3' : 'sql';
  const snapshot = path.join(to, 'index', `archive.${extension}.partial`);
  for (let round = 1; ; round++) {
    ({ schemaVersion, rows } =
      o.index.engine === 'sqlite'
        ? await snapshotIndex(o.index.file, snapshot)
        : await dumpWithRows(o.index, snapshot));
    const todo = await rowsToCopy(rows, manifest, devices);
    log(`backup: round ${round}: ${rows.length} object(s) in the index, ${todo.length} to copy`);
    const changed: Row[] = [];
    missing = [];
    await inParallel(todo, PARALLEL, async (r) => {
      let source = path.join(devices[r.device] ?? '', r.path);
      let mtime = (await stat(source).catch(() => undefined))?.mtimeMs;
      const mirror = o.mirrors[r.device];
      if (mtime === undefined && mirror) {
        source = path.join(mirror, r.path);
        mtime = (await stat(source).catch(() => undefined))?.mtimeMs;
      }
      const got = mtime === undefined ? undefined : await copyOnce(source, backupFile(to, r.key));
      if (!got) {
        missing.push(r.key);
        return;
      }
      const entry: ManifestEntry = { key: r.key, ...got, mtime };
      manifest.set(r.key, entry);
      await writer.add(entry);
      copied++;
      if (got.size !== r.size) changed.push(r);
      if (copied % 1000 === 0) log(`backup: ${copied} object(s) copied`);
    });
    // A file gone since the snapshot (its study deleted meanwhile) is looked for again in a newer one.
    if (!changed.length && (!missing.length || round >= MAX_ROUNDS)) break;
    if (round >= MAX_ROUNDS)
      throw new Error(`${changed.length} object(s) kept changing while they were copied; run the backup again`);
  }
  const named = new Set(rows.map((r) => r.key));
  let deleted = 0;
  for (const key of [...manifest.keys()]) {
    if (named.has(key)) continue;
    const at = new Date().toISOString();
    await writer.add({ deleted: key, at });
    gone.set(key, { at, entry: manifest.get(key)! });
    manifest.delete(key);
    deleted++;
  }
  const finishedAt = new Date().toISOString();
  const snapshots = await keepSnapshots(to, snapshot, finishedAt, keep, extension);
  // A deleted object's copy stays while a kept snapshot (one taken before its deletion) may name it.
  const oldest = snapshots.length ? stampTime(snapshots[0]!) : finishedAt;
  for (const [key, { at }] of gone) if (at <= oldest) await rm(backupFile(to, key), { force: true });
  await rm(path.join(to, 'config'), { recursive: true, force: true });
  await cp(configDir, path.join(to, 'config'), { recursive: true });
  const summary: BackupSummary = {
    format: 1,
    engine: o.index.engine,
    finishedAt,
    snapshots,
    schemaVersion,
    objects: rows.length - missing.length,
    bytes: rows.reduce((n, r) => n + (manifest.get(r.key)?.size ?? 0), 0),
    copied,
    deleted,
    missing,
    devices,
  };
  await writeFile(path.join(to, SUMMARY), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/**
 * This run's snapshot in place (index/archive.db3, the newest) and kept as index/archive-<stamp>.db3 beside the
 * earlier ones; beyond `keep` the oldest go. The stamps kept, oldest first.
 */
async function keepSnapshots(
  to: string,
  snapshot: string,
  finishedAt: string,
  keep: number,
  extension: string,
): Promise<string[]> {
  const dir = path.join(to, 'index');
  const stamp = finishedAt.replace(/:/g, '-');
  await copyFile(snapshot, path.join(dir, `archive-${stamp}.${extension}`));
  await rename(snapshot, path.join(dir, `archive.${extension}`));
  const stamps = (await readdir(dir))
    .map((n) => new RegExp(`^archive-(.+)\\.${extension}$`).exec(n)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
  const dropped = stamps.splice(0, Math.max(0, stamps.length - Math.max(1, keep)));
  for (const s of dropped) await rm(path.join(dir, `archive-${s}.${extension}`), { force: true });
  return stamps;
}

/** A MySQL/MariaDB index dumped, then its rows read (a later state: every object the dump names is among them). */
async function dumpWithRows(s: MysqlIndexSettings, to: string): Promise<{ schemaVersion: number; rows: Row[] }> {
  await dumpIndex(s, to);
  const { schemaVersion, rows } = await indexRows(s);
  return { schemaVersion, rows: keyedRows(rows) };
}

/** A snapshot's stamp (2026-12-08T00-11-38.123Z) as the time it was taken (ISO). */
export function stampTime(stamp: string): string {
  return stamp.replace(/T(\d\d)-(\d\d)-(\d\d)/, 'T$1:$2:$3');
}

/**
 * The index as it is now, and the objects it names, read in a thread of its own (snapshot-worker.ts): neither the copy
 * nor the reading of millions of rows holds the archive's event loop when the archive itself runs the backup.
 */
function snapshotIndex(file: string, to: string): Promise<{ schemaVersion: number; rows: Row[] }> {
  return new Promise((resolve, reject) => {
    void rm(to, { force: true }).then(() => {
      const worker = new Worker(SNAPSHOT_WORKER, { workerData: { file, to } });
      worker.once('message', (m: { schemaVersion: number; devices: number[]; paths: string[]; sizes: number[] }) =>
        resolve({
          schemaVersion: m.schemaVersion,
          rows: m.paths.map((p, n) => ({
            key: objectKey(m.devices[n]!, p),
            device: m.devices[n]!,
            path: p,
            size: m.sizes[n]!,
          })),
        }),
      );
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`the index snapshot ended with code ${code}`));
      });
    }, reject);
  });
}

/** The objects an index copy names: where each file is, and its size (restore; on its own thread there is no archive). */
export function readRows(file: string): Row[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT device, path, size FROM instances').all() as {
      device: number;
      path: string;
      size: number;
    }[];
    return keyedRows(rows);
  } finally {
    db.close();
  }
}

/** Index rows with the key the manifest knows each object by. */
export function keyedRows(rows: { device: number; path: string; size: number }[]): Row[] {
  return rows.map((r) => ({ ...r, key: objectKey(r.device, r.path) }));
}

/**
 * The objects a run copies: those the backup does not hold, holds at another size, or whose file was written again
 * since it was copied (an edit may keep its size: its modification time tells).
 */
async function rowsToCopy(rows: Row[], manifest: Map<string, ManifestEntry>, devices: string[]): Promise<Row[]> {
  const out: Row[] = [];
  await inParallel(rows, PARALLEL * 4, async (r) => {
    const kept = manifest.get(r.key);
    if (kept?.size !== r.size) {
      out.push(r);
      return;
    }
    const now = await stat(path.join(devices[r.device] ?? '', r.path)).catch(() => undefined);
    if (now && kept.mtime !== now.mtimeMs) out.push(r);
  });
  return out;
}

/**
 * A file copied, or undefined when it is not there: a row committed a moment before its file's rename is waited for
 * briefly; one still missing was deleted or moved while the backup ran.
 */
async function copyOnce(from: string, to: string): Promise<{ size: number; sha256: string } | undefined> {
  for (let wait = 50; ; wait *= 2) {
    try {
      return await copyHashed(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || wait > 800) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function inParallel<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
