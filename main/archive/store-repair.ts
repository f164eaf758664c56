import { lstat, open, unlink } from 'node:fs/promises';
import { readFileMeta } from '../store/file-meta.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { FileStore } from '../store/file-store.ts';
import type { SourceLogger } from '../util/log.ts';

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

export async function repairNewestRows(
  index: ArchiveIndex,
  store: Pick<FileStore, 'absolutePath'>,
  log: SourceLogger,
  limit = NEWEST_ROWS_CHECKED,
): Promise<number> {
  const rows = await index.newestInstances(limit);
  const missing: typeof rows = [];
  for (const row of rows) {
    const there = await lstat(store.absolutePath(row.location)).then(
      () => true,
      (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
    );
    if (!there) missing.push(row);
  }
  if (!missing.length) return 0;
  if (missing.length > MOST_ROWS_REPAIRED) {
    log.warn(
      `${missing.length} of the ${rows.length} objects stored last have no file (first: ${store.absolutePath(missing[0]!.location)}); ` +
        'more than a crash leaves, so their rows are kept: is a storage folder missing? If the files were removed on purpose, regen the index',
    );
    return 0;
  }
  let removed = 0;
  for (const row of missing) {
    if (
      await index.undoStore(row.sopInstanceUid, { location: row.location, transferSyntaxUid: row.transferSyntaxUid })
    ) {
      removed++;
      log.warn(
        `object ${row.sopInstanceUid}: no file at ${row.location.relativePath}, its row is removed (a crash before the object was answered leaves such a row; its sender sends it again)`,
      );
    }
  }
  return removed;
}

/**
 * Received objects' temporary files found at start (FileStore.leftovers). With DurableWrites an object is answered as
 * stored once its bytes and its temporary name are on stable storage; its rename into place may not have reached the
 * disk before a crash or power cut. Such an object (complete: its size is its row's; its row naming a place where the
 * file is missing or not that size) is put in place. Every other leftover is removed: an object cut short, one whose
 * row was never written, one whose rename did reach the disk. Runs before repairNewestRows.
 */
export async function recoverIncoming(
  index: Pick<ArchiveIndex, 'findInstance'>,
  store: Pick<FileStore, 'leftovers' | 'absolutePath' | 'putInPlace'>,
  log: SourceLogger,
): Promise<number> {
  let restored = 0;
  let removed = 0;
  for (const { device, file } of store.leftovers.splice(0)) {
    const row = await sopInstanceUidOf(file)
      .then((uid) => (uid ? index.findInstance(uid) : undefined))
      .catch(() => undefined);
    const size = await lstat(file).then(
      (s) => s.size,
      () => -1,
    );
    const inPlace =
      row &&
      (await lstat(store.absolutePath(row.location)).then(
        (s) => s.size === row.size,
        () => false,
      ));
    if (row && row.location.device === device && size === row.size && !inPlace) {
      await store.putInPlace(file, row.location);
      restored++;
      log.warn(
        `object ${row.sopInstanceUid}: found complete in the incoming folder after the last stop (its move into place had not reached the disk); put in place`,
      );
      continue;
    }
    if (
      await unlink(file).then(
        () => true,
        () => false,
      )
    )
      removed++;
  }
  if (removed)
    log.warn(
      `removed ${removed} partial or unneeded received object(s) left in the incoming folders by an earlier run`,
    );
  return restored;
}

/** The SOP Instance UID a received object's temporary file names in its meta header. */
async function sopInstanceUidOf(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return readFileMeta(head.subarray(0, bytesRead)).sopInstanceUid || undefined;
  } finally {
    await handle.close();
  }
}
