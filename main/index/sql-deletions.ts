import type { Condition } from '../query/condition.ts';
import { QR_FROM } from '../query/attributes.ts';
import { whereSql } from '../query/sql.ts';
import type { StoredLocation } from '../store/file-store.ts';
import type { DeletionRecord, StudyDeletion } from './archive-index.ts';
import type { SqlEngine } from './sql-engine.ts';

/**
 * Deleting studies so that a crash at any moment leaves the archive whole once it starts again: one transaction removes
 * the study's rows and writes a journal entry with the study's files; the files go after it, and the entry is then
 * marked done. An entry still pending at start has its files deleted then (StudyRemoval.recover). Also what clean-up
 * needs: when studies were last used, which are protected, and the least recently used patients.
 */

/** The last use of a study: its last access, else when it was last written. */
const LAST_USE = "CASE WHEN st.accessed_at <> '' THEN st.accessed_at ELSE st.updated_at END";

export async function beginStudyDeletion(
  engine: SqlEngine,
  studyUid: string,
  reason: string,
  force: boolean,
): Promise<StudyDeletion | 'protected' | undefined> {
  return engine.transaction(async (tx) => {
    const [study] = await tx.all<{
      id: number;
      patient: number;
      protected: number | string;
      patient_id: string;
      patient_name: string;
      study_date: string;
      description: string;
    }>(
      `SELECT st.id, st.patient_fk AS patient, st.protected, p.patient_id, p.patient_name, st.study_date, st.description
       FROM studies st JOIN patients p ON p.id = st.patient_fk WHERE st.study_uid = ?${tx.dialect.forUpdate}`,
      [studyUid],
    );
    if (!study) return undefined;
    if (Number(study.protected) && !force) return 'protected';
    const rows = await tx.all<{ device: number; path: string; size: number | string }>(
      'SELECT i.device, i.path, i.size FROM instances i JOIN series se ON se.id = i.series_fk WHERE se.study_fk = ?',
      [study.id],
    );
    const locations: StoredLocation[] = rows.map((r) => ({ device: Number(r.device), relativePath: String(r.path) }));
    const bytes = rows.reduce((n, r) => n + Number(r.size), 0);
    const { insertId } = await tx.run(
      `INSERT INTO deletions (at, study_uid, patient_id, patient_name, study_date, description, objects, bytes, reason, state, files)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      [
        new Date().toISOString(),
        studyUid,
        study.patient_id,
        study.patient_name,
        study.study_date,
        study.description,
        rows.length,
        bytes,
        reason,
        JSON.stringify(locations),
      ],
    );
    await tx.run('DELETE FROM instances WHERE series_fk IN (SELECT id FROM series WHERE study_fk = ?)', [study.id]);
    await tx.run('DELETE FROM series WHERE study_fk = ?', [study.id]);
    await tx.run('DELETE FROM studies WHERE id = ?', [study.id]);
    await tx.run('DELETE FROM patients WHERE id = ? AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_fk = ?)', [
      study.patient,
      study.patient,
    ]);
    return { id: insertId, locations, bytes };
  });
}

/** The deletion's files are gone, or only `left` remain (held by another program): it stays pending with just those. */
export async function finishDeletion(engine: SqlEngine, id: number, left: StoredLocation[] = []): Promise<void> {
  if (left.length) await engine.run('UPDATE deletions SET files = ? WHERE id = ?', [JSON.stringify(left), id]);
  else await engine.run("UPDATE deletions SET state = 'done', files = '' WHERE id = ?", [id]);
}

export async function pendingDeletions(engine: SqlEngine): Promise<{ id: number; locations: StoredLocation[] }[]> {
  const rows = await engine.all<{ id: number | string; files: string | null }>(
    "SELECT id, files FROM deletions WHERE state = 'pending' ORDER BY id",
  );
  return rows.map((r) => ({ id: Number(r.id), locations: JSON.parse(r.files || '[]') as StoredLocation[] }));
}

export async function listDeletions(engine: SqlEngine, limit: number): Promise<DeletionRecord[]> {
  const rows = await engine.all<
    Record<string, unknown>
  >(`SELECT id, at, study_uid, patient_id, patient_name, study_date, description, objects, bytes, reason, state
    FROM deletions ORDER BY id DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
  return rows.map((r) => ({
    id: Number(r.id),
    at: String(r.at),
    studyUid: String(r.study_uid),
    patientId: String(r.patient_id),
    patientName: String(r.patient_name),
    studyDate: String(r.study_date),
    description: String(r.description),
    objects: Number(r.objects),
    bytes: Number(r.bytes),
    reason: String(r.reason),
    state: String(r.state) as DeletionRecord['state'],
  }));
}

/** Each study's last use, as [Study Instance UID, ISO time]. */
export async function touchStudies(engine: SqlEngine, uses: [string, string][]): Promise<void> {
  for (let i = 0; i < uses.length; i += 500) {
    const chunk = uses.slice(i, i + 500);
    await engine.run(
      `UPDATE studies SET accessed_at = CASE study_uid ${chunk.map(() => 'WHEN ? THEN ?').join(' ')} END
      WHERE study_uid IN (${chunk.map(() => '?').join(', ')})`,
      [...chunk.flat(), ...chunk.map(([uid]) => uid)],
    );
  }
}

/** The studies a retrieve's conditions name (any level), marked used now. */
export async function touchMatching(engine: SqlEngine, conditions: Condition[], at: string): Promise<void> {
  const where = whereSql(conditions, engine.dialect);
  const ids = await engine.all<{ id: number }>(
    `SELECT DISTINCT st.id FROM ${QR_FROM[3]} WHERE ${where.sql}`,
    where.params,
  );
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500).map((r) => r.id);
    await engine.run(`UPDATE studies SET accessed_at = ? WHERE id IN (${chunk.map(() => '?').join(', ')})`, [
      at,
      ...chunk,
    ]);
  }
}

export async function setStudyProtected(engine: SqlEngine, studyUid: string, on: boolean): Promise<boolean> {
  return (await engine.run('UPDATE studies SET protected = ? WHERE study_uid = ?', [on ? 1 : 0, studyUid])).changes > 0;
}

export async function protectedStudies(engine: SqlEngine): Promise<string[]> {
  return (await engine.all<{ study_uid: string }>('SELECT study_uid FROM studies WHERE protected = 1')).map(
    (r) => r.study_uid,
  );
}

/**
 * Up to `max` patients with studies on storage folder `device`, the least recently used first (a patient is as recent
 * as the last use of any of its studies; protected studies count too): Lua's `listoldestpatients`.
 */
export async function oldestPatients(engine: SqlEngine, device: number, max: number): Promise<string[]> {
  const rows = await engine.search<{ patient_id: string }>(
    `SELECT p.patient_id FROM patients p JOIN studies st ON st.patient_fk = p.id
    WHERE EXISTS (SELECT 1 FROM series se JOIN instances i ON i.series_fk = se.id WHERE se.study_fk = st.id AND i.device = ?)
    GROUP BY p.id, p.patient_id ORDER BY MAX(${LAST_USE}), p.id LIMIT ?`,
    [device, Math.max(0, Math.min(max, 100_000))],
  );
  return rows.map((r) => r.patient_id);
}

/**
 * The unprotected studies, on storage folder `device`, of the least recently used patient that has any (a patient is
 * as recent as the last use of any of its studies): what clean-up deletes next.
 */
export async function leastRecentlyUsed(
  engine: SqlEngine,
  device: number,
): Promise<{ patientId: string; studyUids: string[] } | undefined> {
  // A scan of every patient's studies: off the event loop where the engine can.
  const [patient] = await engine.search<{ pid: number; patient_id: string }>(
    `SELECT p.id AS pid, p.patient_id FROM patients p JOIN studies st ON st.patient_fk = p.id
    GROUP BY p.id, p.patient_id
    HAVING SUM(CASE WHEN st.protected = 0 AND EXISTS (SELECT 1 FROM series se JOIN instances i ON i.series_fk = se.id WHERE se.study_fk = st.id AND i.device = ?) THEN 1 ELSE 0 END) > 0
    ORDER BY MAX(${LAST_USE}), p.id LIMIT 1`,
    [device],
  );
  if (!patient) return undefined;
  const studies = await engine.all<{ study_uid: string }>(
    `SELECT st.study_uid FROM studies st WHERE st.patient_fk = ? AND st.protected = 0
    AND EXISTS (SELECT 1 FROM series se JOIN instances i ON i.series_fk = se.id WHERE se.study_fk = st.id AND i.device = ?) ORDER BY st.id`,
    [patient.pid, device],
  );
  return { patientId: patient.patient_id, studyUids: studies.map((s) => s.study_uid) };
}
