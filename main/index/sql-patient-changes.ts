import { foldName } from '../query/name-fold.ts';
import { personNameKey } from '../query/sql.ts';
import type { PatientRow } from './archive-index.ts';
import type { SqlEngine } from './sql-engine.ts';

/**
 * Patient demographics changed from outside (HL7 ADT): a patient's row and its worklist entries take the new name,
 * birth date and sex; a merge moves the prior patient's studies and worklist entries to the surviving patient and keeps
 * a record of it. Only the index changes: the stored files keep what the modality wrote (see README).
 */

/** True when the patient is in the archive. */
export async function updatePatient(engine: SqlEngine, p: PatientRow): Promise<boolean> {
  return engine.transaction(async (tx) => {
    const { changes } = await tx.run('UPDATE patients SET patient_name = ?, name_key = ?, name_fold = ?, birth_date = ?, sex = ?, updated_at = ? WHERE patient_id = ?',
      [p.patientName, personNameKey(p.patientName), foldName(p.patientName), p.birthDate, p.sex, new Date().toISOString(), p.patientId]);
    await updateWorklist(tx, p, p.patientId);
    return changes > 0;
  });
}

/** Move what the archive holds of `priorPatientId` to `survivor`; how many studies moved. */
export async function mergePatients(engine: SqlEngine, priorPatientId: string, survivor: PatientRow, source: string): Promise<number> {
  return engine.transaction(async (tx) => {
    const [prior] = await tx.all<{ id: number | string }>(`SELECT id FROM patients WHERE patient_id = ?${tx.dialect.forUpdate}`, [priorPatientId]);
    const [target] = await tx.all<{ id: number | string }>(`SELECT id FROM patients WHERE patient_id = ?${tx.dialect.forUpdate}`, [survivor.patientId]);
    let moved = 0;
    if (prior && target) {
      moved = (await tx.run('UPDATE studies SET patient_fk = ? WHERE patient_fk = ?', [target.id, prior.id])).changes;
      await tx.run('DELETE FROM patients WHERE id = ?', [prior.id]);
    } else if (prior) {
      // The surviving patient has nothing here yet: the prior patient's row becomes it.
      const [{ n }] = await tx.all<{ n: number | string }>('SELECT count(*) AS n FROM studies WHERE patient_fk = ?', [prior.id]) as [{ n: number | string }];
      moved = Number(n);
      await tx.run('UPDATE patients SET patient_id = ? WHERE id = ?', [survivor.patientId, prior.id]);
    }
    if (prior || target) {
      await tx.run('UPDATE patients SET patient_name = ?, name_key = ?, name_fold = ?, birth_date = ?, sex = ?, updated_at = ? WHERE patient_id = ?',
        [survivor.patientName, personNameKey(survivor.patientName), foldName(survivor.patientName), survivor.birthDate, survivor.sex, new Date().toISOString(), survivor.patientId]);
    }
    await updateWorklist(tx, survivor, priorPatientId);
    await updateWorklist(tx, survivor, survivor.patientId);
    await tx.run('INSERT INTO patient_merges (prior_patient_id, patient_id, source, studies_moved, recorded_at) VALUES (?, ?, ?, ?, ?)',
      [priorPatientId, survivor.patientId, source, moved, new Date().toISOString()]);
    return moved;
  });
}

async function updateWorklist(tx: SqlEngine, p: PatientRow, ofPatientId: string): Promise<void> {
  await tx.run('UPDATE worklist SET patient_id = ?, patient_name = ?, name_key = ?, name_fold = ?, birth_date = ?, sex = ?, updated_at = ? WHERE patient_id = ?',
    [p.patientId, p.patientName, personNameKey(p.patientName), foldName(p.patientName), p.birthDate, p.sex, new Date().toISOString(), ofPatientId]);
}
