import { foldName } from '../query/name-fold.ts';
import { personNameKey } from '../query/sql.ts';
import type { PatientNames, PatientRow } from './archive-index.ts';
import type { SqlEngine } from './sql-engine.ts';

/**
 * Patient demographics changed from outside (HL7 ADT): a patient's row and its worklist entries take the new name,
 * birth date and sex, the name confirmed (arriving studies no longer change it, hierarchy.ts); a merge moves the prior
 * patient's studies and worklist entries to the surviving patient and keeps a record of it. Only the index changes:
 * the stored files keep what the modality wrote (see docs/features.md, "Patient identity"). And the names a patient's studies were received with.
 */

/** True when the patient is in the archive. */
export async function updatePatient(engine: SqlEngine, p: PatientRow): Promise<boolean> {
  return engine.transaction(async (tx) => {
    const { changes } = await tx.run(
      'UPDATE patients SET patient_name = ?, name_key = ?, name_fold = ?, birth_date = ?, sex = ?, updated_at = ?, name_confirmed = 1 WHERE patient_id = ?',
      [
        p.patientName,
        personNameKey(p.patientName),
        foldName(p.patientName),
        p.birthDate,
        p.sex,
        new Date().toISOString(),
        p.patientId,
      ],
    );
    await updateWorklist(tx, p, p.patientId);
    return changes > 0;
  });
}

/** Move what the archive holds of `priorPatientId` to `survivor`; how many studies moved. */
export async function mergePatients(
  engine: SqlEngine,
  priorPatientId: string,
  survivor: PatientRow,
  source: string,
): Promise<number> {
  return engine.transaction(async (tx) => {
    const [prior] = await tx.all<{ id: number | string }>(
      `SELECT id FROM patients WHERE patient_id = ?${tx.dialect.forUpdate}`,
      [priorPatientId],
    );
    const [target] = await tx.all<{ id: number | string }>(
      `SELECT id FROM patients WHERE patient_id = ?${tx.dialect.forUpdate}`,
      [survivor.patientId],
    );
    let moved = 0;
    if (prior && target) {
      moved = (await tx.run('UPDATE studies SET patient_fk = ? WHERE patient_fk = ?', [target.id, prior.id])).changes;
      await tx.run('DELETE FROM patients WHERE id = ?', [prior.id]);
    } else if (prior) {
      // The surviving patient has nothing here yet: the prior patient's row becomes it.
      const [{ n }] = (await tx.all<{ n: number | string }>('SELECT count(*) AS n FROM studies WHERE patient_fk = ?', [
        prior.id,
      ])) as [{ n: number | string }];
      moved = Number(n);
      await tx.run('UPDATE patients SET patient_id = ? WHERE id = ?', [survivor.patientId, prior.id]);
    }
    if (prior || target) {
      await tx.run(
        'UPDATE patients SET patient_name = ?, name_key = ?, name_fold = ?, birth_date = ?, sex = ?, updated_at = ?, name_confirmed = 1 WHERE patient_id = ?',
        [
          survivor.patientName,
          personNameKey(survivor.patientName),
          foldName(survivor.patientName),
          survivor.birthDate,
          survivor.sex,
          new Date().toISOString(),
          survivor.patientId,
        ],
      );
    }
    await updateWorklist(tx, survivor, priorPatientId);
    await updateWorklist(tx, survivor, survivor.patientId);
    await tx.run(
      'INSERT INTO patient_merges (prior_patient_id, patient_id, source, studies_moved, recorded_at) VALUES (?, ?, ?, ?, ?)',
      [priorPatientId, survivor.patientId, source, moved, new Date().toISOString()],
    );
    return moved;
  });
}

async function updateWorklist(tx: SqlEngine, p: PatientRow, ofPatientId: string): Promise<void> {
  await tx.run(
    'UPDATE worklist SET patient_id = ?, patient_name = ?, name_key = ?, name_fold = ?, birth_date = ?, sex = ?, updated_at = ? WHERE patient_id = ?',
    [
      p.patientId,
      p.patientName,
      personNameKey(p.patientName),
      foldName(p.patientName),
      p.birthDate,
      p.sex,
      new Date().toISOString(),
      ofPatientId,
    ],
  );
}

/** Each patient's name and the spellings its studies were received with, most studies first. */
export async function patientNames(engine: SqlEngine, patientIds: string[]): Promise<PatientNames[]> {
  const out = new Map<string, PatientNames>();
  for (let at = 0; at < patientIds.length; at += 500) {
    const ids = patientIds.slice(at, at + 500);
    const rows = await engine.all<{
      patient_id: string;
      name: string;
      confirmed: number | string;
      spelling: string;
      n: number | string;
    }>(
      `SELECT p.patient_id, p.patient_name AS name, p.name_confirmed AS confirmed, st.patient_name AS spelling, count(*) AS n
       FROM patients p JOIN studies st ON st.patient_fk = p.id WHERE p.patient_id IN (${ids.map(() => '?').join(', ')})
       GROUP BY p.patient_id, p.patient_name, p.name_confirmed, st.patient_name ORDER BY n DESC, spelling`,
      ids,
    );
    for (const r of rows) {
      let p = out.get(r.patient_id);
      if (!p) {
        p = { patientId: r.patient_id, name: r.name, confirmed: Number(r.confirmed) === 1, spellings: [] };
        out.set(r.patient_id, p);
      }
      p.spellings.push({ name: r.spelling, studies: Number(r.n) });
    }
  }
  return [...out.values()];
}

/** The name a patient goes by, confirmed; false when the patient is unknown. */
export async function confirmPatientName(engine: SqlEngine, patientId: string, patientName: string): Promise<boolean> {
  const { changes } = await engine.run(
    'UPDATE patients SET patient_name = ?, name_key = ?, name_fold = ?, name_confirmed = 1, updated_at = ? WHERE patient_id = ?',
    [patientName, personNameKey(patientName), foldName(patientName), new Date().toISOString(), patientId],
  );
  return changes > 0;
}
