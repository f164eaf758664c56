import type { MppsRecord, MppsStore } from './mpps-record.ts';
import type { SqlEngine } from './sql-engine.ts';

interface MppsRow {
  sop_uid: string;
  status: string;
  calling_ae: string;
  patient_id: string;
  patient_name: string;
  study_uid: string;
  step_id: string;
  accession_number: string;
  modality: string;
  description: string;
  started: string;
  ended: string;
  series: string | null;
  data_set: string | null;
  worklist_fk: number | string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = [
  'sop_uid',
  'status',
  'calling_ae',
  'patient_id',
  'patient_name',
  'study_uid',
  'step_id',
  'accession_number',
  'modality',
  'description',
  'started',
  'ended',
  'series',
  'data_set',
  'worklist_fk',
  'created_at',
  'updated_at',
];

/**
 * Performed procedure steps in the index (migration 7), the same on every engine. A step is linked to the worklist entry
 * it performs: by Scheduled Procedure Step ID within the study, else by the study, else by the accession number; the
 * entry then shows the step's state, and its own status follows (STARTED, COMPLETED, DISCONTINUED).
 */
export class SqlMppsStore implements MppsStore {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  async create(record: MppsRecord): Promise<boolean> {
    return this.engine.transaction(async (tx) => {
      const [exists] = await tx.all(`SELECT id FROM mpps WHERE sop_uid = ?${tx.dialect.forUpdate}`, [
        record.sopInstanceUid,
      ]);
      if (exists) return false;
      const worklistId = await linkedEntry(tx, record);
      await tx.run(
        `INSERT INTO mpps (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
        values({ ...record, worklistId }),
      );
      if (worklistId !== undefined) {
        await tx.run('UPDATE worklist SET mpps_status = ?, mpps_uid = ?, step_status = ? WHERE id = ?', [
          record.status,
          record.sopInstanceUid,
          stepStatus(record.status),
          worklistId,
        ]);
      }
      return true;
    });
  }

  async get(sopInstanceUid: string): Promise<MppsRecord | undefined> {
    const [row] = await this.engine.all<MppsRow>('SELECT * FROM mpps WHERE sop_uid = ?', [sopInstanceUid]);
    return row ? fromRow(row) : undefined;
  }

  async update(record: MppsRecord): Promise<void> {
    await this.engine.transaction(async (tx) => {
      const set = COLUMNS.filter((c) => c !== 'sop_uid' && c !== 'created_at' && c !== 'worklist_fk');
      const all = values(record);
      await tx.run(`UPDATE mpps SET ${set.map((c) => `${c} = ?`).join(', ')} WHERE sop_uid = ?`, [
        ...set.map((c) => all[COLUMNS.indexOf(c)]),
        record.sopInstanceUid,
      ]);
      await tx.run('UPDATE worklist SET mpps_status = ?, step_status = ? WHERE mpps_uid = ?', [
        record.status,
        stepStatus(record.status),
        record.sopInstanceUid,
      ]);
    });
  }

  async list(limit = 500): Promise<MppsRecord[]> {
    const rows = await this.engine.all<MppsRow>(
      `SELECT * FROM mpps ORDER BY id DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
    );
    return rows.map(fromRow);
  }
}

/**
 * The Scheduled Procedure Step Status (0040,0020) that follows from the performed step's state (as dcm4chee does): a
 * modality asking its worklist for SCHEDULED steps no longer sees one that is under way or done.
 */
function stepStatus(performed: string): string {
  return performed === 'IN PROGRESS' ? 'STARTED' : performed;
}

/** The worklist entry a step performs (see the class comment), if any. */
async function linkedEntry(tx: SqlEngine, r: MppsRecord): Promise<number | undefined> {
  const tries: [string, unknown[]][] = [];
  if (r.stepId && r.studyUid) tries.push(['step_id = ? AND study_uid = ?', [r.stepId, r.studyUid]]);
  if (r.studyUid) tries.push(['study_uid = ?', [r.studyUid]]);
  if (r.accessionNumber) tries.push(['accession_number = ?', [r.accessionNumber]]);
  for (const [where, params] of tries) {
    const [row] = await tx.all<{ id: number | string }>(
      `SELECT id FROM worklist WHERE ${where} ORDER BY id LIMIT 1`,
      params,
    );
    if (row) return Number(row.id);
  }
  return undefined;
}

function values(r: MppsRecord): unknown[] {
  return [
    r.sopInstanceUid,
    r.status,
    r.callingAe,
    r.patientId,
    r.patientName,
    r.studyUid,
    r.stepId,
    r.accessionNumber,
    r.modality,
    r.description,
    r.started,
    r.ended,
    JSON.stringify(r.series),
    r.dataSet,
    r.worklistId ?? null,
    r.createdAt,
    r.updatedAt,
  ];
}

function fromRow(r: MppsRow): MppsRecord {
  return {
    sopInstanceUid: r.sop_uid,
    status: r.status,
    callingAe: r.calling_ae,
    patientId: r.patient_id,
    patientName: r.patient_name,
    studyUid: r.study_uid,
    stepId: r.step_id,
    accessionNumber: r.accession_number,
    modality: r.modality,
    description: r.description,
    started: r.started,
    ended: r.ended,
    series: JSON.parse(r.series || '[]'),
    dataSet: r.data_set ?? '',
    worklistId: r.worklist_fk === null ? undefined : Number(r.worklist_fk),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
