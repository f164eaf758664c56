import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SQLITE_MIGRATIONS } from './migrations/sqlite.ts';
import type { ArchiveIndex, IndexCounts, InstanceRecord, PatientRow, StoredInstance } from './archive-index.ts';
import type { StoredLocation } from '../store/file-store.ts';
import { QR_FROM, newestFirstSql, type KeyAttribute, type LevelNumber, type QrAttribute } from '../query/attributes.ts';
import type { Row } from '../query/identifier.ts';
import { foldName } from '../query/name-fold.ts';
import { SQLITE_DIALECT, personNameKey, selectList, whereSql, type Condition } from '../query/sql.ts';
import { SqliteJobStore } from './sqlite-jobs.ts';
import { WORKLIST_COLUMNS, WORKLIST_FIELDS, normalizeWorklistEntry, type StoredWorklistEntry, type WorklistEntry } from './worklist-entry.ts';

/**
 * The index in an embedded SQLite file (better-sqlite3). WAL with synchronous=NORMAL: a commit costs no fsync, and
 * the database stays consistent after a crash; each object is its own transaction, committed before success is sent.
 */
export class SqliteIndex implements ArchiveIndex {
  private readonly db: Database.Database;
  private readonly upsertPatient: Statement;
  private readonly upsertStudy: Statement;
  private readonly upsertSeries: Statement;
  private readonly selectInstance: Statement;
  private readonly upsertInstance: Statement;
  private readonly countInSeries: Statement;
  private readonly countInStudy: Statement;
  private readonly refreshStudySeries: Statement;
  private readonly storeTx: (record: InstanceRecord, attributes: string) => { replaced?: StoredLocation; seriesId: number };
  /**
   * Series row IDs whose patient, study and series attributes were last written exactly so: the next object of a series
   * (hundreds in a CT) then writes only its instance row. Every write goes through this object, so the cache stays true.
   */
  private readonly seriesCache = new Map<string, { id: number; attributes: string }>();
  /** Prepared query statements by SQL text: queries of one shape reuse their plan. */
  private readonly statements = new Map<string, Statement>();

  /** Opening is synchronous and happens once at start-up, before any association is served. */
  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.upsertPatient = this.db.prepare(`
      INSERT INTO patients (patient_id, patient_name, name_key, name_fold, birth_date, sex, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (patient_id) DO UPDATE SET patient_name = excluded.patient_name, name_key = excluded.name_key, name_fold = excluded.name_fold,
        birth_date = excluded.birth_date, sex = excluded.sex, updated_at = excluded.updated_at
      RETURNING id`);
    this.upsertStudy = this.db.prepare(`
      INSERT INTO studies (study_uid, patient_fk, study_date, study_time, accession_number, study_id, description,
        referring_physician, charset, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (study_uid) DO UPDATE SET patient_fk = excluded.patient_fk, study_date = excluded.study_date,
        study_time = excluded.study_time, accession_number = excluded.accession_number, study_id = excluded.study_id,
        description = excluded.description, referring_physician = excluded.referring_physician,
        charset = excluded.charset, updated_at = excluded.updated_at
      RETURNING id`);
    this.upsertSeries = this.db.prepare(`
      INSERT INTO series (series_uid, study_fk, modality, series_number, description, body_part, series_date,
        series_time, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (series_uid) DO UPDATE SET study_fk = excluded.study_fk, modality = excluded.modality,
        series_number = excluded.series_number, description = excluded.description, body_part = excluded.body_part,
        series_date = excluded.series_date, series_time = excluded.series_time, updated_at = excluded.updated_at
      RETURNING id`);
    this.selectInstance = this.db.prepare(`
      SELECT sop_uid, series_fk, sop_class_uid, transfer_syntax, device, path, size FROM instances WHERE sop_uid = ?`);
    this.countInSeries = this.db.prepare('UPDATE series SET num_instances = num_instances + ? WHERE id = ?');
    this.countInStudy = this.db.prepare('UPDATE studies SET num_instances = num_instances + ? WHERE id = (SELECT study_fk FROM series WHERE id = ?)');
    this.refreshStudySeries = this.db.prepare(`UPDATE studies SET num_series = (SELECT count(*) FROM series WHERE study_fk = @study),
      modalities = (SELECT coalesce(replace(group_concat(DISTINCT modality), ',', '\\'), '') FROM series WHERE study_fk = @study) WHERE id = @study`);
    this.upsertInstance = this.db.prepare(`
      INSERT INTO instances (sop_uid, series_fk, sop_class_uid, instance_number, transfer_syntax, rows, columns, frames,
        device, path, size, calling_ae, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (sop_uid) DO UPDATE SET series_fk = excluded.series_fk, sop_class_uid = excluded.sop_class_uid,
        instance_number = excluded.instance_number, transfer_syntax = excluded.transfer_syntax, rows = excluded.rows,
        columns = excluded.columns, frames = excluded.frames, device = excluded.device, path = excluded.path,
        size = excluded.size, calling_ae = excluded.calling_ae, received_at = excluded.received_at`);
    this.storeTx = this.db.transaction((r: InstanceRecord, attributes: string) => this.storeRows(r, attributes));
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (const step of SQLITE_MIGRATIONS) {
      if (step.version <= current) continue;
      this.db.transaction(() => {
        this.db.exec(step.sql);
        this.db.pragma(`user_version = ${step.version}`);
      })();
    }
    this.fillNameFolds();
  }

  /** Names stored before the folded key existed (or by an older version) get it now. */
  private fillNameFolds(): void {
    for (const table of ['patients', 'worklist']) {
      const rows = this.db.prepare(`SELECT id, patient_name AS name FROM ${table} WHERE name_fold = '' AND patient_name <> ''`).all() as { id: number; name: string }[];
      const update = this.db.prepare(`UPDATE ${table} SET name_fold = ? WHERE id = ?`);
      this.db.transaction(() => { for (const r of rows) update.run(foldName(r.name), r.id); })();
    }
  }

  private storeRows(r: InstanceRecord, attributes: string): { replaced?: StoredLocation; seriesId: number } {
    const h = r.header;
    const now = new Date().toISOString();
    const cached = this.seriesCache.get(h.seriesInstanceUid);
    const series = cached?.attributes === attributes ? cached.id : this.upsertHierarchy(h, now);
    const old = this.selectInstance.get(h.sopInstanceUid) as InstanceRow | undefined;
    this.upsertInstance.run(h.sopInstanceUid, series, h.sopClassUid, h.instanceNumber, r.transferSyntaxUid, h.rows, h.columns,
      h.numberOfFrames, r.location.device, r.location.relativePath, r.size, r.callingAe, now);
    if (old?.series_fk !== series) {
      this.countInSeries.run(1, series);
      this.countInStudy.run(1, series);
      if (old) { this.countInSeries.run(-1, old.series_fk); this.countInStudy.run(-1, old.series_fk); }
    }
    return { seriesId: series, replaced: old ? { device: old.device, relativePath: old.path } : undefined };
  }

  /** Insert or update the patient, study and series rows of an object; returns the series row ID. */
  private upsertHierarchy(h: InstanceRecord['header'], now: string): number {
    const patient = (this.upsertPatient.get(h.patientId, h.patientName, personNameKey(h.patientName), foldName(h.patientName), h.patientBirthDate, h.patientSex, now) as { id: number }).id;
    const study = (this.upsertStudy.get(h.studyInstanceUid, patient, h.studyDate, h.studyTime, h.accessionNumber, h.studyId,
      h.studyDescription, h.referringPhysicianName, h.specificCharacterSet, now) as { id: number }).id;
    const series = (this.upsertSeries.get(h.seriesInstanceUid, study, h.modality, h.seriesNumber, h.seriesDescription,
      h.bodyPartExamined, h.seriesDate, h.seriesTime, now) as { id: number }).id;
    this.refreshStudySeries.run({ study });
    return series;
  }

  async storeInstance(record: InstanceRecord): Promise<{ replaced?: StoredLocation }> {
    const h = record.header;
    const attributes = [h.patientId, h.patientName, h.patientBirthDate, h.patientSex, h.studyInstanceUid, h.studyDate, h.studyTime,
      h.accessionNumber, h.studyId, h.studyDescription, h.referringPhysicianName, h.specificCharacterSet, h.modality,
      h.seriesNumber, h.seriesDescription, h.bodyPartExamined, h.seriesDate, h.seriesTime].join('\u0000');
    const { replaced, seriesId } = this.storeTx(record, attributes);
    // Cached only once committed: a rolled-back transaction must not leave a row ID that does not exist.
    if (this.seriesCache.size >= 10_000) this.seriesCache.clear();
    this.seriesCache.set(h.seriesInstanceUid, { id: seriesId, attributes });
    return replaced ? { replaced } : {};
  }

  async findInstance(sopInstanceUid: string): Promise<StoredInstance | undefined> {
    const row = this.selectInstance.get(sopInstanceUid) as InstanceRow | undefined;
    return row ? toStoredInstance(row) : undefined;
  }

  async findPatient(patientId: string): Promise<PatientRow | undefined> {
    return this.db.prepare(`SELECT patient_id AS patientId, patient_name AS patientName, birth_date AS birthDate, sex
      FROM patients WHERE patient_id = ?`).get(patientId) as PatientRow | undefined;
  }

  async counts(): Promise<IndexCounts> {
    const one = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { patients: one('patients'), studies: one('studies'), series: one('series'), instances: one('instances') };
  }

  private statement(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      if (this.statements.size >= 500) this.statements.clear();
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  async queryArchive(level: LevelNumber, returns: QrAttribute[], conditions: Condition[], limit?: number): Promise<Row[]> {
    const where = whereSql(conditions, SQLITE_DIALECT);
    const columns = returns.length ? selectList(returns) : '1 AS one';
    return this.statement(`SELECT ${columns} FROM ${QR_FROM[level]} WHERE ${where.sql}${newestFirstSql(level, limit)}`).all(...where.params) as Row[];
  }

  async instancesMatching(conditions: Condition[]): Promise<StoredInstance[]> {
    const where = whereSql(conditions, SQLITE_DIALECT);
    const rows = this.statement(`SELECT i.sop_uid, i.sop_class_uid, i.transfer_syntax, i.device, i.path, i.size FROM ${QR_FROM[3]}
      WHERE ${where.sql} ORDER BY st.id, se.id, i.id`).all(...where.params) as InstanceRow[];
    return rows.map(toStoredInstance);
  }

  async queryWorklist(returns: KeyAttribute[], conditions: Condition[]): Promise<Row[]> {
    const where = whereSql(conditions, SQLITE_DIALECT);
    const columns = returns.length ? selectList(returns) : '1 AS one';
    return this.statement(`SELECT ${columns} FROM worklist w WHERE ${where.sql} ORDER BY w.scheduled_date, w.scheduled_time, w.id`).all(...where.params) as Row[];
  }

  async addWorklistEntry(input: Partial<WorklistEntry>): Promise<StoredWorklistEntry> {
    const e = normalizeWorklistEntry(input);
    const { id } = this.statement(`INSERT INTO worklist (${WORKLIST_COLUMNS.join(', ')}, name_key, name_fold, updated_at)
      VALUES (${WORKLIST_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?) RETURNING id`)
      .get(...WORKLIST_FIELDS.map((f) => e[f]), personNameKey(e.patientName), foldName(e.patientName), new Date().toISOString()) as { id: number };
    return { id, ...e };
  }

  async updateWorklistEntry(id: number, changes: Partial<WorklistEntry>): Promise<StoredWorklistEntry | undefined> {
    const current = (await this.listWorklist(id))[0];
    if (!current) return undefined;
    const { id: _ignored, ...rest } = { ...current, ...changes, id };
    const e = normalizeWorklistEntry(rest);
    this.statement(`UPDATE worklist SET ${WORKLIST_COLUMNS.map((c) => `${c} = ?`).join(', ')}, name_key = ?, name_fold = ?, updated_at = ? WHERE id = ?`)
      .run(...WORKLIST_FIELDS.map((f) => e[f]), personNameKey(e.patientName), foldName(e.patientName), new Date().toISOString(), id);
    return { id, ...e };
  }

  async deleteWorklistEntry(id: number): Promise<boolean> {
    return this.statement('DELETE FROM worklist WHERE id = ?').run(id).changes > 0;
  }

  async listWorklist(id?: number): Promise<StoredWorklistEntry[]> {
    const columns = WORKLIST_FIELDS.map((f, i) => `${WORKLIST_COLUMNS[i]} AS "${f}"`).join(', ');
    const sql = `SELECT id, ${columns} FROM worklist ${id === undefined ? '' : 'WHERE id = ?'} ORDER BY scheduled_date, scheduled_time, id`;
    return (id === undefined ? this.statement(sql).all() : this.statement(sql).all(id)) as StoredWorklistEntry[];
  }

  async clearArchive(): Promise<void> {
    this.db.exec('DELETE FROM instances; DELETE FROM series; DELETE FROM studies; DELETE FROM patients;');
    this.seriesCache.clear();
  }

  async deleteStudy(studyUid: string): Promise<StoredLocation[] | undefined> {
    const remove = this.db.transaction(() => {
      const study = this.db.prepare('SELECT id, patient_fk AS patient FROM studies WHERE study_uid = ?').get(studyUid) as { id: number; patient: number } | undefined;
      if (!study) return undefined;
      const files = this.db.prepare(`SELECT i.device, i.path FROM instances i JOIN series se ON se.id = i.series_fk
        WHERE se.study_fk = ?`).all(study.id) as { device: number; path: string }[];
      this.db.prepare('DELETE FROM instances WHERE series_fk IN (SELECT id FROM series WHERE study_fk = ?)').run(study.id);
      this.db.prepare('DELETE FROM series WHERE study_fk = ?').run(study.id);
      this.db.prepare('DELETE FROM studies WHERE id = ?').run(study.id);
      this.db.prepare('DELETE FROM patients WHERE id = @p AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_fk = @p)').run({ p: study.patient });
      return files.map((f) => ({ device: f.device, relativePath: f.path }));
    });
    const files = remove();
    // Cached series ids may name deleted rows now.
    this.seriesCache.clear();
    return files;
  }

  /** The transfer jobs, kept in the same database file. */
  jobStore(): SqliteJobStore {
    return new SqliteJobStore(this.db);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

interface InstanceRow { sop_uid: string; series_fk: number; sop_class_uid: string; transfer_syntax: string; device: number; path: string; size: number }

function toStoredInstance(row: InstanceRow): StoredInstance {
  return {
    sopInstanceUid: row.sop_uid, sopClassUid: row.sop_class_uid, transferSyntaxUid: row.transfer_syntax,
    location: { device: row.device, relativePath: row.path }, size: row.size,
  };
}

