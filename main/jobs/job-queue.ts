import type { ArchiveEvents } from '../runtime/events.ts';
import type { SourceLogger } from '../util/log.ts';
import type { Job, JobKind, JobStore, NewJob } from './job.ts';
import { english, msg, SaidError, saidOf, type Message } from '../../common/message.ts';

/**
 * The queue of transfer jobs: persistent (the index), resumed after a restart, at most `maxPerNode` running with one
 * remote node, failed attempts retried with doubling delays up to `maxRetries`, cancel and retry by id. What a job of
 * each kind does is the runner's business (archive/job-runners.ts).
 */

export interface JobContext {
  job: Job;
  signal: AbortSignal;
  /** Record progress: written to the index and announced at most every 100 ms, unless `force`. */
  progress(changes: Partial<Pick<Job, 'total' | 'done' | 'failed' | 'bytes'>>, force?: boolean): Promise<void>;
}

/** Runs one attempt of a job; throws to fail the attempt (it is retried), or returns when done. */
export type JobRunner = (ctx: JobContext) => Promise<void>;

/**
 * A forward's own calling (`org`) and called (`dest`) AE titles, where a converter said them; `group`: what the
 * objects going together are (ForwardAssociationLevel other than STUDY: a patient ID, a series or SOP Instance UID,
 * '*' for everything to that node).
 */
export interface ForwardVia {
  org?: string;
  dest?: string;
  group?: string;
  /** A converter's `forward ... script ...`: converter commands run on each copy sent (features/forward-scripts.ts). */
  script?: string;
  /** A delayed forward's `imagetype`: only the objects whose Image Type matches go (archive/image-type-filter.ts). */
  imageType?: string;
}

/**
 * What forwards of one object to a node go together with (ForwardAssociationLevel): the study (undefined: a job per
 * destination and study, as always), or a patient, series or object of their own, or everything to that node.
 */
export function forwardGroup(
  level: 'patient' | 'study' | 'series' | 'image' | 'sopclass' | 'global',
  object: { patientId: string; seriesInstanceUid: string; sopInstanceUid: string },
): { group?: string; acrossStudies: boolean } {
  if (level === 'patient') return { group: `patient ${object.patientId}`, acrossStudies: true };
  if (level === 'series') return { group: `series ${object.seriesInstanceUid}`, acrossStudies: false };
  if (level === 'image') return { group: `image ${object.sopInstanceUid}`, acrossStudies: false };
  if (level === 'sopclass' || level === 'global') return { group: '*', acrossStudies: true };
  return { acrossStudies: false };
}

/** A send or forward to a node (what FailHoldOff holds off), as opposed to a retrieve or the archive's own work. */
function sends(job: Job): boolean {
  return (job.kind === 'send' || job.kind === 'forward') && job.destination !== '';
}

/** A converter's delayed job: a delayed forward, or a job a converter queued (get, preretrieve, delete, process). */
function isDelayed(job: Job): boolean {
  if (!job.detail.startsWith('{')) return false;
  try {
    const d = JSON.parse(job.detail) as { delayed?: unknown; by?: unknown };
    return d.delayed === true || typeof d.by === 'string';
  } catch {
    return false;
  }
}

/**
 * A forward job's detail: '' for a plain one; JSON with what else it is (delayed, `org`, `dest`, the group of
 * ForwardAssociationLevel), keys in one order, so the same forward finds its open job by it.
 */
function forwardDetail(delayed: boolean, via: ForwardVia): string {
  const d = {
    ...(delayed ? { delayed: true } : {}),
    ...(via.org ? { org: via.org } : {}),
    ...(via.dest ? { dest: via.dest } : {}),
    ...(via.group ? { group: via.group } : {}),
    ...(via.script ? { script: via.script } : {}),
    ...(via.imageType ? { imageType: via.imageType } : {}),
  };
  return Object.keys(d).length ? JSON.stringify(d) : '';
}

/** What a forward job's detail says of its AE titles and the script run on each copy sent. */
export function forwardViaOf(detail: string): ForwardVia {
  if (!detail.startsWith('{')) return {};
  try {
    const d = JSON.parse(detail) as ForwardVia;
    return {
      org: typeof d.org === 'string' ? d.org : undefined,
      dest: typeof d.dest === 'string' ? d.dest : undefined,
      script: typeof d.script === 'string' ? d.script : undefined,
      imageType: typeof d.imageType === 'string' ? d.imageType : undefined,
    };
  } catch {
    return {};
  }
}

/** A job failure that retrying cannot mend (the node is unknown, the request makes no sense). */
export class PermanentJobError extends SaidError {}

/**
 * A runner's "not now" (an export converter's `defer`): the job waits until `until` (epoch ms) and runs again; a
 * deferral is not a failed attempt (it does not count towards the retries).
 */
export class JobDeferred extends SaidError {
  readonly until: number;
  constructor(said: Message, until: number) {
    super(said);
    this.until = until;
  }
}

export interface JobQueueOptions {
  store: JobStore;
  /** What each kind of job does; more kinds join with `addRunner` (storage commitment, MPPS forwarding). */
  runners: Partial<Record<JobKind, JobRunner>>;
  /** `historyDays`: finished jobs older than this are purged (0: kept for ever). */
  settings: () => {
    maxRetries: number;
    retryDelaySeconds: number;
    maxPerNode: number;
    historyDays?: number;
    /** Conquest's FailHoldOff: after a job to a node failed, others to it wait this long (0: they do not). */
    failHoldOffSeconds?: number;
    /** Conquest's DelayedForwarderThreads: converters' delayed jobs running at once (undefined: no limit). */
    delayedThreads?: number;
    /** Conquest's MaximumDelayedFetchForwardRetries for converters' delayed jobs (0: until they succeed). */
    maxDelayedRetries?: number;
  };
  events?: ArchiveEvents;
  log: SourceLogger;
}

const PROGRESS_INTERVAL_MS = 100;
/** The longest wait before a retry (the doubling stops there). */
const MAX_RETRY_DELAY_MS = 3600_000;
/** How often finished jobs past JobHistoryDays are purged (and once at start). */
const PURGE_INTERVAL_MS = 3600_000;

export class JobQueue {
  private readonly options: JobQueueOptions;
  private readonly running = new Map<
    number,
    { node: string; delayed: boolean; controller: AbortController; done: Promise<void> }
  >();
  /** Nodes a job just failed with, until when no other job to them starts (FailHoldOff). */
  private readonly heldOff = new Map<string, number>();
  /** Jobs whose wait for FailHoldOff was logged. */
  private readonly heldJobs = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private stopped = true;

  constructor(options: JobQueueOptions) {
    this.options = options;
  }

  /** Put jobs a stop left running back in the queue and start what is due. */
  async start(): Promise<void> {
    this.stopped = false;
    const resumed = await this.options.store.requeueRunning();
    if (resumed) this.options.log.info(`${resumed} job(s) interrupted by the last stop are queued again`);
    await this.purge();
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    void this.pump();
  }

  /** Delete finished jobs older than JobHistoryDays; returns how many went. */
  async purge(now = Date.now()): Promise<number> {
    const days = this.options.settings().historyDays ?? 0;
    if (days <= 0) return 0;
    const purged = await this.options.store
      .purgeFinished(new Date(now - days * 86_400_000).toISOString())
      .catch((err: Error) => {
        this.options.log.warn(`could not purge old jobs: ${err.message}`);
        return 0;
      });
    if (purged) this.options.log.info(`${purged} finished job(s) older than ${days} day(s) removed from the history`);
    return purged;
  }

  /** Stop starting jobs and interrupt the running ones; they stay 'running' in the index and resume at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    for (const r of this.running.values()) r.controller.abort(new Error('server is stopping'));
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  addRunner(kind: JobKind, runner: JobRunner): void {
    this.options.runners[kind] = runner;
  }

  async add(kind: JobKind, fields: Partial<Omit<NewJob, 'kind'>>, items?: string[]): Promise<Job> {
    const job = await this.options.store.createJob(
      { ...fields, kind, source: fields.source ?? '', destination: fields.destination ?? '' },
      items,
    );
    this.options.log.info(`job ${job.id} queued: ${describe(job)}`);
    this.announce(job);
    void this.pump();
    return job;
  }

  /**
   * Add objects of a stored study to a forward job still waiting, or queue a new one. `notBefore` (epoch ms): a
   * delayed forward (Conquest's `forward study to AE after N`), kept apart from immediate ones; each call moves its
   * start to `notBefore`, so the objects go once none arrived for the delay.
   */
  async forward(
    destination: string,
    studyUid: string,
    sopUids: string | string[],
    compression = '',
    commit = false,
    notBefore?: number,
    via: ForwardVia = {},
  ): Promise<void> {
    const items = typeof sopUids === 'string' ? [sopUids] : sopUids;
    const commitment = commit ? 'asked' : '';
    const detail = forwardDetail(notBefore !== undefined, via);
    // One at a time: two objects arriving together must find the same open job, not each make one.
    return this.oneByOne(() =>
      this.addForward(destination, studyUid, items, compression, commitment, detail, notBefore),
    );
  }

  private async addForward(
    destination: string,
    studyUid: string,
    items: string[],
    compression: string,
    commitment: Job['commitment'],
    detail: string,
    notBefore: number | undefined,
  ): Promise<void> {
    const open = await this.options.store.openForwardJob(destination, studyUid, compression, commitment, detail);
    if (open && !this.running.has(open.id)) {
      await this.options.store.addItems(open.id, items);
      if (notBefore !== undefined) await this.options.store.updateJob(open.id, { nextAttemptAt: notBefore });
      void this.pump();
      return;
    }
    await this.add(
      'forward',
      { destination, studyUid, compression, commitment, detail, nextAttemptAt: notBefore ?? 0 },
      items,
    );
  }

  /**
   * A delayed job for a study (a converter's `delete study ... after NN`, `get ... from AE`): the one still waiting (same
   * kind, study and detail) is moved on to `notBefore`, else a new one waits until then.
   */
  async studyJob(
    kind: JobKind,
    studyUid: string,
    detail: string,
    notBefore: number,
    fields: Partial<Pick<NewJob, 'source' | 'query'>> = {},
  ): Promise<void> {
    return this.oneByOne(async () => {
      const open = await this.options.store.openStudyJob(kind, studyUid, detail);
      if (open && !this.running.has(open.id)) {
        await this.options.store.updateJob(open.id, { nextAttemptAt: notBefore });
        return;
      }
      await this.add(kind, { ...fields, studyUid, detail, nextAttemptAt: notBefore });
    });
  }

  /** The queue's own lock: what finds an open job and adds to it (or makes one) runs one at a time. */
  private adding: Promise<void> = Promise.resolve();

  private oneByOne(work: () => Promise<void>): Promise<void> {
    const done = this.adding.then(work);
    this.adding = done.catch(() => undefined);
    return done;
  }

  async cancel(id: number): Promise<Job | undefined> {
    const job = await this.options.store.getJob(id);
    if (!job) return undefined;
    const running = this.running.get(id);
    if (running) {
      running.controller.abort(new Error('cancelled'));
      await running.done;
    } else if (job.state === 'queued') {
      await this.finish(job, 'cancelled', msg('cancelled by the user'));
    }
    return this.options.store.getJob(id);
  }

  /** Queue a failed or cancelled job again, from its first attempt, with its failed objects pending again. */
  async retry(id: number): Promise<Job | undefined> {
    const job = await this.options.store.getJob(id);
    if (!job || (job.state !== 'failed' && job.state !== 'cancelled')) return job;
    const failed = await this.options.store.items(id, 'failed');
    await this.options.store.setItems(id, failed, 'pending');
    await this.options.store.updateJob(id, {
      state: 'queued',
      attempts: 0,
      error: '',
      errorMessage: undefined,
      nextAttemptAt: 0,
      failed: 0,
      finishedAt: '',
    });
    this.options.log.info(`job ${id} queued again by the user`);
    void this.pump();
    return this.options.store.getJob(id);
  }

  /** Resolves when the job's current run (if any) has ended and its outcome is recorded. */
  async settled(id: number): Promise<void> {
    await this.running.get(id)?.done;
  }

  /** A job changed outside a run (a storage commitment report arrived): announce it again. */
  async changed(id: number): Promise<void> {
    const job = await this.options.store.getJob(id);
    if (job) this.announce(job);
  }

  get(id: number): Promise<Job | undefined> {
    return this.options.store.getJob(id);
  }

  list(states?: Job['state'][]): Promise<Job[]> {
    return this.options.store.listJobs(states);
  }

  /** Wait until every job has settled: none running, none queued (retries included). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([...this.running.values()].map((r) => r.done));
      const queued = await this.options.store.listJobs(['queued']);
      if (!queued.length && this.running.size === 0) return;
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private nodeOf(job: Job): string {
    return job.kind === 'move' || job.kind === 'get' ? job.source : job.destination;
  }

  /** Start every due job its node has room for, and set a timer for the next one that is waiting. */
  private async pump(): Promise<void> {
    try {
      await this.pumpOnce();
    } catch (err) {
      // The index is unreachable (a database server restarting): look again in a moment.
      this.options.log.error(`job queue: ${(err as Error).message}; trying again in 1 s`);
      this.pumping = false;
      if (!this.stopped) setTimeout(() => void this.pump(), 1000).unref();
    }
  }

  private async pumpOnce(): Promise<void> {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const now = Date.now();
        let nextWake = Infinity;
        for (const job of await this.options.store.listJobs(['queued'])) {
          if (this.running.has(job.id)) continue;
          if (job.nextAttemptAt > now) {
            nextWake = Math.min(nextWake, job.nextAttemptAt);
            continue;
          }
          const node = this.nodeOf(job);
          const settings = this.options.settings();
          const held = sends(job) ? (this.heldOff.get(node) ?? 0) : 0;
          if (held > now) {
            nextWake = Math.min(nextWake, held);
            if (!this.heldJobs.has(job.id)) {
              this.heldJobs.add(job.id);
              this.options.log.info(
                `job ${job.id} waits ${Math.ceil((held - now) / 1000)} s: a job to ${node} just failed (FailHoldOff)`,
              );
            }
            continue;
          }
          this.heldJobs.delete(job.id);
          const busy = [...this.running.values()].filter((r) => r.node === node).length;
          if (busy >= settings.maxPerNode) continue;
          const delayed = isDelayed(job);
          if (delayed && settings.delayedThreads !== undefined) {
            const running = [...this.running.values()].filter((r) => r.delayed).length;
            if (running >= settings.delayedThreads) continue;
          }
          this.launch(job, node, delayed);
        }
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        if (nextWake < Infinity && !this.stopped) {
          this.timer = setTimeout(() => void this.pump(), Math.max(0, nextWake - Date.now()));
          this.timer.unref();
        }
      } while (this.pumpAgain && !this.stopped);
    } finally {
      this.pumping = false;
    }
  }

  private launch(queued: Job, node: string, delayed: boolean): void {
    const controller = new AbortController();
    const entry = { node, delayed, controller, done: Promise.resolve() };
    this.running.set(queued.id, entry);
    entry.done = this.attempt(queued, controller)
      .catch((err) =>
        this.options.log.error(
          `job ${queued.id}: the job could not be recorded (${(err as Error).message}); it runs again at the next start`,
        ),
      )
      .finally(() => {
        this.running.delete(queued.id);
        void this.pump();
      });
  }

  private async attempt(queued: Job, controller: AbortController): Promise<void> {
    const store = this.options.store;
    const attempts = queued.attempts + 1;
    const startedAt = new Date().toISOString();
    await store.updateJob(queued.id, {
      state: 'running',
      attempts,
      startedAt: queued.startedAt || startedAt,
      error: '',
      errorMessage: undefined,
    });
    let job = (await store.getJob(queued.id))!;
    this.announce(job);
    const t0 = performance.now();
    let lastAnnounced = 0;
    const ctx: JobContext = {
      job,
      signal: controller.signal,
      // Progress is written and announced at most every 100 ms (and when forced): a fast send must not spend its time on
      // index writes. After a crash a job may thus resend the objects of its last 100 ms; the receiver replaces them.
      progress: async (changes, force = false) => {
        Object.assign(job, changes);
        const now = performance.now();
        if (force || now - lastAnnounced >= PROGRESS_INTERVAL_MS) {
          lastAnnounced = now;
          await store.updateJob(job.id, { total: job.total, done: job.done, failed: job.failed, bytes: job.bytes });
          this.announce(job, job.bytes / Math.max(0.001, (now - t0) / 1000));
        }
      },
    };
    try {
      const runner = this.options.runners[job.kind];
      if (!runner) throw new PermanentJobError(msg('this version cannot run {kind} jobs', { kind: job.kind }));
      await runner(ctx);
      if (controller.signal.aborted) throw controller.signal.reason;
      await this.finish(job, 'done');
      this.options.log.info(
        `job ${job.id} done: ${describe(job)}, ${job.done} object(s), ${job.failed} failed, ${(job.bytes / 1048576).toFixed(1)} MB`,
      );
    } catch (err) {
      job = (await store.getJob(job.id))!;
      const said = saidOf(err);
      const reason = english(said);
      if (controller.signal.aborted) {
        if (this.stopped) return; // stays 'running' in the index: resumed at the next start
        await this.finish(job, 'cancelled', msg('cancelled by the user'));
        this.options.log.info(`job ${job.id} cancelled`);
        return;
      }
      if (err instanceof JobDeferred) {
        await store.updateJob(job.id, {
          state: 'queued',
          attempts: attempts - 1,
          error: reason,
          errorMessage: said,
          nextAttemptAt: err.until,
        });
        this.options.log.info(`job ${job.id} deferred: ${reason}`);
        this.announce((await store.getJob(job.id))!);
        return;
      }
      const settings = this.options.settings();
      const { retryDelaySeconds } = settings;
      if (settings.failHoldOffSeconds && sends(job))
        this.heldOff.set(this.nodeOf(job), Date.now() + settings.failHoldOffSeconds * 1000);
      // A converter's delayed job retries as MaximumDelayedFetchForwardRetries says (0: until it succeeds).
      const maxRetries =
        isDelayed(job) && settings.maxDelayedRetries !== undefined
          ? settings.maxDelayedRetries || Number.POSITIVE_INFINITY
          : settings.maxRetries;
      if (err instanceof PermanentJobError || attempts > maxRetries) {
        await this.finish(job, 'failed', said);
        this.options.log.warn(`job ${job.id} failed after ${attempts} attempt(s): ${reason}`);
        return;
      }
      const delay = Math.min(MAX_RETRY_DELAY_MS, retryDelaySeconds * 1000 * 2 ** (attempts - 1));
      await store.updateJob(job.id, {
        state: 'queued',
        error: reason,
        errorMessage: said,
        nextAttemptAt: Date.now() + delay,
      });
      this.options.log.warn(
        `job ${job.id} attempt ${attempts} failed (${reason}); next try in ${(delay / 1000).toFixed(0)} s`,
      );
      this.announce((await store.getJob(job.id))!);
    }
  }

  private async finish(job: Job, state: 'done' | 'failed' | 'cancelled', error?: Message): Promise<void> {
    await this.options.store.updateJob(job.id, {
      state,
      error: error ? english(error) : '',
      errorMessage: error,
      finishedAt: new Date().toISOString(),
    });
    this.announce((await this.options.store.getJob(job.id))!);
  }

  private announce(job: Job, rate = 0): void {
    this.options.events?.emit('job', {
      id: job.id,
      kind: job.kind,
      state: job.state,
      source: job.source,
      destination: job.destination,
      total: job.total,
      done: job.done,
      failed: job.failed,
      bytes: job.bytes,
      rate,
      error: job.error,
      errorMessage: job.errorMessage,
      nextAttemptAt: job.state === 'queued' && job.error ? job.nextAttemptAt : 0,
      commitment: job.commitment,
    });
  }
}

function describe(job: Job): string {
  const what = job.query ? `${job.query.level} ${Object.values(job.query.keys).join(' ')}` : `${job.total} object(s)`;
  return `${job.kind} ${what}${job.source ? ' from ' + job.source : ''}${job.destination ? ' to ' + job.destination : ''}`;
}
