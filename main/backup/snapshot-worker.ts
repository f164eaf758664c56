import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The index snapshot of a backup, off the archive's thread (backup.ts): SQLite's online backup API from a read-only
 * connection in one step (one read transaction: a consistent copy while the archive writes on, WAL), then the objects
 * the copy names: their device, path and size, as three arrays (they cross to the other thread faster than objects).
 */

const { file, to } = workerData as { file: string; to: string };
const source = new Database(file, { readonly: true, fileMustExist: true });
try {
  await source.backup(to, { progress: () => 1 << 30 });
} finally {
  source.close();
}
const copy = new Database(to, { readonly: true, fileMustExist: true });
try {
  const schemaVersion = copy.pragma('user_version', { simple: true }) as number;
  const devices: number[] = [];
  const paths: string[] = [];
  const sizes: number[] = [];
  const st = copy.prepare('SELECT device, path, size FROM instances').raw(true);
  for (const [device, p, size] of st.iterate() as IterableIterator<[number, string, number]>) {
    devices.push(device);
    paths.push(p);
    sizes.push(size);
  }
  parentPort!.postMessage({ schemaVersion, devices, paths, sizes });
} finally {
  copy.close();
}
