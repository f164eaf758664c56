import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { MYSQL_MIGRATIONS } from './migrations/mysql.ts';
import type { ArchiveIndex, IndexCounts, InstanceRecord, PatientRow, StoredInstance } from './archive-index.ts';
import type { StoredLocation } from '../store/file-store.ts';
import { QR_FROM, newestFirstSql, type KeyAttribute, type LevelNumber, type QrAttribute } from '../query/attributes.ts';
import type { Row } from '../query/identifier.ts';
import { foldName } from '../query/name-fold.ts';
import { personNameKey, selectList, whereSql, type Condition, type SqlDialect } from '../query/sql.ts';
import { MysqlJobStore } from './mysql-jobs.ts';
import { WORKLIST_COLUMNS, WORKLIST_FIELDS, normalizeWorklistEntry, type StoredWorklistEntry, type WorklistEntry } from './worklist-entry.ts';

export interface MysqlOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** LIKE with "!" as escape: DICOM "*" and "?" become "%" and "_", and a literal "%", "_" or "!" is escaped. */
export const MYSQL_DIALECT: SqlDialect = {
  wildcard: (expr, pattern) => ({
    sql: `${expr} LIKE ? ESCAPE '!'`,
    param: pattern.replace(/[!%_]/g, (c) => '!' + c).replace(/\*/g, '%').replace(/\?/g, '_'),
  }),
};

/** Errors after which the same transaction may succeed on a new connection (the server restarted, the link dropped). */
const RETRYABLE = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ER_SERVER_SHUTDOWN', 'ETIMEDOUT', 'ER_LOCK_DEADLOCK', 'ER_CON_COUNT_ERROR']);
const RETRIES = 20;
const RETRY_DELAY_MS = 250;
/** Objects committed together at most (one transaction, multi-row statements). */
const MAX_BATCH = 200;

interface Pending {
  record: InstanceRecord;
  attributes: string;
  resolve: (r: { replaced?: StoredLocation }) => void;
  reject: (e: Error) => void;
}

function attributesOf(h: InstanceRecord['header']): string {
  return [h.patientId, h.patientName, h.patientBirthDate, h.patientSex, h.studyInstanceUid, h.studyDate, h.studyTime,
    h.accessionNumber, h.studyId, h.studyDescription, h.referringPhysicianName, h.specificCharacterSet, h.modality,
    h.seriesNumber, h.seriesDescription, h.bodyPartExamined, h.seriesDate, h.seriesTime].join('\u0000');
}

/**
 * The index on a MySQL/MariaDB server (mysql2): a pool, versioned migrations, and group commit — objects arriving
 * together (several associations, or one fast sender) are written in one transaction with multi-row statements; each
 * store call resolves only after that commit, so an acknowledged object is never lost. A dropped connection or a
 * restarting server is retried with a new connection for a few seconds before the store fails.
 */
export class MysqlIndex implements ArchiveIndex {
  private readonly pool: Pool;
  private pending: Pending[] = [];
  private flushing = false;
  private readonly seriesCache = new Map<string, { id: number; studyId: number; attributes: string }>();

  private constructor(pool: Pool) {
    this.pool = pool;
  }

  static async open(options: MysqlOptions): Promise<MysqlIndex> {
    const admin = await mysql.createConnection({ host: options.host, port: options.port, user: options.user, password: options.password });
    try {
      await admin.query(`CREATE DATABASE IF NOT EXISTS \`${options.database.replace(/`/g, '')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    } finally {
      await admin.end();
    }
    const pool = mysql.createPool({ ...options, connectionLimit: 4, decimalNumbers: true, charset: 'utf8mb4', enableKeepAlive: true, multipleStatements: true });
    // Identifiers in double quotes, as the shared query builder writes them.
    pool.on('connection', (c) => { c.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')"); });
    const index = new MysqlIndex(pool);
    await index.migrate();
    return index;
  }

  private async migrate(): Promise<void> {
    await this.pool.query('CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL) ENGINE=InnoDB');
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT max(version) AS v FROM schema_version');
    const current = Number(rows[0]?.v ?? 0);
    for (const step of MYSQL_MIGRATIONS) {
      if (step.version <= current) continue;
      // MySQL commits DDL implicitly; a step is written so that rerunning after a crash fails loudly, not silently.
      for (const sql of step.statements) await this.pool.query(sql);
      await this.pool.query('INSERT INTO schema_version (version) VALUES (?)', [step.version]);
    }
    await this.fillNameFolds();
  }

  /** Names stored before the folded key existed (or by an older version) get it now. */
  private async fillNameFolds(): Promise<void> {
    for (const table of ['patients', 'worklist']) {
      const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT id, patient_name AS name FROM ${table} WHERE name_fold = '' AND patient_name <> ''`);
      for (let at = 0; at < rows.length; at += 1000) {
        const batch = rows.slice(at, at + 1000);
        await this.pool.query(`UPDATE ${table} SET name_fold = CASE id ${batch.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (?)`,
          [...batch.flatMap((r) => [r.id, foldName(String(r.name))]), batch.map((r) => r.id)]);
      }
    }
  }

  /** Run `work` in a transaction on one connection, again on a new one if the connection or server went away. */
  private async transaction<T>(work: (c: PoolConnection) => Promise<T>, explicit = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let conn: PoolConnection | undefined;
      try {
        conn = await this.pool.getConnection();
        // `explicit`: the work sends START TRANSACTION and COMMIT inside its own statements (fewer round trips).
        if (!explicit) await conn.beginTransaction();
        const result = await work(conn);
        if (!explicit) await conn.commit();
        conn.release();
        return result;
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (conn) { await conn.rollback().catch(() => undefined); conn.destroy(); }
        if (!RETRYABLE.has(code) || attempt >= RETRIES) throw err;
        this.seriesCache.clear(); // rows the failed transaction wrote may not exist
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
  }

  private async query<T extends RowDataPacket[]>(sql: string, params: unknown[] = []): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [rows] = await this.pool.query<T>(sql, params);
        return rows;
      } catch (err) {
        if (!RETRYABLE.has((err as { code?: string }).code ?? '') || attempt >= RETRIES) throw err;
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
  }

  storeInstance(record: InstanceRecord): Promise<{ replaced?: StoredLocation }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, attributes: attributesOf(record.header), resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Write what is pending in batches, one transaction each, until nothing is left. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length) {
        // A batch never holds the same object twice, so each row's "was it there before" is known up front.
        const seen = new Set<string>();
        let n = 0;
        while (n < this.pending.length && n < MAX_BATCH && !seen.has(this.pending[n]!.record.header.sopInstanceUid)) seen.add(this.pending[n++]!.record.header.sopInstanceUid);
        const batch = this.pending.splice(0, n);
        try {
          const { results, seriesIds } = await this.transaction((c) => this.writeBatch(c, batch), true);
          // Cached only once committed: a rolled-back transaction must not leave row IDs that do not exist.
          for (const p of batch) {
            if (this.seriesCache.size >= 10_000) this.seriesCache.clear();
            this.seriesCache.set(p.record.header.seriesInstanceUid, { ...seriesIds.get(p.record.header.seriesInstanceUid)!, attributes: p.attributes });
          }
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (err) {
          for (const p of batch) p.reject(err as Error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * One batch in one transaction and, when its series are known, one round trip: START TRANSACTION, the look-up of the
   * objects already indexed (for the files they replace), the count corrections, the multi-row insert, COMMIT. Counts
   * are kept by taking every re-stored object out of its old series and adding every object to its new one.
   */
  private async writeBatch(c: PoolConnection, batch: Pending[]): Promise<{ results: { replaced?: StoredLocation }[]; seriesIds: Map<string, { id: number; studyId: number }> }> {
    const now = new Date().toISOString();
    const seriesIds = new Map<string, { id: number; studyId: number }>();
    const touchedStudies = new Set<number>();
    const uids = batch.map((p) => p.record.header.sopInstanceUid);
    const inList = `(${uids.map(() => '?').join(', ')})`;
    const statements: string[] = [];
    const params: unknown[] = [];
    const uncached = batch.filter((p) => this.seriesCache.get(p.record.header.seriesInstanceUid)?.attributes !== p.attributes);
    if (uncached.length) {
      await c.query('START TRANSACTION');
      for (const p of uncached) {
        const h = p.record.header;
        if (seriesIds.has(h.seriesInstanceUid)) continue;
        const ids = await this.upsertHierarchy(c, h, now);
        seriesIds.set(h.seriesInstanceUid, ids);
        touchedStudies.add(ids.studyId);
      }
    } else {
      statements.push('START TRANSACTION');
    }
    for (const p of batch) {
      const uid = p.record.header.seriesInstanceUid;
      if (!seriesIds.has(uid)) seriesIds.set(uid, this.seriesCache.get(uid)!);
    }
    const lookupAt = statements.length;
    statements.push(`SELECT sop_uid, series_fk, device, path FROM instances WHERE sop_uid IN ${inList}`);
    params.push(...uids);
    statements.push(`UPDATE studies SET num_instances = num_instances - (SELECT count(*) FROM instances i JOIN series s ON s.id = i.series_fk
        WHERE s.study_fk = studies.id AND i.sop_uid IN ${inList})
      WHERE id IN (SELECT s.study_fk FROM series s JOIN instances i ON i.series_fk = s.id WHERE i.sop_uid IN ${inList})`);
    params.push(...uids, ...uids);
    statements.push(`UPDATE series SET num_instances = num_instances - (SELECT count(*) FROM instances WHERE series_fk = series.id AND sop_uid IN ${inList})
      WHERE id IN (SELECT series_fk FROM instances WHERE sop_uid IN ${inList})`);
    params.push(...uids, ...uids);
    statements.push(`INSERT INTO instances (sop_uid, series_fk, sop_class_uid, instance_number, transfer_syntax, \`rows\`, \`columns\`, frames,
        device, path, size, calling_ae, received_at) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
      ON DUPLICATE KEY UPDATE series_fk = VALUES(series_fk), sop_class_uid = VALUES(sop_class_uid), instance_number = VALUES(instance_number),
        transfer_syntax = VALUES(transfer_syntax), \`rows\` = VALUES(\`rows\`), \`columns\` = VALUES(\`columns\`), frames = VALUES(frames),
        device = VALUES(device), path = VALUES(path), size = VALUES(size), calling_ae = VALUES(calling_ae), received_at = VALUES(received_at)`);
    const perSeries = new Map<number, number>();
    for (const p of batch) {
      const h = p.record.header;
      const r = p.record;
      const series = seriesIds.get(h.seriesInstanceUid)!.id;
      perSeries.set(series, (perSeries.get(series) ?? 0) + 1);
      params.push(h.sopInstanceUid, series, h.sopClassUid, h.instanceNumber, r.transferSyntaxUid, h.rows, h.columns,
        h.numberOfFrames, r.location.device, r.location.relativePath, r.size, r.callingAe, now);
    }
    for (const [series, n] of perSeries) {
      statements.push('UPDATE series SET num_instances = num_instances + ? WHERE id = ?', 'UPDATE studies SET num_instances = num_instances + ? WHERE id = (SELECT study_fk FROM series WHERE id = ?)');
      params.push(n, series, n, series);
    }
    for (const study of touchedStudies) {
      statements.push(`UPDATE studies SET num_series = (SELECT count(*) FROM series WHERE study_fk = ?),
        modalities = COALESCE((SELECT GROUP_CONCAT(DISTINCT modality ORDER BY modality SEPARATOR '\\\\') FROM series WHERE study_fk = ?), '') WHERE id = ?`);
      params.push(study, study, study);
    }
    statements.push('COMMIT');
    const [sets] = await c.query<RowDataPacket[][]>(statements.join(';\n'), params);
    const before = new Map((sets[lookupAt] as RowDataPacket[]).map((r) => [r.sop_uid as string, r]));
    const results = batch.map((p) => {
      const prev = before.get(p.record.header.sopInstanceUid);
      return prev ? { replaced: { device: Number(prev.device), relativePath: String(prev.path) } } : {};
    });
    return { results, seriesIds };
  }

  /** Insert or update the patient, study and series rows (LAST_INSERT_ID gives the row's id either way). */
  private async upsertHierarchy(c: PoolConnection, h: InstanceRecord['header'], now: string): Promise<{ id: number; studyId: number }> {
    const [p] = await c.query<ResultSetHeader>(`INSERT INTO patients (patient_id, patient_name, name_key, name_fold, birth_date, sex, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), patient_name = VALUES(patient_name), name_key = VALUES(name_key), name_fold = VALUES(name_fold),
        birth_date = VALUES(birth_date), sex = VALUES(sex), updated_at = VALUES(updated_at)`,
    [h.patientId, h.patientName, personNameKey(h.patientName), foldName(h.patientName), h.patientBirthDate, h.patientSex, now]);
    const [st] = await c.query<ResultSetHeader>(`INSERT INTO studies (study_uid, patient_fk, study_date, study_time, accession_number, study_id,
        description, referring_physician, charset, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), patient_fk = VALUES(patient_fk), study_date = VALUES(study_date), study_time = VALUES(study_time),
        accession_number = VALUES(accession_number), study_id = VALUES(study_id), description = VALUES(description),
        referring_physician = VALUES(referring_physician), charset = VALUES(charset), updated_at = VALUES(updated_at)`,
    [h.studyInstanceUid, p.insertId, h.studyDate, h.studyTime, h.accessionNumber, h.studyId, h.studyDescription, h.referringPhysicianName, h.specificCharacterSet, now]);
    const [se] = await c.query<ResultSetHeader>(`INSERT INTO series (series_uid, study_fk, modality, series_number, description, body_part, series_date,
        series_time, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), study_fk = VALUES(study_fk), modality = VALUES(modality), series_number = VALUES(series_number),
        description = VALUES(description), body_part = VALUES(body_part), series_date = VALUES(series_date), series_time = VALUES(series_time),
        updated_at = VALUES(updated_at)`,
    [h.seriesInstanceUid, st.insertId, h.modality, h.seriesNumber, h.seriesDescription, h.bodyPartExamined, h.seriesDate, h.seriesTime, now]);
    return { id: se.insertId, studyId: st.insertId };
  }

  async findInstance(sopInstanceUid: string): Promise<StoredInstance | undefined> {
    const rows = await this.query<RowDataPacket[]>('SELECT sop_uid, sop_class_uid, transfer_syntax, device, path, size FROM instances WHERE sop_uid = ?', [sopInstanceUid]);
    return rows[0] ? toStoredInstance(rows[0]) : undefined;
  }

  async findPatient(patientId: string): Promise<PatientRow | undefined> {
    const rows = await this.query<RowDataPacket[]>('SELECT patient_id AS "patientId", patient_name AS "patientName", birth_date AS "birthDate", sex FROM patients WHERE patient_id = ?', [patientId]);
    return rows[0] as PatientRow | undefined;
  }

  async counts(): Promise<IndexCounts> {
    const rows = await this.query<RowDataPacket[]>(`SELECT (SELECT count(*) FROM patients) AS patients, (SELECT count(*) FROM studies) AS studies,
      (SELECT count(*) FROM series) AS series, (SELECT count(*) FROM instances) AS instances`);
    const r = rows[0]!;
    return { patients: Number(r.patients), studies: Number(r.studies), series: Number(r.series), instances: Number(r.instances) };
  }

  async queryArchive(level: LevelNumber, returns: QrAttribute[], conditions: Condition[], limit?: number): Promise<Row[]> {
    const where = whereSql(conditions, MYSQL_DIALECT);
    return this.query<RowDataPacket[]>(`SELECT ${returns.length ? selectList(returns) : '1 AS one'} FROM ${QR_FROM[level]} WHERE ${where.sql}${newestFirstSql(level, limit)}`, where.params) as Promise<Row[]>;
  }

  async instancesMatching(conditions: Condition[]): Promise<StoredInstance[]> {
    const where = whereSql(conditions, MYSQL_DIALECT);
    const rows = await this.query<RowDataPacket[]>(`SELECT i.sop_uid, i.sop_class_uid, i.transfer_syntax, i.device, i.path, i.size FROM ${QR_FROM[3]}
      WHERE ${where.sql} ORDER BY st.id, se.id, i.id`, where.params);
    return rows.map(toStoredInstance);
  }

  async queryWorklist(returns: KeyAttribute[], conditions: Condition[]): Promise<Row[]> {
    const where = whereSql(conditions, MYSQL_DIALECT);
    return this.query<RowDataPacket[]>(`SELECT ${returns.length ? selectList(returns) : '1 AS one'} FROM worklist w WHERE ${where.sql}
      ORDER BY w.scheduled_date, w.scheduled_time, w.id`, where.params) as Promise<Row[]>;
  }

  async addWorklistEntry(input: Partial<WorklistEntry>): Promise<StoredWorklistEntry> {
    const e = normalizeWorklistEntry(input);
    const [r] = await this.pool.query<ResultSetHeader>(`INSERT INTO worklist (${WORKLIST_COLUMNS.join(', ')}, name_key, name_fold, updated_at)
      VALUES (${WORKLIST_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?)`, [...WORKLIST_FIELDS.map((f) => e[f]), personNameKey(e.patientName), foldName(e.patientName), new Date().toISOString()]);
    return { id: r.insertId, ...e };
  }

  async updateWorklistEntry(id: number, changes: Partial<WorklistEntry>): Promise<StoredWorklistEntry | undefined> {
    const current = (await this.listWorklist(id))[0];
    if (!current) return undefined;
    const { id: _ignored, ...rest } = { ...current, ...changes, id };
    const e = normalizeWorklistEntry(rest);
    await this.pool.query(`UPDATE worklist SET ${WORKLIST_COLUMNS.map((c) => `${c} = ?`).join(', ')}, name_key = ?, name_fold = ?, updated_at = ? WHERE id = ?`,
      [...WORKLIST_FIELDS.map((f) => e[f]), personNameKey(e.patientName), foldName(e.patientName), new Date().toISOString(), id]);
    return { id, ...e };
  }

  async deleteWorklistEntry(id: number): Promise<boolean> {
    const [r] = await this.pool.query<ResultSetHeader>('DELETE FROM worklist WHERE id = ?', [id]);
    return r.affectedRows > 0;
  }

  async listWorklist(id?: number): Promise<StoredWorklistEntry[]> {
    const columns = WORKLIST_FIELDS.map((f, i) => `${WORKLIST_COLUMNS[i]} AS "${f}"`).join(', ');
    const rows = await this.query<RowDataPacket[]>(`SELECT id, ${columns} FROM worklist ${id === undefined ? '' : 'WHERE id = ?'} ORDER BY scheduled_date, scheduled_time, id`,
      id === undefined ? [] : [id]);
    return rows.map((r) => ({ ...r, id: Number(r.id) })) as StoredWorklistEntry[];
  }

  async clearArchive(): Promise<void> {
    await this.transaction(async (c) => {
      for (const table of ['instances', 'series', 'studies', 'patients']) await c.query(`DELETE FROM ${table}`);
    });
    this.seriesCache.clear();
  }

  async deleteStudy(studyUid: string): Promise<StoredLocation[] | undefined> {
    const files = await this.transaction(async (c) => {
      const [found] = await c.query<RowDataPacket[]>('SELECT id, patient_fk FROM studies WHERE study_uid = ? FOR UPDATE', [studyUid]);
      const study = found[0];
      if (!study) return undefined;
      const [rows] = await c.query<RowDataPacket[]>('SELECT i.device, i.path FROM instances i JOIN series se ON se.id = i.series_fk WHERE se.study_fk = ?', [study.id]);
      await c.query('DELETE i FROM instances i JOIN series se ON se.id = i.series_fk WHERE se.study_fk = ?', [study.id]);
      await c.query('DELETE FROM series WHERE study_fk = ?', [study.id]);
      await c.query('DELETE FROM studies WHERE id = ?', [study.id]);
      await c.query('DELETE FROM patients WHERE id = ? AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_fk = ?)', [study.patient_fk, study.patient_fk]);
      return rows.map((r) => ({ device: Number(r.device), relativePath: String(r.path) }));
    });
    this.seriesCache.clear();
    return files;
  }

  jobStore(): MysqlJobStore {
    return new MysqlJobStore(this.pool);
  }

  async close(): Promise<void> {
    while (this.flushing || this.pending.length) await new Promise((r) => setTimeout(r, 10));
    await this.pool.end();
  }
}

function toStoredInstance(row: RowDataPacket): StoredInstance {
  return {
    sopInstanceUid: row.sop_uid, sopClassUid: row.sop_class_uid, transferSyntaxUid: row.transfer_syntax,
    location: { device: Number(row.device), relativePath: row.path }, size: Number(row.size),
  };
}
