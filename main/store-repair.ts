import { lstat } from 'node:fs/promises';
import type { ArchiveIndex } from './index/archive-index.ts';
import type { FileStore } from './store/file-store.ts';
import type { SourceLogger } from './util/log.ts';

/**
 * At start, the rows written last are checked against their files. An object's file and its row are written side by
 * side (ingest.ts), so a crash or power cut between the two can leave a row whose file never reached the disk; its
 * sender was not answered and sends it again. Such rows are removed. Objects in flight at one moment are one per
 * association at most, so the newest rows cover them. Many missing files at once mean something else (a storage folder
 * not mounted, files moved by hand): then nothing is removed and the log says so.
 */

export const NEWEST_ROWS_CHECKED = 1000;
/** More missing files than a crash can leave: nothing is removed. */
export const MOST_ROWS_REPAIRED = 64;

export async function repairNewestRows(index: ArchiveIndex, store: Pick<FileStore, 'absolutePath'>, log: SourceLogger, limit = NEWEST_ROWS_CHECKED): Promise<number> {
  const rows = await index.newestInstances(limit);
  const missing: typeof rows = [];
  for (const row of rows) {
    const there = await lstat(store.absolutePath(row.location)).then(() => true, (err: NodeJS.ErrnoException) => err.code !== 'ENOENT');
    if (!there) missing.push(row);
  }
  if (!missing.length) return 0;
  if (missing.length > MOST_ROWS_REPAIRED) {
    log.warn(`${missing.length} of the ${rows.length} objects stored last have no file (first: ${store.absolutePath(missing[0]!.location)}); `
      + 'more than a crash leaves, so their rows are kept: is a storage folder missing? If the files were removed on purpose, regen the index');
    return 0;
  }
  let removed = 0;
  for (const row of missing) {
    if (await index.undoStore(row.sopInstanceUid, { location: row.location, transferSyntaxUid: row.transferSyntaxUid })) {
      removed++;
      log.warn(`object ${row.sopInstanceUid}: no file at ${row.location.relativePath}, its row is removed (a crash before the object was answered leaves such a row; its sender sends it again)`);
    }
  }
  return removed;
}
