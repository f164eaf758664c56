import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { ItemState, Job, JobState, JobStore, NewJob } from '../jobs/job.ts';
import { jobFromRow, jobUpdate, type JobRow } from './job-rows.ts';

/** Jobs in the MySQL/MariaDB index (the same tables as in SQLite). */
export class MysqlJobStore implements JobStore {
  private readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  async createJob(job: NewJob, items: string[] = []): Promise<Job> {
    const conn = await this.pool.getConnection();
    try {
      await conn.beginTransaction();
      const [r] = await conn.query<ResultSetHeader>(`INSERT INTO jobs (kind, source, destination, query, study_uid, total, state, error, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'queued', '', ?)`,
      [job.kind, job.source, job.destination, job.query ? JSON.stringify(job.query) : '{}', job.studyUid ?? '', items.length, new Date().toISOString()]);
      for (let at = 0; at < items.length; at += 500) {
        const chunk = items.slice(at, at + 500);
        await conn.query(`INSERT IGNORE INTO job_items (job_fk, sop_uid) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, chunk.flatMap((u) => [r.insertId, u]));
      }
      await conn.commit();
      return (await this.getJob(r.insertId))!;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  async addItems(jobId: number, sopUids: string[]): Promise<void> {
    if (!sopUids.length) return;
    await this.pool.query(`INSERT IGNORE INTO job_items (job_fk, sop_uid) VALUES ${sopUids.map(() => '(?, ?)').join(', ')}`, sopUids.flatMap((u) => [jobId, u]));
    await this.pool.query('UPDATE jobs SET total = (SELECT count(*) FROM job_items WHERE job_fk = ?) WHERE id = ?', [jobId, jobId]);
  }

  async openForwardJob(destination: string, studyUid: string): Promise<Job | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT * FROM jobs WHERE kind = 'forward' AND state = 'queued' AND attempts = 0
      AND destination = ? AND study_uid = ? ORDER BY id DESC LIMIT 1`, [destination, studyUid]);
    return rows[0] ? jobFromRow(rows[0] as unknown as JobRow) : undefined;
  }

  async items(jobId: number, state?: ItemState): Promise<string[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT sop_uid FROM job_items WHERE job_fk = ?${state ? ' AND state = ?' : ''} ORDER BY seq`,
      state ? [jobId, state] : [jobId]);
    return rows.map((r) => r.sop_uid as string);
  }

  async setItems(jobId: number, sopUids: string[], state: ItemState): Promise<void> {
    for (let at = 0; at < sopUids.length; at += 500) {
      const chunk = sopUids.slice(at, at + 500);
      await this.pool.query(`UPDATE job_items SET state = ? WHERE job_fk = ? AND sop_uid IN (${chunk.map(() => '?').join(', ')})`, [state, jobId, ...chunk]);
    }
  }

  async updateJob(id: number, changes: Partial<Omit<Job, 'id' | 'kind'>>): Promise<void> {
    const update = jobUpdate(changes);
    if (!update) return;
    await this.pool.query(`UPDATE jobs SET ${update.set} WHERE id = ?`, [...update.values, id]);
  }

  async getJob(id: number): Promise<Job | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT * FROM jobs WHERE id = ?', [id]);
    return rows[0] ? jobFromRow(rows[0] as unknown as JobRow) : undefined;
  }

  async listJobs(states?: JobState[]): Promise<Job[]> {
    const [rows] = states?.length
      ? await this.pool.query<RowDataPacket[]>(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY id`, states)
      : await this.pool.query<RowDataPacket[]>('SELECT * FROM jobs ORDER BY id');
    return rows.map((r) => jobFromRow(r as unknown as JobRow));
  }

  async requeueRunning(): Promise<number> {
    const [r] = await this.pool.query<ResultSetHeader>("UPDATE jobs SET state = 'queued' WHERE state = 'running'");
    return r.affectedRows;
  }
}
