import { statfs } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { HttpError, Streamed, route } from '../api/router.ts';
import { ENDPOINTS } from '../api/endpoints.ts';
import { isLoopback } from '../api/request-auth.ts';
import { msg } from '../../common/message.ts';
import { Status } from '../dicom/status.ts';
import { backups, type Backups } from './backups.ts';
import { verification, type Verification } from './verification.ts';

/** The most peer AE titles kept apart in the series; objects of any further ones count under "other". */
const MAX_PEERS = 100;
/** Seconds, for requests answered: a C-ECHO (a millisecond) to a C-MOVE of a large study (minutes). */
const DIMSE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
const FINAL = new Set(['done', 'failed', 'cancelled']);

/**
 * Monitoring as Prometheus reads it: `GET /metrics` in its text format, made by its own client library (prom-client):
 * objects and bytes received and sent by peer AE title and service, requests answered by command with their times,
 * associations open, jobs by state and the oldest queued one's age, free space per storage device, the index's size
 * and the process's own (memory, event-loop lag, garbage collection). Served on this computer without sign-in (a
 * Prometheus or an NRPE agent beside the archive); from elsewhere only to a scraper that shows MetricsToken, or to
 * a signed-in user.
 */
export const metrics: Feature<{ registry: Registry }> = {
  name: 'metrics',
  settings: ['MetricsToken'],
  start(core, { maybe }) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const peer = peerLabels();
    const objects = new Counter({
      name: 'pacs_objects_total',
      help: 'DICOM objects received and sent, by peer AE title, service and outcome',
      labelNames: ['direction', 'service', 'peer_ae', 'outcome'],
      registers: [registry],
    });
    const bytes = new Counter({
      name: 'pacs_object_bytes_total',
      help: 'Data set bytes of the objects received and sent successfully',
      labelNames: ['direction', 'service', 'peer_ae'],
      registers: [registry],
    });
    const lastReceived = new Gauge({
      name: 'pacs_last_object_received_timestamp_seconds',
      help: 'When the last object was stored from a peer (Unix time; 0 before the first since the start)',
      registers: [registry],
    });
    const answered = new Histogram({
      name: 'pacs_dimse_request_duration_seconds',
      help: 'Requests this archive answered as SCP, from their first byte to their final response, by command and outcome',
      labelNames: ['command', 'outcome'],
      buckets: DIMSE_BUCKETS,
      registers: [registry],
    });
    const requested = new Histogram({
      name: 'pacs_dimse_scu_request_duration_seconds',
      help: 'Requests this archive made of other nodes (SCU), from their sending to their final response, by command and outcome',
      labelNames: ['command', 'outcome'],
      buckets: DIMSE_BUCKETS,
      registers: [registry],
    });
    const open = new Gauge({
      name: 'pacs_associations_open',
      help: 'DICOM associations open now: acceptor (a peer called), requestor (this archive called)',
      labelNames: ['role'],
      registers: [registry],
    });
    open.set({ role: 'acceptor' }, 0);
    open.set({ role: 'requestor' }, 0);
    const finished = new Counter({
      name: 'pacs_jobs_finished_total',
      help: 'Jobs that ended since the start, by kind and how',
      labelNames: ['kind', 'state'],
      registers: [registry],
    });
    jobGauges(core, registry);
    const scheduled = maybe(backups);
    if (scheduled) backupGauges(scheduled, registry);
    const verifying = maybe(verification);
    if (verifying) verificationGauges(verifying, registry);
    storageGauges(core, registry);
    indexGauges(core, registry);

    const jobStates = new Map<number, string>();
    const onObject: Parameters<typeof core.events.on<'object'>>[1] = (e) => {
      const ok = succeeded(e.status);
      const labels = { direction: e.direction, service: e.service ?? 'C-STORE', peer_ae: peer(e.peerAe) };
      objects.inc({ ...labels, outcome: ok ? 'ok' : 'failed' });
      if (ok) bytes.inc(labels, e.size);
      if (ok && e.direction === 'received') lastReceived.set(Date.now() / 1000);
    };
    const onDimse: Parameters<typeof core.events.on<'dimse'>>[1] = (e) =>
      (e.role === 'scp' ? answered : requested).observe(
        { command: e.command, outcome: succeeded(e.status) ? 'ok' : 'failed' },
        e.ms / 1000,
      );
    const onAssociation: Parameters<typeof core.events.on<'association'>>[1] = (e) => {
      if (e.type === 'opened') open.inc({ role: e.role });
      else if (e.type === 'closed') open.dec({ role: e.role });
    };
    const onJob: Parameters<typeof core.events.on<'job'>>[1] = (e) => {
      const before = jobStates.get(e.id);
      if (FINAL.has(e.state)) {
        jobStates.delete(e.id);
        if (before !== e.state) finished.inc({ kind: e.kind, state: e.state });
      } else jobStates.set(e.id, e.state);
    };
    core.events.on('object', onObject);
    core.events.on('dimse', onDimse);
    core.events.on('association', onAssociation);
    core.events.on('job', onJob);

    return {
      provides: { registry },
      routes: [
        route(ENDPOINTS.metrics, async ({ req, source, principal }) => {
          if (!principal) allowScrape(source, req.headers.authorization, core.settings.metricsToken);
          const text = await registry.metrics();
          return new Streamed(async (res) => {
            res.writeHead(200, {
              'content-type': registry.contentType,
              'content-length': Buffer.byteLength(text),
              'cache-control': 'no-store',
            });
            res.end(text);
          });
        }),
      ],
      stop: () => {
        core.events.off('object', onObject);
        core.events.off('dimse', onDimse);
        core.events.off('association', onAssociation);
        core.events.off('job', onJob);
        registry.clear();
      },
    };
  },
};

/** Success and warnings (PS3.7 C: 0000, Bxxx, 0107, 0116) are stored or sent; anything else failed. */
function succeeded(status: number): boolean {
  return status === Status.Success || (status >= 0xb000 && status <= 0xbfff) || status === 0x0107 || status === 0x0116;
}

/** A peer's AE title as a label: the first MAX_PEERS kept apart, later ones "other" (a label per caller is unbounded). */
function peerLabels(): (ae: string) => string {
  const seen = new Set<string>();
  return (ae) => {
    const name = ae.trim() || '(none)';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_PEERS) return 'other';
    seen.add(name);
    return name;
  };
}

/**
 * Who may read /metrics without signing in: anyone on this computer; from elsewhere only who shows MetricsToken (none
 * set: no one). A signed-in user (a session, an API key, the install's secret) may read it from anywhere.
 */
export function allowScrape(source: string, authorization: string | undefined, token: string): void {
  if (isLoopback(source)) return;
  if (!token)
    throw new HttpError(
      403,
      msg('/metrics answers this computer only; for a scraper elsewhere an admin sets MetricsToken'),
    );
  const shown = Buffer.from(/^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? '');
  const wanted = Buffer.from(token);
  if (shown.length !== wanted.length || !timingSafeEqual(shown, wanted))
    throw new HttpError(401, msg('/metrics needs the metrics token: Authorization: Bearer <MetricsToken>'));
}

/** Jobs waiting and running, and how long the oldest waiting one has waited, read from the queue when scraped. */
function jobGauges(core: ArchiveCore, registry: Registry): void {
  let oldest = 0;
  new Gauge({
    name: 'pacs_jobs',
    help: 'Jobs queued (waiting, retrying or delayed) and running now, by kind',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      const jobs = await core.queue.list(['queued', 'running']);
      this.reset();
      for (const j of jobs) this.inc({ kind: j.kind, state: j.state });
      const queued = jobs.filter((j) => j.state === 'queued').map((j) => Date.parse(j.createdAt));
      oldest = queued.length ? Math.max(0, (Date.now() - Math.min(...queued)) / 1000) : 0;
    },
  });
  new Gauge({
    name: 'pacs_jobs_failed_last_hour',
    help: 'Jobs that failed in the last hour (not retried any more)',
    registers: [registry],
    async collect() {
      const since = Date.now() - 3600_000;
      const failed = await core.queue.list(['failed']);
      this.set(failed.filter((j) => Date.parse(j.finishedAt) >= since).length);
    },
  });
  new Gauge({
    name: 'pacs_jobs_oldest_queued_age_seconds',
    help: 'How long ago the oldest job still queued was made (0 when none waits)',
    registers: [registry],
    collect() {
      this.set(oldest);
    },
  });
}

/** The scheduled backup: when the last one succeeded, and whether the Monitor warns (BackupWarnDays). */
function backupGauges(scheduled: Backups, registry: Registry): void {
  new Gauge({
    name: 'pacs_last_backup_timestamp_seconds',
    help: 'When the last scheduled backup into BackupFolder succeeded (Unix time; 0: none, or none scheduled)',
    registers: [registry],
    collect() {
      const at = scheduled.state().lastFinishedAt;
      this.set(at ? Date.parse(at) / 1000 : 0);
    },
  });
  new Gauge({
    name: 'pacs_backup_configured',
    help: '1 when BackupFolder is set (a backup is scheduled)',
    registers: [registry],
    collect() {
      this.set(scheduled.state().folder ? 1 : 0);
    },
  });
}

/** VerifyStorage: when the last complete verification ended, and how many damaged objects are not repaired. */
function verificationGauges(verifying: Verification, registry: Registry): void {
  new Gauge({
    name: 'pacs_last_verification_timestamp_seconds',
    help: 'When the last complete verification of the stored objects ended (Unix time; 0: none yet)',
    registers: [registry],
    collect() {
      this.set(verifying.lastCompleteAt() / 1000);
    },
  });
  new Gauge({
    name: 'pacs_storage_problems',
    help: 'Stored objects the verification found damaged or missing and not repaired',
    registers: [registry],
    async collect() {
      this.set(await verifying.openProblems());
    },
  });
}

/** Free and total bytes of each storage device (MAGn), read when scraped. */
function storageGauges(core: ArchiveCore, registry: Registry): void {
  const space = async () =>
    Promise.all(
      core.store.roots.list().map(async (r) => {
        const s = await statfs(r.root).catch(() => undefined);
        return {
          device: `${r.side === 1 ? 'MIRROR' : 'MAG'}${r.device}`,
          present: r.present,
          free: s ? s.bavail * s.bsize : 0,
          total: s ? s.blocks * s.bsize : 0,
        };
      }),
    );
  new Gauge({
    name: 'pacs_storage_present',
    help: 'Whether each storage device (MAGn) and mirror (MIRRORn) is there (0: its marker is gone, unmounted)',
    labelNames: ['device'],
    registers: [registry],
    async collect() {
      for (const d of await space()) this.set({ device: d.device }, d.present ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pacs_mirror_copies_owed',
    help: 'Objects a mirrored device still has to copy to its mirror or back (written while one side was not there)',
    registers: [registry],
    collect() {
      this.set(core.store.pending.size);
    },
  });
  new Gauge({
    name: 'pacs_storage_free_bytes',
    help: 'Free space on each storage device (MAGn) and mirror (MIRRORn) for this archive',
    labelNames: ['device'],
    registers: [registry],
    async collect() {
      for (const d of await space()) this.set({ device: d.device }, d.free);
    },
  });
  new Gauge({
    name: 'pacs_storage_size_bytes',
    help: 'Size of the file system of each storage device (MAGn) and mirror (MIRRORn)',
    labelNames: ['device'],
    registers: [registry],
    async collect() {
      for (const d of await space()) this.set({ device: d.device }, d.total);
    },
  });
}

/** What the index holds (patients, studies, series, objects) and its size on disk, read when scraped. */
function indexGauges(core: ArchiveCore, registry: Registry): void {
  new Gauge({
    name: 'pacs_index_entries',
    help: 'Patients, studies, series and objects in the index',
    labelNames: ['level'],
    registers: [registry],
    async collect() {
      const c = await core.index.counts();
      this.set({ level: 'patient' }, c.patients);
      this.set({ level: 'study' }, c.studies);
      this.set({ level: 'series' }, c.series);
      this.set({ level: 'object' }, c.instances);
    },
  });
  new Gauge({
    name: 'pacs_index_size_bytes',
    help: "The index database's size (SQLite: its file; MariaDB: its tables' data and indexes)",
    registers: [registry],
    async collect() {
      this.set(await core.index.sizeBytes());
    },
  });
}
