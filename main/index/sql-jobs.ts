import type { CommitmentState, ItemState, Job, JobKind, JobState, JobStore, NewJob } from '../jobs/job.ts';
import { jobFromRow, jobUpdate, type JobRow } from './job-rows.ts';
import type { SqlEngine } from './sql-engine.ts';

/** Items written or changed per statement. */
const CHUNK = 500;

/** The transfer jobs and their objects in the index database (migration 4), the same on every engine. */
export class SqlJobStore implements JobStore {
  private readonly engine: SqlEngine;

  constructor(engine: SqlEngine) {
    this.engine = engine;
  }

  async createJob(job: NewJob, items: string[] = []): Promise<Job> {
    const id = await this.engine.transaction(async (tx) => {
      const { insertId } = await tx.run(
        `INSERT INTO jobs (kind, source, destination, query, study_uid, compression, transaction_uid, commitment, detail,
        total, state, error, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', '', ?, ?)`,
        [
          job.kind,
          job.source,
          job.destination,
          job.query ? JSON.stringify(job.query) : '{}',
          job.studyUid ?? '',
          job.compression ?? '',
          job.transactionUid ?? '',
          job.commitment ?? '',
          job.detail ?? '',
          items.length,
          job.nextAttemptAt ?? 0,
          new Date().toISOString(),
        ],
      );
      await insertItems(tx, insertId, items);
      return insertId;
    });
    return (await this.getJob(id))!;
  }

  async addItems(jobId: number, sopUids: string[]): Promise<void> {
    if (!sopUids.length) return;
    await this.engine.transaction(async (tx) => {
      await insertItems(tx, jobId, sopUids);
      await tx.run('UPDATE jobs SET total = (SELECT count(*) FROM job_items WHERE job_fk = ?) WHERE id = ?', [
        jobId,
        jobId,
      ]);
    });
  }

  async openForwardJob(
    destination: string,
    studyUid: string,
    compression = '',
    commitment: CommitmentState = '',
    detail = '',
  ): Promise<Job | undefined> {
    const [row] = await this.engine.all<JobRow>(
      `SELECT * FROM jobs WHERE kind = 'forward' AND state = 'queued' AND attempts = 0
      AND destination = ? AND study_uid = ? AND compression = ? AND commitment = ? AND detail = ?
      ORDER BY id DESC LIMIT 1`,
      [destination, studyUid, compression, commitment, detail],
    );
    return row ? jobFromRow(row) : undefined;
  }

  async openStudyJob(kind: JobKind, studyUid: string, detail: string): Promise<Job | undefined> {
    const [row] = await this.engine.all<JobRow>(
      `SELECT * FROM jobs WHERE kind = ? AND state = 'queued' AND attempts = 0 AND study_uid = ? AND detail = ?
      ORDER BY id DESC LIMIT 1`,
      [kind, studyUid, detail],
    );
    return row ? jobFromRow(row) : undefined;
  }

  /** The job's objects in the order they were added (the order they are sent in). */
  async items(jobId: number, state?: ItemState): Promise<string[]> {
    const rows = await this.engine.all<{ sop_uid: string }>(
      `SELECT sop_uid FROM job_items WHERE job_fk = ?${state ? ' AND state = ?' : ''}
      ORDER BY ${this.engine.dialect.insertionOrder}`,
      state ? [jobId, state] : [jobId],
    );
    return rows.map((r) => r.sop_uid);
  }

  async recordSentAs(jobId: number, sent: readonly { uid: string; as: string }[]): Promise<void> {
    if (!sent.length) return;
    await this.engine.transaction(async (tx) => {
      for (const s of sent)
        await tx.run('UPDATE job_items SET sent_uid = ? WHERE job_fk = ? AND sop_uid = ?', [s.as, jobId, s.uid]);
    });
  }

  async sentAs(jobId: number): Promise<Map<string, string>> {
    const rows = await this.engine.all<{ sop_uid: string; sent_uid: string }>(
      "SELECT sop_uid, sent_uid FROM job_items WHERE job_fk = ? AND sent_uid <> ''",
      [jobId],
    );
    return new Map(rows.map((r) => [r.sop_uid, r.sent_uid]));
  }

  async setItems(jobId: number, sopUids: string[], state: ItemState): Promise<void> {
    if (!sopUids.length) return;
    await this.engine.transaction(async (tx) => {
      for (let at = 0; at < sopUids.length; at += CHUNK) {
        const chunk = sopUids.slice(at, at + CHUNK);
        await tx.run(
          `UPDATE job_items SET state = ? WHERE job_fk = ? AND sop_uid IN (${chunk.map(() => '?').join(', ')})`,
          [state, jobId, ...chunk],
        );
      }
    });
  }

  async updateJob(id: number, changes: Partial<Omit<Job, 'id' | 'kind'>>): Promise<void> {
    const update = jobUpdate(changes);
    if (update) await this.engine.run(`UPDATE jobs SET ${update.set} WHERE id = ?`, [...update.values, id]);
  }

  async getJob(id: number): Promise<Job | undefined> {
    const [row] = await this.engine.all<JobRow>('SELECT * FROM jobs WHERE id = ?', [id]);
    return row ? jobFromRow(row) : undefined;
  }

  async listJobs(states?: JobState[]): Promise<Job[]> {
    const rows = await this.engine.all<JobRow>(
      states?.length
        ? `SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY id`
        : 'SELECT * FROM jobs ORDER BY id',
      states ?? [],
    );
    return rows.map(jobFromRow);
  }

  async jobByTransaction(transactionUid: string): Promise<Job | undefined> {
    const [row] = await this.engine.all<JobRow>(
      'SELECT * FROM jobs WHERE transaction_uid = ? ORDER BY id DESC LIMIT 1',
      [transactionUid],
    );
    return row ? jobFromRow(row) : undefined;
  }

  async requeueRunning(): Promise<number> {
    return (await this.engine.run("UPDATE jobs SET state = 'queued' WHERE state = 'running'")).changes;
  }

  async purgeFinished(before: string): Promise<number> {
    return this.engine.transaction(async (tx) => {
      const old = "state IN ('done', 'failed', 'cancelled') AND finished_at <> '' AND finished_at < ?";
      await tx.run(`DELETE FROM job_items WHERE job_fk IN (SELECT id FROM jobs WHERE ${old})`, [before]);
      return (await tx.run(`DELETE FROM jobs WHERE ${old}`, [before])).changes;
    });
  }
}

async function insertItems(tx: SqlEngine, jobId: number, sopUids: string[]): Promise<void> {
  for (let at = 0; at < sopUids.length; at += CHUNK) {
    const chunk = sopUids.slice(at, at + CHUNK);
    await tx.run(
      `${tx.dialect.insertIgnore} INTO job_items (job_fk, sop_uid) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`,
      chunk.flatMap((u) => [jobId, u]),
    );
  }
}
