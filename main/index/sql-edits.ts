import type { SqlEngine } from './sql-engine.ts';

/**
 * What editing objects needs of the index beyond storing them again: rows left empty pruned (an object stored again
 * under another series leaves its old series; hierarchy.ts keeps the counts), patient ID aliases, and where a study went.
 */

/**
 * Make the rows right after objects moved (an edit): the studies named (where the objects were and where they went) get
 * their series' and their own counts and modalities counted again, then series, studies and patients left without
 * objects go. (Storing an object again under another study re-parents its series row first, so hierarchy.ts's running
 * counts cannot follow such a move.)
 */
export async function pruneEmpty(engine: SqlEngine, studyUids: string[]): Promise<void> {
  await engine.transaction(async (tx) => {
    for (let at = 0; at < studyUids.length; at += 500) {
      const chunk = studyUids.slice(at, at + 500);
      const ids = (
        await tx.all<{ id: number | string }>(
          `SELECT id FROM studies WHERE study_uid IN (${chunk.map(() => '?').join(', ')})`,
          chunk,
        )
      ).map((r) => r.id);
      for (const id of ids) {
        await tx.run(
          'UPDATE series SET num_instances = (SELECT count(*) FROM instances WHERE series_fk = series.id) WHERE study_fk = ?',
          [id],
        );
        await tx.run(
          `UPDATE studies SET num_instances = (SELECT count(*) FROM instances i JOIN series s ON s.id = i.series_fk WHERE s.study_fk = ?),
          num_series = (SELECT count(*) FROM series WHERE study_fk = ? AND num_instances > 0), modalities = ${tx.dialect.studyModalities('?')} WHERE id = ?`,
          [id, id, id, id],
        );
      }
    }
    await tx.run('DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM instances WHERE series_fk = series.id)');
    await tx.run('DELETE FROM studies WHERE NOT EXISTS (SELECT 1 FROM series WHERE study_fk = studies.id)');
    await tx.run('DELETE FROM patients WHERE NOT EXISTS (SELECT 1 FROM studies WHERE patient_fk = patients.id)');
  });
}

export async function addPatientAlias(engine: SqlEngine, oldId: string, newId: string): Promise<void> {
  await engine.transaction(async (tx) => {
    // An alias pointing at the old ID now points at the new one; a former alias of the new ID would loop, so it goes.
    await tx.run('UPDATE patient_aliases SET new_id = ? WHERE new_id = ?', [newId, oldId]);
    await tx.run('DELETE FROM patient_aliases WHERE old_id = ? OR old_id = ?', [oldId, newId]);
    await tx.run('INSERT INTO patient_aliases (old_id, new_id, created_at) VALUES (?, ?, ?)', [
      oldId,
      newId,
      new Date().toISOString(),
    ]);
  });
}

export async function patientAliases(engine: SqlEngine): Promise<Map<string, string>> {
  const rows = await engine.all<{ old_id: string; new_id: string }>('SELECT old_id, new_id FROM patient_aliases');
  return new Map(rows.map((r) => [r.old_id, r.new_id]));
}

export async function studyDestinations(engine: SqlEngine, studyUid: string): Promise<string[]> {
  const rows = await engine.all<{ destination: string }>(
    `SELECT DISTINCT destination FROM jobs WHERE study_uid = ? AND kind IN ('send', 'forward')
    AND destination <> '' AND done > 0 ORDER BY destination`,
    [studyUid],
  );
  return rows.map((r) => r.destination);
}
