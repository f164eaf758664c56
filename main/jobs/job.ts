import type { Message } from '../../common/message.ts';

/** A transfer the archive carries out for a user or a rule, kept in the index so it survives a restart. */

/**
 * 'commit-report': a Storage Commitment request a peer made to us, checked and reported to it (N-EVENT-REPORT);
 * 'mpps-forward': an MPPS N-CREATE or N-SET passed on to another node; 'edit': stored objects rewritten with corrected
 * attributes (edit/study-editor.ts); 'deferred': an export converter that said `defer` on an object, run on it again
 * later (features/export-converters.ts); 'delete': a converter's delayed `delete study|patient`, the study deleted
 * once no object of it arrived for the delay; 'process': a converter's delayed `process ... by` or `prefetch`
 * (features/converter-jobs.ts); 'relocate': a study's files moved to another storage folder
 * (archive/study-relocation.ts); 'prefetch': a patient's priors looked for and retrieved by a PrefetchRules rule
 * (features/prefetch.ts); 'index-fill': columns dicom.sql added filled from the objects stored before
 * (features/index-columns.ts).
 */
export type JobKind =
  | 'send'
  | 'forward'
  | 'move'
  | 'get'
  | 'commit-report'
  | 'mpps-forward'
  | 'edit'
  | 'deferred'
  | 'delete'
  | 'process'
  | 'relocate'
  | 'prefetch'
  | 'index-fill';
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
/** 'uncommitted': sent, but the destination did not commit to keep it (Storage Commitment). */
/** 'skipped': done without being sent (a forward's script or imagetype left it out): no commitment is asked for it. */
export type ItemState = 'pending' | 'done' | 'failed' | 'uncommitted' | 'skipped';
/**
 * Storage Commitment of a send or forward (PS3.4 J): '' not asked; 'asked' to be requested once sent; 'requested'
 * (N-ACTION answered, N-EVENT-REPORT awaited); 'committed'; 'failed' (some objects not committed, or refused).
 */
export type CommitmentState = '' | 'asked' | 'requested' | 'committed' | 'failed';

/** What a retrieve asks the source for: the level and its keys (unique keys, by keyword). */
export interface RetrieveQuery {
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
  keys: Record<string, string>;
}

export interface Job {
  id: number;
  kind: JobKind;
  /** The node objects come from ('' for our own archive). */
  source: string;
  /** The node objects go to ('' for our own archive). */
  destination: string;
  query: RetrieveQuery | undefined;
  /** The study a forward job collects objects of. */
  studyUid: string;
  /** A forward rule's compression code (`forward compressed as xx to AE`); '' for the destination node's own. */
  compression: string;
  /**
   * Storage Commitment's Transaction UID: of our request (send, forward) or of the peer's (commit-report); for an
   * mpps-forward job, the SOP Instance UID of the procedure step it passes on (its messages keep their order by it).
   */
  transactionUid: string;
  commitment: CommitmentState;
  /** What a kind needs beyond the columns, as JSON (a commit-report's SOP classes, an MPPS message). */
  detail: string;
  total: number;
  done: number;
  failed: number;
  bytes: number;
  state: JobState;
  /** Why it failed or waits, in English. */
  error: string;
  /** The same as a message, for the UI to say in the user's language (undefined for older jobs). */
  errorMessage?: Message;
  attempts: number;
  /** Epoch milliseconds before which a queued job waits (retry backoff). */
  nextAttemptAt: number;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
}

export type NewJob = Pick<Job, 'kind' | 'source' | 'destination'> &
  Partial<
    Pick<Job, 'query' | 'studyUid' | 'compression' | 'transactionUid' | 'commitment' | 'detail' | 'nextAttemptAt'>
  >;

/** Where jobs are kept: the index database. */
export interface JobStore {
  createJob(job: NewJob, items?: string[]): Promise<Job>;
  /** Add objects to a queued job (a forward collecting a study's objects). */
  addItems(jobId: number, sopUids: string[]): Promise<void>;
  /** The queued, never started forward job for this destination and study (of a delayed forward or not), if any. */
  openForwardJob(
    destination: string,
    studyUid: string,
    compression?: string,
    commitment?: CommitmentState,
    detail?: string,
  ): Promise<Job | undefined>;
  /** The queued, never started job of this kind for this study and detail (a converter's delayed delete), if any. */
  openStudyJob(kind: JobKind, studyUid: string, detail: string): Promise<Job | undefined>;
  items(jobId: number, state?: ItemState): Promise<string[]>;
  setItems(jobId: number, sopUids: string[], state: ItemState): Promise<void>;
  /** The SOP Instance UIDs objects went as, where a forward's script gave them new ones (Storage Commitment asks by them). */
  recordSentAs(jobId: number, sent: readonly { uid: string; as: string }[]): Promise<void>;
  /** Those recorded for a job: stored UID -> UID sent. */
  sentAs(jobId: number): Promise<Map<string, string>>;
  updateJob(id: number, changes: Partial<Omit<Job, 'id' | 'kind'>>): Promise<void>;
  getJob(id: number): Promise<Job | undefined>;
  listJobs(states?: JobState[]): Promise<Job[]>;
  /** The job whose Storage Commitment transaction this is, if any. */
  jobByTransaction(transactionUid: string): Promise<Job | undefined>;
  /** Jobs left running by a stop or a crash go back to the queue; returns how many. */
  requeueRunning(): Promise<number>;
  /** Finished jobs (done, failed, cancelled) that finished before `before` (ISO time), with their objects; how many. */
  purgeFinished(before: string): Promise<number>;
}
