import type { CommitmentState, Job, JobState } from '../jobs/job.ts';
import type { Message } from '../../common/message.ts';

/** The `jobs` table's rows as both index engines return them, and the columns a job update may set. */
export interface JobRow {
  id: number | string;
  kind: string;
  source: string;
  destination: string;
  query: string;
  study_uid: string;
  compression: string;
  transaction_uid: string;
  commitment: string;
  detail: string | null;
  total: number | string;
  done: number | string;
  failed: number | string;
  bytes: number | string;
  state: string;
  error: string;
  error_message?: string | null;
  attempts: number | string;
  next_attempt_at: number | string;
  created_at: string;
  started_at: string;
  finished_at: string;
}

const COLUMNS: Record<string, string> = {
  source: 'source',
  destination: 'destination',
  query: 'query',
  studyUid: 'study_uid',
  total: 'total',
  done: 'done',
  failed: 'failed',
  bytes: 'bytes',
  state: 'state',
  error: 'error',
  errorMessage: 'error_message',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  createdAt: 'created_at',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  transactionUid: 'transaction_uid',
  commitment: 'commitment',
  detail: 'detail',
};

export function jobFromRow(r: JobRow): Job {
  return {
    id: Number(r.id),
    kind: r.kind as Job['kind'],
    source: r.source,
    destination: r.destination,
    query: r.query === '{}' ? undefined : JSON.parse(r.query),
    studyUid: r.study_uid,
    compression: r.compression ?? '',
    transactionUid: r.transaction_uid ?? '',
    commitment: (r.commitment ?? '') as CommitmentState,
    detail: r.detail ?? '',
    total: Number(r.total),
    done: Number(r.done),
    failed: Number(r.failed),
    bytes: Number(r.bytes),
    state: r.state as JobState,
    error: r.error,
    errorMessage: r.error_message ? (JSON.parse(r.error_message) as Message) : undefined,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** `column = ?` assignments and their values for the fields of a job update (the query is stored as JSON). */
export function jobUpdate(changes: Partial<Omit<Job, 'id' | 'kind'>>): { set: string; values: unknown[] } | undefined {
  const keys = Object.keys(changes).filter((k) => COLUMNS[k]);
  if (!keys.length) return undefined;
  const values = keys.map((k) => {
    const v = (changes as Record<string, unknown>)[k];
    return k === 'query' ? (v ? JSON.stringify(v) : '{}') : k === 'errorMessage' ? (v ? JSON.stringify(v) : '') : v;
  });
  return { set: keys.map((k) => `${COLUMNS[k]} = ?`).join(', '), values };
}
