import type { SourceLogger } from '../util/log.ts';
import type { AuditEntry, AuditStore } from './audit-record.ts';

/** How often the queued records are written (and at most how many wait), and how often old ones are purged. */
const FLUSH_MS = 250;
const FLUSH_COUNT = 500;
const PURGE_INTERVAL_MS = 3_600_000;
/** A viewer asks for every image of a study: one 'view' record per user, address and study in this window. */
const VIEW_WINDOW_MS = 10 * 60_000;

/** Somewhere else each record goes as well (the ATNA syslog forwarder). */
export interface AuditSink {
  send(entries: AuditEntry[]): void;
}

/**
 * The audit trail: records are queued by whoever acts (never awaited on the DICOM or API path) and written in batches to
 * the index; records older than AuditRetentionDays are purged at start and hourly. A record that cannot be written is
 * logged as an error with its content, so that it is not lost silently.
 */
export class AuditTrail {
  private queue: AuditEntry[] = [];
  /** The patient of a record that names only its study, looked up when it is recorded (before the study may go). */
  private readonly lookups = new Map<AuditEntry, Promise<string>>();
  private timer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly sinks: AuditSink[] = [];
  private readonly views = new Map<string, number>();
  /** The patients of studies, for records that name only the study (a WADO request). */
  patientsOf?: (studyUids: string[]) => Promise<Map<string, string>>;

  private readonly store: AuditStore;
  private readonly retentionDays: () => number;
  private readonly log: SourceLogger;

  constructor(store: AuditStore, retentionDays: () => number, log: SourceLogger) {
    this.store = store;
    this.retentionDays = retentionDays;
    this.log = log;
  }

  addSink(sink: AuditSink): void {
    this.sinks.push(sink);
  }

  record(entry: AuditEntry): void {
    if (entry.action === 'view') {
      const key = `${entry.user}|${entry.source}|${entry.studyUid ?? ''}`;
      const now = Date.now();
      if (now - (this.views.get(key) ?? -Infinity) < VIEW_WINDOW_MS) return;
      if (this.views.size > 10_000) this.views.clear();
      this.views.set(key, now);
    }
    const queued = {
      ...entry,
      at: entry.at ?? new Date().toISOString(),
      outcome: entry.outcome ?? 'success',
    } satisfies AuditEntry;
    if (queued.studyUid && !queued.patientId && this.patientsOf) {
      const uid = queued.studyUid;
      this.lookups.set(
        queued,
        this.patientsOf([uid]).then(
          (m) => m.get(uid) ?? '',
          () => '',
        ),
      );
    }
    this.queue.push(queued);
    if (this.queue.length >= FLUSH_COUNT) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Write what is queued; resolves when it is in the index. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length) {
      this.writing = this.writing
        .then(async () => {
          await this.addPatients(batch);
          for (const sink of this.sinks) sink.send(batch);
          await this.store.append(batch);
        })
        .catch((err: Error) => {
          this.log.error(`${batch.length} audit records not written (${err.message}): ${JSON.stringify(batch)}`);
        });
    }
    return this.writing;
  }

  private async addPatients(batch: AuditEntry[]): Promise<void> {
    for (const e of batch) {
      const lookup = this.lookups.get(e);
      if (!lookup) continue;
      e.patientId = await lookup;
      this.lookups.delete(e);
    }
  }

  async start(): Promise<void> {
    await this.purge();
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  async purge(now = Date.now()): Promise<number> {
    const days = this.retentionDays();
    if (days <= 0) return 0;
    const gone = await this.store.purge(new Date(now - days * 86_400_000).toISOString()).catch((err: Error) => {
      this.log.error(`cannot purge the audit trail: ${err.message}`);
      return 0;
    });
    if (gone) this.log.info(`${gone} audit records older than ${days} days purged (AuditRetentionDays)`);
    return gone;
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.flush();
  }
}
