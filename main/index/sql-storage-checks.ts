import type { StoredLocation } from '../store/file-store.ts';
import type { SqlEngine } from './sql-engine.ts';

/** What a verification found wrong with an object's file. */
export type StorageProblemKind = 'missing' | 'size' | 'checksum' | 'unreadable';
/** Found (damaged), a copy asked for (repairing), put right (repaired), or no copy to be had (unrepairable). */
export type StorageProblemState = 'damaged' | 'repairing' | 'repaired' | 'unrepairable';

/** One stored object as the verification reads it: its row's file, size and checksum (null: not known yet). */
export interface CheckedObject {
  id: number;
  sopInstanceUid: string;
  location: StoredLocation;
  size: number;
  checksum: number | null;
}

export interface StorageProblem {
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patientId: string;
  location: StoredLocation;
  problem: StorageProblemKind;
  foundAt: string;
  state: StorageProblemState;
  detail: string;
}

/** The index's side of VerifyStorage (migration 16): objects in row order, checksums recorded, problems kept. */
export interface StorageCheckStore {
  /** Up to `limit` objects with a row id above `afterId`, in id order (only those on `device`, when given). */
  objectsAfter(afterId: number, limit: number, device?: number): Promise<CheckedObject[]>;
  /** One object's row as it is now (re-read before a mismatch is believed: it may have been stored again). */
  object(sopInstanceUid: string): Promise<CheckedObject | undefined>;
  /** Keep a checksum computed from the file for a row that had none, if the row still names that file at that size. */
  recordChecksum(o: CheckedObject, checksum: number): Promise<void>;
  problems(): Promise<StorageProblem[]>;
  /** Record (or update) the problem of an object. */
  recordProblem(
    sopInstanceUid: string,
    location: StoredLocation,
    problem: StorageProblemKind,
    detail: string,
  ): Promise<void>;
  setState(sopInstanceUid: string, state: StorageProblemState, detail: string): Promise<void>;
  /** Problems not repaired (damaged, repairing or unrepairable). */
  openCount(): Promise<number>;
  /** Forget the problems of objects no longer in the archive (deleted since). */
  forgetGone(): Promise<void>;
  /** The studies with objects on a storage device, and how many bytes those objects take. */
  studiesOn(device: number): Promise<{ studyUid: string; bytes: number }[]>;
}

export class SqlStorageCheckStore implements StorageCheckStore {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  async objectsAfter(afterId: number, limit: number, device?: number): Promise<CheckedObject[]> {
    const onDevice = device === undefined ? '' : ' AND device = ?';
    const rows = await this.engine.all<Row>(
      `SELECT id, sop_uid, device, path, size, checksum FROM instances WHERE id > ?${onDevice} ORDER BY id LIMIT ?`,
      device === undefined ? [afterId, limit] : [afterId, device, limit],
    );
    return rows.map(checked);
  }

  async object(sopInstanceUid: string): Promise<CheckedObject | undefined> {
    const [row] = await this.engine.all<Row>(
      'SELECT id, sop_uid, device, path, size, checksum FROM instances WHERE sop_uid = ?',
      [sopInstanceUid],
    );
    return row ? checked(row) : undefined;
  }

  async recordChecksum(o: CheckedObject, checksum: number): Promise<void> {
    await this.engine.run(
      'UPDATE instances SET checksum = ? WHERE sop_uid = ? AND device = ? AND path = ? AND size = ? AND checksum IS NULL',
      [checksum, o.sopInstanceUid, o.location.device, o.location.relativePath, o.size],
    );
  }

  async problems(): Promise<StorageProblem[]> {
    const rows = await this.engine.all<ProblemRow>(
      `SELECT p.sop_uid, p.device, p.path, p.problem, p.found_at, p.state, p.detail,
      COALESCE(s.series_uid, '') AS series_uid, COALESCE(st.study_uid, '') AS study_uid,
      COALESCE(pt.patient_id, '') AS patient_id
      FROM storage_problems p LEFT JOIN instances i ON i.sop_uid = p.sop_uid
      LEFT JOIN series s ON s.id = i.series_fk LEFT JOIN studies st ON st.id = s.study_fk
      LEFT JOIN patients pt ON pt.id = st.patient_fk ORDER BY p.found_at DESC, p.sop_uid`,
    );
    return rows.map((r) => ({
      sopInstanceUid: r.sop_uid,
      studyInstanceUid: r.study_uid,
      seriesInstanceUid: r.series_uid,
      patientId: r.patient_id,
      location: { device: Number(r.device), relativePath: r.path },
      problem: r.problem as StorageProblemKind,
      foundAt: r.found_at,
      state: r.state as StorageProblemState,
      detail: r.detail,
    }));
  }

  async recordProblem(
    sopInstanceUid: string,
    location: StoredLocation,
    problem: StorageProblemKind,
    detail: string,
  ): Promise<void> {
    await this.engine.transaction(async (tx) => {
      await tx.run('DELETE FROM storage_problems WHERE sop_uid = ?', [sopInstanceUid]);
      await tx.run(
        `INSERT INTO storage_problems (sop_uid, device, path, problem, found_at, state, detail)
        VALUES (?, ?, ?, ?, ?, 'damaged', ?)`,
        [sopInstanceUid, location.device, location.relativePath, problem, new Date().toISOString(), detail],
      );
    });
  }

  async setState(sopInstanceUid: string, state: StorageProblemState, detail: string): Promise<void> {
    await this.engine.run('UPDATE storage_problems SET state = ?, detail = ? WHERE sop_uid = ?', [
      state,
      detail,
      sopInstanceUid,
    ]);
  }

  async studiesOn(device: number): Promise<{ studyUid: string; bytes: number }[]> {
    const rows = await this.engine.all<{ study_uid: string; bytes: number | string }>(
      `SELECT st.study_uid, SUM(i.size) AS bytes FROM instances i JOIN series s ON s.id = i.series_fk
      JOIN studies st ON st.id = s.study_fk WHERE i.device = ? GROUP BY st.study_uid ORDER BY st.study_uid`,
      [device],
    );
    return rows.map((r) => ({ studyUid: r.study_uid, bytes: Number(r.bytes) }));
  }

  async forgetGone(): Promise<void> {
    await this.engine.run('DELETE FROM storage_problems WHERE sop_uid NOT IN (SELECT sop_uid FROM instances)');
  }

  async openCount(): Promise<number> {
    const [r] = await this.engine.all<{ n: number | string }>(
      "SELECT count(*) AS n FROM storage_problems WHERE state <> 'repaired'",
    );
    return Number(r?.n ?? 0);
  }
}

interface Row {
  id: number | string;
  sop_uid: string;
  device: number | string;
  path: string;
  size: number | string;
  checksum: number | string | null;
}

interface ProblemRow {
  sop_uid: string;
  device: number | string;
  path: string;
  problem: string;
  found_at: string;
  state: string;
  detail: string;
  study_uid: string;
  series_uid: string;
  patient_id: string;
}

function checked(r: Row): CheckedObject {
  return {
    id: Number(r.id),
    sopInstanceUid: r.sop_uid,
    location: { device: Number(r.device), relativePath: r.path },
    size: Number(r.size),
    checksum: r.checksum === null ? null : Number(r.checksum),
  };
}
