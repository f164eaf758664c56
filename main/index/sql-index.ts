import type {
  ArchiveIndex,
  DeletionRecord,
  IndexCounts,
  InstanceRecord,
  PatientNames,
  PatientRow,
  ReplacedInstance,
  StoredInstance,
  StudyDeletion,
} from './archive-index.ts';
import type { StoredLocation } from '../store/file-store.ts';
import { QR_FROM, newestFirstSql, type KeyAttribute, type LevelNumber, type QrAttribute } from '../query/attributes.ts';
import type { Row } from '../query/identifier.ts';
import type { Condition } from '../query/condition.ts';
import { foldName } from '../query/name-fold.ts';
import { personNameKey, selectList, whereSql } from '../query/sql.ts';
import { HierarchySql, writeBatch, type BatchItem, type SeriesIds } from './hierarchy.ts';
import { SCRIPT_SQL_ROWS, checkedScriptSql } from './script-sql.ts';
import type { SqlEngine } from './sql-engine.ts';
import { SqlJobStore } from './sql-jobs.ts';
import { SqlMppsStore } from './sql-mpps.ts';
import { SqlAccountStore } from './sql-accounts.ts';
import { SqlApiKeyStore } from './sql-api-keys.ts';
import { SqlUidMapStore } from './sql-uid-map.ts';
import { SqlStorageCheckStore } from './sql-storage-checks.ts';
import { SqlAuditStore } from './sql-audit.ts';
import { SqlIndexColumns } from './index-columns.ts';
import { BUILT_IN_SCHEMA, type IndexSchema } from '../config/index-schema.ts';
import { confirmPatientName, mergePatients, patientNames, updatePatient } from './sql-patient-changes.ts';
import { addPatientAlias, patientAliases, pruneEmpty, studyDestinations } from './sql-edits.ts';
import { forgetInstance, newestInstances } from './sql-store-repair.ts';
import {
  beginStudyDeletion,
  finishDeletion,
  leastRecentlyUsed,
  listDeletions,
  oldestPatients,
  pendingDeletions,
  protectedStudies,
  setStudyProtected,
  touchMatching,
  touchStudies,
} from './sql-deletions.ts';
import {
  WORKLIST_COLUMNS,
  WORKLIST_FIELDS,
  normalizeWorklistEntry,
  type StoredWorklistEntry,
  type WorklistEntry,
} from './worklist-entry.ts';

/** Objects committed together at most (one transaction, the instance rows in one statement). */
const MAX_BATCH = 200;

interface Pending extends BatchItem {
  resolve: (r: { replaced?: ReplacedInstance }) => void;
  reject: (e: Error) => void;
}

/**
 * The archive index over any SQL engine: every rule (storing with counts, queries, delete, worklist, jobs) is here once;
 * the engines (sqlite.ts, mysql.ts) supply their primitives, dialect and migrations.
 *
 * Stores are group-committed: objects arriving together (several associations, or one fast sender) are written in one
 * transaction; each store resolves only after that commit, so an acknowledged object is never lost.
 */
export class SqlArchiveIndex implements ArchiveIndex {
  protected readonly engine: SqlEngine;
  private sql: HierarchySql;
  schema: IndexSchema = BUILT_IN_SCHEMA;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  /**
   * Series row ids whose patient, study and series rows were last written with these attributes: the next object of a
   * series (hundreds in a CT) then writes only its instance row. Every write goes through this object, so it stays true.
   */
  private readonly seriesCache = new Map<string, SeriesIds & { attributes: string }>();

  constructor(engine: SqlEngine) {
    this.engine = engine;
    this.sql = new HierarchySql(engine.dialect);
  }

  /** Names stored before the folded search key existed (index migration 5) get it now. */
  protected async fillNameFolds(): Promise<void> {
    for (const table of ['patients', 'studies', 'worklist']) {
      const rows = await this.engine.all<{ id: number; name: string }>(
        `SELECT id, patient_name AS name FROM ${table} WHERE name_fold = '' AND patient_name <> ''`,
      );
      for (let at = 0; at < rows.length; at += 1000) {
        const batch = rows.slice(at, at + 1000);
        await this.engine.run(
          `UPDATE ${table} SET name_fold = CASE id ${batch.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (${batch.map(() => '?').join(', ')})`,
          [...batch.flatMap((r) => [r.id, foldName(String(r.name))]), ...batch.map((r) => r.id)],
        );
      }
    }
  }

  async scriptRows(statement: string): Promise<(string | null)[][]> {
    const sql = checkedScriptSql(statement);
    const out: (string | null)[][] = [];
    for await (const chunk of this.engine.stream(sql, [], 500)) {
      for (const row of chunk) {
        out.push(Object.values(row).map(scriptValue));
        if (out.length >= SCRIPT_SQL_ROWS) return out;
      }
    }
    return out;
  }

  storeInstance(record: InstanceRecord): Promise<{ replaced?: ReplacedInstance }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, attributes: this.sql.seriesAttributes(record.header), resolve, reject });
      this.startFlush();
    });
  }

  private startFlush(): void {
    if (this.flushing) return;
    // An object queued after the loop below saw an empty queue, but before it settled, starts the next flush.
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      if (this.pending.length) this.startFlush();
    });
  }

  /** Write what is pending in batches, one transaction each, until nothing is left. */
  private async flush(): Promise<void> {
    while (this.pending.length) {
      // A batch never holds the same object twice, so each row's "was it there before" is known up front.
      const seen = new Set<string>();
      let n = 0;
      while (n < this.pending.length && n < MAX_BATCH && !seen.has(this.pending[n]!.record.header.sopInstanceUid))
        seen.add(this.pending[n++]!.record.header.sopInstanceUid);
      const batch = this.pending.splice(0, n);
      try {
        const known = (uid: string, attributes: string) => {
          const c = this.seriesCache.get(uid);
          return c?.attributes === attributes ? c : undefined;
        };
        const { replaced, seriesIds } = await this.engine.transaction((tx) => writeBatch(tx, this.sql, batch, known));
        // Cached only once committed: a rolled-back transaction must not leave row ids that do not exist.
        for (const p of batch) {
          if (this.seriesCache.size >= 10_000) this.seriesCache.clear();
          this.seriesCache.set(p.record.header.seriesInstanceUid, {
            ...seriesIds.get(p.record.header.seriesInstanceUid)!,
            attributes: p.attributes,
          });
        }
        batch.forEach((p, i) => {
          p.resolve(replaced[i] ? { replaced: replaced[i] } : {});
        });
      } catch (err) {
        this.seriesCache.clear(); // rows the failed transaction wrote may not exist
        for (const p of batch) p.reject(err as Error);
      }
    }
  }

  /** Wait for the stores in flight (before closing). */
  protected async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async findInstance(sopInstanceUid: string): Promise<StoredInstance | undefined> {
    const [row] = await this.engine.all<InstanceRow & { study_uid: string }>(
      `SELECT i.sop_uid, i.sop_class_uid, i.transfer_syntax, i.device, i.path, i.size,
      i.calling_ae, st.study_uid FROM ${QR_FROM[3]} WHERE i.sop_uid = ?`,
      [sopInstanceUid],
    );
    return row ? { ...toStoredInstance(row), studyInstanceUid: row.study_uid } : undefined;
  }

  async recodedInstance(
    sopInstanceUid: string,
    from: { location: StoredLocation; transferSyntaxUid: string },
    to: { location: StoredLocation; transferSyntaxUid: string; size: number; checksum?: number },
  ): Promise<boolean> {
    const { changes } = await this.engine.run(
      `UPDATE instances SET transfer_syntax = ?, device = ?, path = ?, size = ?, checksum = ?
      WHERE sop_uid = ? AND transfer_syntax = ? AND device = ? AND path = ?`,
      [
        to.transferSyntaxUid,
        to.location.device,
        to.location.relativePath,
        to.size,
        to.checksum ?? null,
        sopInstanceUid,
        from.transferSyntaxUid,
        from.location.device,
        from.location.relativePath,
      ],
    );
    return changes > 0;
  }

  async findPatient(patientId: string): Promise<PatientRow | undefined> {
    const [row] = await this.engine.all<PatientRow>(
      `SELECT patient_id AS "patientId", patient_name AS "patientName", birth_date AS "birthDate", sex
      FROM patients WHERE patient_id = ?`,
      [patientId],
    );
    return row;
  }

  /**
   * Polled by the Monitor: off the event loop, and the instances summed from the studies' running counts, since
   * counting 8.7 M instance rows takes SQLite seconds.
   */
  async counts(): Promise<IndexCounts> {
    const [r] =
      await this.engine.search(`SELECT (SELECT count(*) FROM patients) AS patients, (SELECT count(*) FROM studies) AS studies,
      (SELECT count(*) FROM series) AS series, (SELECT COALESCE(SUM(num_instances), 0) FROM studies) AS instances`);
    return {
      patients: Number(r!.patients),
      studies: Number(r!.studies),
      series: Number(r!.series),
      instances: Number(r!.instances),
    };
  }

  async sizeBytes(): Promise<number> {
    const [r] = await this.engine.search<{ bytes: number | string | null }>(this.engine.dialect.sizeQuery);
    return Number(r?.bytes ?? 0);
  }

  async storedBytes(): Promise<number> {
    const [r] = await this.engine.search<{ bytes: number | string | null }>('SELECT SUM(size) AS bytes FROM instances');
    return Number(r?.bytes ?? 0);
  }

  async queryArchive(
    level: LevelNumber,
    returns: QrAttribute[],
    conditions: Condition[],
    limit?: number,
    offset?: number,
  ): Promise<Row[]> {
    const where = whereSql(conditions, this.engine.dialect);
    return this.engine.search<Row>(
      `SELECT ${returns.length ? selectList(returns) : '1 AS one'} FROM ${QR_FROM[level]} WHERE ${where.sql}${newestFirstSql(level, limit, offset)}`,
      where.params,
    );
  }

  streamArchive(level: LevelNumber, returns: QrAttribute[], conditions: Condition[]): AsyncIterable<Row[]> {
    const where = whereSql(conditions, this.engine.dialect);
    return this.engine.stream<Row>(
      `SELECT ${returns.length ? selectList(returns) : '1 AS one'} FROM ${QR_FROM[level]} WHERE ${where.sql}`,
      where.params,
    );
  }

  async instancesMatching(conditions: Condition[]): Promise<StoredInstance[]> {
    const where = whereSql(conditions, this.engine.dialect);
    const rows = await this.engine.all<InstanceRow & { study_uid: string }>(
      `SELECT i.sop_uid, i.sop_class_uid, i.transfer_syntax, i.device, i.path, i.size, i.calling_ae, st.study_uid
      FROM ${QR_FROM[3]} WHERE ${where.sql} ORDER BY st.id, se.id, i.id`,
      where.params,
    );
    return rows.map((row) => ({ ...toStoredInstance(row), studyInstanceUid: row.study_uid }));
  }

  async queryWorklist(returns: KeyAttribute[], conditions: Condition[]): Promise<Row[]> {
    const where = whereSql(conditions, this.engine.dialect);
    return this.engine.all<Row>(
      `SELECT ${returns.length ? selectList(returns) : '1 AS one'} FROM worklist w WHERE ${where.sql}
      ORDER BY w.scheduled_date, w.scheduled_time, w.id`,
      where.params,
    );
  }

  /** The columns dicom.sql added to the worklist. */
  private get worklistMore(): string[] {
    return this.schema.added.filter((c) => c.table === 'worklist').map((c) => c.name);
  }

  async addWorklistEntry(input: Partial<WorklistEntry>): Promise<StoredWorklistEntry> {
    const e = normalizeWorklistEntry(input);
    const more = this.worklistMore;
    const columns = [...WORKLIST_COLUMNS, ...more];
    const { insertId } = await this.engine.run(
      `INSERT INTO worklist (${columns.join(', ')}, name_key, name_fold, updated_at)
      VALUES (${columns.map(() => '?').join(', ')}, ?, ?, ?)`,
      [
        ...WORKLIST_FIELDS.map((f) => e[f]),
        ...more.map((c) => e.more?.[c] ?? ''),
        personNameKey(e.patientName),
        foldName(e.patientName),
        new Date().toISOString(),
      ],
    );
    return { id: insertId, ...e, mppsStatus: '', mppsUid: '' };
  }

  async updateWorklistEntry(id: number, changes: Partial<WorklistEntry>): Promise<StoredWorklistEntry | undefined> {
    const current = (await this.listWorklist(id))[0];
    if (!current) return undefined;
    const { id: _ignored, mppsStatus: _status, mppsUid: _uid, ...rest } = { ...current, ...changes, id };
    // dicom.sql's columns a change names are changed; the others keep their values.
    const e = normalizeWorklistEntry({ ...rest, more: { ...current.more, ...changes.more } });
    const more = this.worklistMore;
    await this.engine.run(
      `UPDATE worklist SET ${[...WORKLIST_COLUMNS, ...more].map((c) => `${c} = ?`).join(', ')}, name_key = ?, name_fold = ?, updated_at = ? WHERE id = ?`,
      [
        ...WORKLIST_FIELDS.map((f) => e[f]),
        ...more.map((c) => e.more?.[c] ?? ''),
        personNameKey(e.patientName),
        foldName(e.patientName),
        new Date().toISOString(),
        id,
      ],
    );
    return { id, ...e, mppsStatus: current.mppsStatus, mppsUid: current.mppsUid };
  }

  async deleteWorklistEntry(id: number): Promise<boolean> {
    return (await this.engine.run('DELETE FROM worklist WHERE id = ?', [id])).changes > 0;
  }

  async listWorklist(id?: number): Promise<StoredWorklistEntry[]> {
    return id === undefined ? this.worklistWhere('1 = 1', []) : this.worklistWhere('id = ?', [id]);
  }

  private async worklistWhere(where: string, params: unknown[]): Promise<StoredWorklistEntry[]> {
    const more = this.worklistMore;
    const columns = [...WORKLIST_FIELDS.map((f, i) => `${WORKLIST_COLUMNS[i]} AS "${f}"`), ...more].join(', ');
    const rows = await this.engine.all<StoredWorklistEntry & Record<string, unknown>>(
      `SELECT id, ${columns}, mpps_status AS "mppsStatus", mpps_uid AS "mppsUid" FROM worklist
      WHERE ${where} ORDER BY scheduled_date, scheduled_time, id`,
      params,
    );
    return rows.map((r) => {
      const entry: StoredWorklistEntry = { ...r, id: Number(r.id) };
      for (const c of more) delete (entry as unknown as Record<string, unknown>)[c];
      return more.length ? { ...entry, more: Object.fromEntries(more.map((c) => [c, String(r[c] ?? '')])) } : entry;
    });
  }

  async worklistByOrder(placerOrder: string): Promise<StoredWorklistEntry[]> {
    return this.worklistWhere('placer_order = ?', [placerOrder]);
  }

  patientNames(patientIds: string[]): Promise<PatientNames[]> {
    return patientNames(this.engine, patientIds);
  }

  async confirmPatientName(patientId: string, patientName: string): Promise<boolean> {
    await this.settled();
    const known = await confirmPatientName(this.engine, patientId, patientName);
    this.seriesCache.clear();
    return known;
  }

  async updatePatient(patient: PatientRow): Promise<boolean> {
    await this.settled();
    const known = await updatePatient(this.engine, patient);
    this.seriesCache.clear(); // cached rows were written with the old demographics
    return known;
  }

  async mergePatients(priorPatientId: string, survivor: PatientRow, source: string): Promise<number> {
    await this.settled();
    const moved = await mergePatients(this.engine, priorPatientId, survivor, source);
    this.seriesCache.clear();
    return moved;
  }

  async beginStudyDeletion(
    studyUid: string,
    reason: string,
    force = false,
  ): Promise<StudyDeletion | 'protected' | undefined> {
    await this.settled();
    const result = await beginStudyDeletion(this.engine, studyUid, reason, force);
    this.seriesCache.clear(); // cached series ids may name deleted rows now
    return result;
  }

  finishDeletion(id: number, left?: StoredLocation[]): Promise<void> {
    return finishDeletion(this.engine, id, left);
  }

  pendingDeletions(): Promise<{ id: number; locations: StoredLocation[] }[]> {
    return pendingDeletions(this.engine);
  }

  listDeletions(limit = 200): Promise<DeletionRecord[]> {
    return listDeletions(this.engine, limit);
  }

  touchStudies(uses: [string, string][]): Promise<void> {
    return touchStudies(this.engine, uses);
  }

  touchMatching(conditions: Condition[], at: string): Promise<void> {
    return touchMatching(this.engine, conditions, at);
  }

  setStudyProtected(studyUid: string, on: boolean): Promise<boolean> {
    return setStudyProtected(this.engine, studyUid, on);
  }

  protectedStudies(): Promise<string[]> {
    return protectedStudies(this.engine);
  }

  oldestPatients(device: number, max: number): Promise<string[]> {
    return oldestPatients(this.engine, device, max);
  }

  leastRecentlyUsed(device: number): Promise<{ patientId: string; studyUids: string[] } | undefined> {
    return leastRecentlyUsed(this.engine, device);
  }

  async pruneEmpty(studyUids: string[]): Promise<void> {
    await this.settled();
    await pruneEmpty(this.engine, studyUids);
    this.seriesCache.clear();
  }

  addPatientAlias(oldId: string, newId: string): Promise<void> {
    return addPatientAlias(this.engine, oldId, newId);
  }

  patientAliases(): Promise<Map<string, string>> {
    return patientAliases(this.engine);
  }

  studyDestinations(studyUid: string): Promise<string[]> {
    return studyDestinations(this.engine, studyUid);
  }

  async undoStore(
    sopInstanceUid: string,
    written: { location: StoredLocation; transferSyntaxUid: string },
    replaced?: ReplacedInstance,
  ): Promise<boolean> {
    await this.settled();
    if (replaced)
      return this.recodedInstance(sopInstanceUid, written, {
        location: replaced,
        transferSyntaxUid: replaced.transferSyntaxUid,
        size: replaced.size,
      });
    return forgetInstance(this.engine, sopInstanceUid, written);
  }

  newestInstances(
    limit: number,
  ): Promise<{ sopInstanceUid: string; location: StoredLocation; transferSyntaxUid: string }[]> {
    return newestInstances(this.engine, limit);
  }

  /** On the main connection, in order with the writes: a lookup queued before a deletion sees the study. */
  async patientsOfStudies(studyUids: string[]): Promise<Map<string, string>> {
    if (!studyUids.length) return new Map();
    const rows = await this.engine.all<{ study_uid: string; patient_id: string }>(
      `SELECT st.study_uid, p.patient_id FROM studies st
      JOIN patients p ON p.id = st.patient_fk WHERE st.study_uid IN (${studyUids.map(() => '?').join(', ')})`,
      studyUids,
    );
    return new Map(rows.map((r) => [r.study_uid, r.patient_id]));
  }

  async studySenders(studyUids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!studyUids.length) return out;
    const rows = await this.engine.all<{ study_uid: string; calling_ae: string }>(
      `SELECT DISTINCT st.study_uid, i.calling_ae FROM ${QR_FROM[3]}
      WHERE st.study_uid IN (${studyUids.map(() => '?').join(', ')})`,
      studyUids,
    );
    for (const r of rows) out.set(r.study_uid, [...(out.get(r.study_uid) ?? []), r.calling_ae]);
    return out;
  }

  async clearArchive(): Promise<void> {
    await this.settled();
    await this.engine.transaction(async (tx) => {
      for (const table of ['instances', 'series', 'studies', 'patients']) await tx.run(`DELETE FROM ${table}`);
      // Rows stored from now on carry dicom.sql's columns: nothing is left to fill.
      await tx.run('UPDATE index_columns SET filled_to = fill_below');
    });
    for (const a of this.schema.attributes) a.filling = false;
    this.seriesCache.clear();
  }

  /** The transfer jobs, kept in the same database. */
  jobStore(): SqlJobStore {
    return new SqlJobStore(this.engine);
  }

  mppsStore(): SqlMppsStore {
    return new SqlMppsStore(this.engine);
  }

  accountStore(): SqlAccountStore {
    return new SqlAccountStore(this.engine);
  }

  apiKeyStore(): SqlApiKeyStore {
    return new SqlApiKeyStore(this.engine);
  }

  uidMapStore(): SqlUidMapStore {
    return new SqlUidMapStore(this.engine);
  }

  storageCheckStore(): SqlStorageCheckStore {
    return new SqlStorageCheckStore(this.engine);
  }

  auditStore(): SqlAuditStore {
    return new SqlAuditStore(this.engine);
  }

  async applySchema(schema: IndexSchema, confirmedDrops: readonly string[]): Promise<void> {
    const columns = this.indexColumns();
    await columns.apply(schema, confirmedDrops);
    const pending = await columns.pending(schema);
    for (const a of schema.attributes) a.filling = pending.some((f) => f.columns.includes(a.added));
    this.schema = schema;
    this.sql = new HierarchySql(this.engine.dialect, schema.added);
    this.seriesCache.clear();
  }

  indexColumns(): SqlIndexColumns {
    return new SqlIndexColumns(this.engine);
  }

  async close(): Promise<void> {
    await this.settled();
  }
}

interface InstanceRow {
  sop_uid: string;
  sop_class_uid: string;
  transfer_syntax: string;
  device: number;
  path: string;
  size: number;
  calling_ae?: string;
}

function toStoredInstance(row: InstanceRow): StoredInstance {
  return {
    sopInstanceUid: row.sop_uid,
    sopClassUid: row.sop_class_uid,
    transferSyntaxUid: row.transfer_syntax,
    location: { device: Number(row.device), relativePath: row.path },
    size: Number(row.size),
    callingAe: row.calling_ae ?? '',
  };
}

function scriptValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v.toISOString();
  return String(v);
}
