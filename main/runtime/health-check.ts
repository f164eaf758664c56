/**
 * `cli.ts check`: the archive's health as a Nagios/NRPE plugin reports it (one line, `STATUS - text | perfdata`, exit
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), from the running archive's own /metrics (features/metrics.ts), read on this
 * computer. What is judged, each against a warning and a critical threshold: the least free space of the storage
 * devices, how long the oldest queued job has waited, the jobs that failed in the last hour, and (in working hours
 * only) how long since the last object arrived, and, where a backup is scheduled, how long since the last one
 * succeeded, and the stored objects the verification found damaged and not repaired (VerifyStorage); a storage
 * folder or mirror that is not there (unmounted) is critical.
 */

export interface CheckThresholds {
  /** Free space of the fullest device, MB: below warning / critical. */
  freeWarningMB: number;
  freeCriticalMB: number;
  /** The oldest queued job's age, seconds: above. */
  queueWarningSeconds: number;
  queueCriticalSeconds: number;
  /** Jobs failed in the last hour: at least. */
  failedWarning: number;
  failedCritical: number;
  /** Minutes since the last object arrived (or since the archive started), in working hours: above (0: not judged). */
  idleWarningMinutes: number;
  idleCriticalMinutes: number;
  /** Days since the last scheduled backup succeeded (judged when BackupFolder is set): above. */
  backupWarningDays: number;
  backupCriticalDays: number;
  /** Stored objects the verification found damaged and not repaired: at least. */
  damagedWarning: number;
  damagedCritical: number;
  /** Working hours, local time: [from, to) hours, and days of the week (0 Sunday ... 6 Saturday). */
  hours: [number, number];
  days: number[];
}

export const DEFAULT_THRESHOLDS: CheckThresholds = {
  freeWarningMB: 5120,
  freeCriticalMB: 1024,
  queueWarningSeconds: 3600,
  queueCriticalSeconds: 14400,
  failedWarning: 1,
  failedCritical: 10,
  idleWarningMinutes: 0,
  idleCriticalMinutes: 0,
  backupWarningDays: 2,
  backupCriticalDays: 7,
  damagedWarning: 1,
  damagedCritical: 1,
  hours: [7, 19],
  days: [1, 2, 3, 4, 5],
};

/** One sample of Prometheus' text format: its name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a /metrics answer (comments and malformed lines left out). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

/** The plugin's line and exit code for these samples, judged at `now`. */
export function judge(samples: Sample[], t: CheckThresholds, now = new Date()): { code: 0 | 1 | 2 | 3; line: string } {
  const one = (name: string) => samples.find((s) => s.name === name)?.value;
  const free = samples.filter((s) => s.name === 'pacs_storage_free_bytes');
  const oldest = one('pacs_jobs_oldest_queued_age_seconds');
  const failed = one('pacs_jobs_failed_last_hour');
  const lastObject = one('pacs_last_object_received_timestamp_seconds');
  const started = one('process_start_time_seconds');
  if (!free.length || oldest === undefined || failed === undefined || lastObject === undefined)
    return { code: 3, line: 'PACS UNKNOWN - /metrics did not say the free space, the queue and the last object' };
  let code: 0 | 1 | 2 = 0;
  const problems: string[] = [];
  const said: string[] = [];
  const perf: string[] = [];
  const worse = (level: 1 | 2, text: string) => {
    code = Math.max(code, level) as 0 | 1 | 2;
    problems.push(text);
  };
  const mb = (bytes: number) => Math.round(bytes / 1048576);
  // A storage folder or mirror that is not there (unmounted, unplugged) is critical, whatever its free space says.
  const absent = new Set(
    samples.filter((s) => s.name === 'pacs_storage_present' && s.value === 0).map((s) => s.labels.device ?? '?'),
  );
  for (const device of absent) worse(2, `${device} is not there`);
  for (const d of free) {
    const device = d.labels.device ?? '?';
    if (absent.has(device)) continue;
    const text = `${device} ${mb(d.value)} MB free`;
    if (d.value < t.freeCriticalMB * 1048576) worse(2, text);
    else if (d.value < t.freeWarningMB * 1048576) worse(1, text);
    else said.push(text);
    perf.push(`free_${device}=${d.value}B;${t.freeWarningMB * 1048576};${t.freeCriticalMB * 1048576};0;`);
  }
  const queueText = `oldest queued job ${Math.round(oldest)} s`;
  if (oldest > t.queueCriticalSeconds) worse(2, queueText);
  else if (oldest > t.queueWarningSeconds) worse(1, queueText);
  else said.push(queueText);
  perf.push(`oldest_queued=${Math.round(oldest)}s;${t.queueWarningSeconds};${t.queueCriticalSeconds};0;`);
  const failedText = `${failed} job(s) failed in the last hour`;
  if (failed >= t.failedCritical) worse(2, failedText);
  else if (failed >= t.failedWarning) worse(1, failedText);
  else said.push(failedText);
  perf.push(`failed_jobs_hour=${failed};${t.failedWarning};${t.failedCritical};0;`);
  // Since the last object, or since the start when none came since (a restart is not a silent modality).
  const since = lastObject > 0 ? lastObject : (started ?? now.getTime() / 1000);
  const idle = Math.max(0, Math.round((now.getTime() / 1000 - since) / 60));
  const working = t.days.includes(now.getDay()) && now.getHours() >= t.hours[0] && now.getHours() < t.hours[1];
  const idleText = `last object ${idle} min ago${lastObject > 0 ? '' : ' (none since the start)'}`;
  if (working && t.idleCriticalMinutes > 0 && idle > t.idleCriticalMinutes) worse(2, idleText);
  else if (working && t.idleWarningMinutes > 0 && idle > t.idleWarningMinutes) worse(1, idleText);
  else said.push(idleText);
  perf.push(`last_object_age=${idle * 60}s;${t.idleWarningMinutes * 60 || ''};${t.idleCriticalMinutes * 60 || ''};0;`);
  if (one('pacs_backup_configured') === 1) {
    const last = one('pacs_last_backup_timestamp_seconds') ?? 0;
    const age = last > 0 ? now.getTime() / 1000 - last : Number.POSITIVE_INFINITY;
    const backupText = last > 0 ? `last backup ${(age / 86400).toFixed(1)} days ago` : 'no backup has succeeded';
    if (age > t.backupCriticalDays * 86400) worse(2, backupText);
    else if (age > t.backupWarningDays * 86400) worse(1, backupText);
    else said.push(backupText);
    if (last > 0)
      perf.push(
        `last_backup_age=${Math.round(age)}s;${t.backupWarningDays * 86400};${t.backupCriticalDays * 86400};0;`,
      );
  }
  const damaged = one('pacs_storage_problems');
  if (damaged !== undefined) {
    const damagedText = `${damaged} damaged object(s)`;
    if (damaged >= t.damagedCritical) worse(2, damagedText);
    else if (damaged >= t.damagedWarning) worse(1, damagedText);
    else said.push(damagedText);
    perf.push(`damaged_objects=${damaged};${t.damagedWarning};${t.damagedCritical};0;`);
  }
  return { code, line: `PACS ${STATES[code]} - ${[...problems, ...said].join(', ')} | ${perf.join(' ')}` };
}

/** `--free-warning 5120` ... as thresholds; a value that is not a number is refused with its option. */
export function thresholdsFrom(
  options: Record<string, string | boolean | undefined>,
): CheckThresholds | { error: string } {
  const t: CheckThresholds = {
    ...DEFAULT_THRESHOLDS,
    hours: [...DEFAULT_THRESHOLDS.hours],
    days: [...DEFAULT_THRESHOLDS.days],
  };
  const numbers: [string, keyof CheckThresholds][] = [
    ['free-warning', 'freeWarningMB'],
    ['free-critical', 'freeCriticalMB'],
    ['queue-warning', 'queueWarningSeconds'],
    ['queue-critical', 'queueCriticalSeconds'],
    ['failed-warning', 'failedWarning'],
    ['failed-critical', 'failedCritical'],
    ['idle-warning', 'idleWarningMinutes'],
    ['idle-critical', 'idleCriticalMinutes'],
    ['backup-warning', 'backupWarningDays'],
    ['backup-critical', 'backupCriticalDays'],
    ['damaged-warning', 'damagedWarning'],
    ['damaged-critical', 'damagedCritical'],
  ];
  for (const [option, key] of numbers) {
    const v = options[option];
    if (v === undefined || typeof v === 'boolean') continue;
    if (!/^\d+$/.test(v)) return { error: `--${option} takes a whole number, not "${v}"` };
    (t[key] as number) = Number(v);
  }
  if (typeof options.hours === 'string') {
    const m = /^(\d{1,2})-(\d{1,2})$/.exec(options.hours);
    if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) > 24)
      return { error: `--hours is FROM-TO in whole hours (7-19), not "${options.hours}"` };
    t.hours = [Number(m[1]), Number(m[2])];
  }
  if (typeof options.days === 'string') {
    const m = /^([0-6])-([0-6])$/.exec(options.days);
    if (!m || Number(m[1]) > Number(m[2]))
      return { error: `--days is FROM-TO, 0 Sunday to 6 Saturday (1-5), not "${options.days}"` };
    t.days = Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  }
  return t;
}
