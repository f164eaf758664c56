import type { StoredLocation } from '../store/file-store.ts';
import type { SqlEngine } from './sql-engine.ts';
import { pruneEmpty } from './sql-edits.ts';

/**
 * Rows whose file is not there: a store whose file could not be put in place after its row was written (the two run
 * side by side, ingest.ts), and after a crash the rows written last, whose files may not have reached the disk.
 */

/** A new object's row taken back, if it still names `written`; its series, study and patient go if left empty. */
export async function forgetInstance(
  engine: SqlEngine,
  sopInstanceUid: string,
  written: { location: StoredLocation; transferSyntaxUid: string },
): Promise<boolean> {
  const [row] = await engine.all<{ study_uid: string }>(
    `SELECT st.study_uid FROM instances i JOIN series s ON s.id = i.series_fk
    JOIN studies st ON st.id = s.study_fk WHERE i.sop_uid = ? AND i.device = ? AND i.path = ? AND i.transfer_syntax = ?`,
    [sopInstanceUid, written.location.device, written.location.relativePath, written.transferSyntaxUid],
  );
  if (!row) return false;
  const { changes } = await engine.run('DELETE FROM instances WHERE sop_uid = ? AND device = ? AND path = ?', [
    sopInstanceUid,
    written.location.device,
    written.location.relativePath,
  ]);
  await pruneEmpty(engine, [row.study_uid]);
  return changes > 0;
}

export async function newestInstances(
  engine: SqlEngine,
  limit: number,
): Promise<{ sopInstanceUid: string; location: StoredLocation; transferSyntaxUid: string }[]> {
  const rows = await engine.all<{ sop_uid: string; device: number; path: string; transfer_syntax: string }>(
    'SELECT sop_uid, device, path, transfer_syntax FROM instances ORDER BY id DESC LIMIT ?',
    [limit],
  );
  return rows.map((r) => ({
    sopInstanceUid: r.sop_uid,
    location: { device: Number(r.device), relativePath: r.path },
    transferSyntaxUid: r.transfer_syntax,
  }));
}
