import type Database from 'better-sqlite3';
import type { ItemState, Job, JobState, JobStore, NewJob } from '../jobs/job.ts';
import { jobFromRow, jobUpdate, type JobRow } from './job-rows.ts';

/** Jobs in the SQLite index (migration 4); every call is one short transaction on the index's connection. */
export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
  }

  async createJob(job: NewJob, items: string[] = []): Promise<Job> {
    const create = this.db.transaction(() => {
      const { id } = this.db.prepare(`INSERT INTO jobs (kind, source, destination, query, study_uid, total, state, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'queued', ?) RETURNING id`)
        .get(job.kind, job.source, job.destination, job.query ? JSON.stringify(job.query) : '{}', job.studyUid ?? '', items.length, new Date().toISOString()) as { id: number };
      this.insertItems(id, items);
      return id;
    });
    return (await this.getJob(create()))!;
  }

  private insertItems(jobId: number, items: string[]): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO job_items (job_fk, sop_uid) VALUES (?, ?)');
    for (const uid of items) insert.run(jobId, uid);
  }

  async addItems(jobId: number, sopUids: string[]): Promise<void> {
    this.db.transaction(() => {
      this.insertItems(jobId, sopUids);
      this.db.prepare('UPDATE jobs SET total = (SELECT count(*) FROM job_items WHERE job_fk = @id) WHERE id = @id').run({ id: jobId });
    })();
  }

  async openForwardJob(destination: string, studyUid: string): Promise<Job | undefined> {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE kind = 'forward' AND state = 'queued' AND attempts = 0 AND destination = ? AND study_uid = ?
      ORDER BY id DESC LIMIT 1`).get(destination, studyUid) as JobRow | undefined;
    return row ? jobFromRow(row) : undefined;
  }

  async items(jobId: number, state?: ItemState): Promise<string[]> {
    const rows = (state ? this.db.prepare('SELECT sop_uid FROM job_items WHERE job_fk = ? AND state = ? ORDER BY rowid').all(jobId, state)
      : this.db.prepare('SELECT sop_uid FROM job_items WHERE job_fk = ? ORDER BY rowid').all(jobId)) as { sop_uid: string }[];
    return rows.map((r) => r.sop_uid);
  }

  async setItems(jobId: number, sopUids: string[], state: ItemState): Promise<void> {
    const update = this.db.prepare('UPDATE job_items SET state = ? WHERE job_fk = ? AND sop_uid = ?');
    this.db.transaction(() => { for (const uid of sopUids) update.run(state, jobId, uid); })();
  }

  async updateJob(id: number, changes: Partial<Omit<Job, 'id' | 'kind'>>): Promise<void> {
    const update = jobUpdate(changes);
    if (!update) return;
    this.db.prepare(`UPDATE jobs SET ${update.set} WHERE id = ?`).run(...update.values, id);
  }

  async getJob(id: number): Promise<Job | undefined> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? jobFromRow(row) : undefined;
  }

  async listJobs(states?: JobState[]): Promise<Job[]> {
    const rows = (states?.length
      ? this.db.prepare(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY id`).all(...states)
      : this.db.prepare('SELECT * FROM jobs ORDER BY id').all()) as JobRow[];
    return rows.map(jobFromRow);
  }

  async requeueRunning(): Promise<number> {
    return this.db.prepare("UPDATE jobs SET state = 'queued' WHERE state = 'running'").run().changes;
  }
}
