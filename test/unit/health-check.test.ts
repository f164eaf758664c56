import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, judge, parseMetrics, thresholdsFrom } from '../../main/runtime/health-check.ts';
import { allowScrape } from '../../main/features/metrics.ts';

/** The NRPE check's judgement of /metrics figures, and who may read /metrics without signing in. */
describe('the health check and /metrics access', () => {
  // A Monday at 10:00 local time: working hours by default (7-19, Monday to Friday).
  const monday10 = new Date(2026, 11, 7, 10, 0, 0);
  const metrics = (o: { free?: number; oldest?: number; failed?: number; last?: number; started?: number } = {}) =>
    parseMetrics(
      [
        '# HELP pacs_storage_free_bytes Free space',
        '# TYPE pacs_storage_free_bytes gauge',
        `pacs_storage_free_bytes{device="MAG0"} ${o.free ?? 50e9}`,
        `pacs_storage_free_bytes{device="MAG1"} 60e9`,
        `pacs_jobs_oldest_queued_age_seconds ${o.oldest ?? 0}`,
        `pacs_jobs_failed_last_hour ${o.failed ?? 0}`,
        `pacs_last_object_received_timestamp_seconds ${o.last ?? monday10.getTime() / 1000 - 120}`,
        `process_start_time_seconds ${o.started ?? monday10.getTime() / 1000 - 7200}`,
        'pacs_objects_total{direction="received",peer_ae="A \\"quoted\\" one",outcome="ok"} 3',
      ].join('\n'),
    );

  it('reads the text format: names, labels (escaped quotes too) and values, comments left out', () => {
    const samples = metrics();
    expect(samples).toHaveLength(7);
    expect(samples.at(-1)).toEqual({
      name: 'pacs_objects_total',
      labels: { direction: 'received', peer_ae: 'A "quoted" one', outcome: 'ok' },
      value: 3,
    });
  });

  it('is OK within every threshold, with perfdata for each figure', () => {
    const { code, line } = judge(metrics(), DEFAULT_THRESHOLDS, monday10);
    expect(code).toBe(0);
    expect(line).toBe(
      'PACS OK - MAG0 47684 MB free, MAG1 57220 MB free, oldest queued job 0 s, 0 job(s) failed in the last hour, ' +
        'last object 2 min ago | free_MAG0=50000000000B;5368709120;1073741824;0; free_MAG1=60000000000B;5368709120;1073741824;0; ' +
        'oldest_queued=0s;3600;14400;0; failed_jobs_hour=0;1;10;0; last_object_age=120s;;;0;',
    );
  });

  it('warns and goes critical on each figure, the worst deciding, problems said first', () => {
    expect(judge(metrics({ free: 2e9 }), DEFAULT_THRESHOLDS, monday10)).toMatchObject({ code: 1 });
    expect(judge(metrics({ free: 0.5e9 }), DEFAULT_THRESHOLDS, monday10).line).toMatch(/^PACS CRITICAL - MAG0 477 MB/);
    expect(judge(metrics({ oldest: 4000 }), DEFAULT_THRESHOLDS, monday10).code).toBe(1);
    expect(judge(metrics({ oldest: 20000, free: 2e9 }), DEFAULT_THRESHOLDS, monday10).line).toMatch(
      /^PACS CRITICAL - MAG0 1907 MB free, oldest queued job 20000 s, MAG1/,
    );
    expect(judge(metrics({ failed: 1 }), DEFAULT_THRESHOLDS, monday10).code).toBe(1);
    expect(judge(metrics({ failed: 10 }), DEFAULT_THRESHOLDS, monday10).code).toBe(2);
  });

  it('judges a silent archive only in working hours, counting from the start when nothing came since', () => {
    const quiet = { ...DEFAULT_THRESHOLDS, idleWarningMinutes: 30, idleCriticalMinutes: 90 };
    const hourAgo = monday10.getTime() / 1000 - 3600;
    expect(judge(metrics({ last: hourAgo }), quiet, monday10)).toMatchObject({ code: 1 });
    expect(judge(metrics({ last: hourAgo - 3600 }), quiet, monday10).line).toMatch(
      /^PACS CRITICAL - last object 120 min/,
    );
    const sunday = new Date(2026, 11, 6, 10, 0, 0);
    expect(judge(metrics({ last: sunday.getTime() / 1000 - 7200 }), quiet, sunday).code).toBe(0);
    const evening = new Date(2026, 11, 7, 20, 0, 0);
    expect(judge(metrics({ last: evening.getTime() / 1000 - 7200 }), quiet, evening).code).toBe(0);
    // Nothing since a start 45 minutes ago: a warning, and the line says why.
    const restarted = judge(metrics({ last: 0, started: monday10.getTime() / 1000 - 2700 }), quiet, monday10);
    expect(restarted).toMatchObject({ code: 1 });
    expect(restarted.line).toContain('last object 45 min ago (none since the start)');
  });

  it('judges the last scheduled backup only where one is scheduled', () => {
    const at = (s: string) => [...metrics(), ...parseMetrics(s)];
    const dayAgo = monday10.getTime() / 1000 - 86400;
    expect(
      judge(at(`pacs_backup_configured 0\npacs_last_backup_timestamp_seconds 0`), DEFAULT_THRESHOLDS, monday10).code,
    ).toBe(0);
    const fresh = judge(
      at(`pacs_backup_configured 1\npacs_last_backup_timestamp_seconds ${dayAgo}`),
      DEFAULT_THRESHOLDS,
      monday10,
    );
    expect(fresh.code).toBe(0);
    expect(fresh.line).toContain('last backup 1.0 days ago');
    expect(fresh.line).toContain('last_backup_age=86400s;172800;604800;0;');
    const stale = `pacs_backup_configured 1\npacs_last_backup_timestamp_seconds ${dayAgo - 3 * 86400}`;
    expect(judge(at(stale), DEFAULT_THRESHOLDS, monday10).line).toMatch(/^PACS WARNING - last backup 4.0 days ago/);
    const never = judge(
      at('pacs_backup_configured 1\npacs_last_backup_timestamp_seconds 0'),
      DEFAULT_THRESHOLDS,
      monday10,
    );
    expect(never.line).toMatch(/^PACS CRITICAL - no backup has succeeded/);
  });

  it('judges the objects the verification found damaged, when the archive says', () => {
    const at = (n: number) => [...metrics(), ...parseMetrics(`pacs_storage_problems ${n}`)];
    const none = judge(at(0), DEFAULT_THRESHOLDS, monday10);
    expect(none.code).toBe(0);
    expect(none.line).toContain('damaged_objects=0;1;1;0;');
    expect(judge(at(2), DEFAULT_THRESHOLDS, monday10).line).toMatch(/^PACS CRITICAL - 2 damaged object\(s\)/);
    const lenient = { ...DEFAULT_THRESHOLDS, damagedWarning: 1, damagedCritical: 5 };
    expect(judge(at(2), lenient, monday10).code).toBe(1);
    expect(thresholdsFrom({ 'damaged-critical': '5' })).toMatchObject({ damagedCritical: 5 });
  });

  it('goes critical when a storage folder or its mirror is not there', () => {
    const samples = [
      ...metrics(),
      ...parseMetrics('pacs_storage_present{device="MAG0"} 1\npacs_storage_present{device="MAG1"} 0'),
    ];
    const { code, line } = judge(samples, DEFAULT_THRESHOLDS, monday10);
    expect(code).toBe(2);
    expect(line).toMatch(/^PACS CRITICAL - MAG1 is not there, MAG0 47684 MB free/);
  });

  it('is UNKNOWN when /metrics lacks a figure, and refuses a threshold that is no number', () => {
    expect(judge(parseMetrics('up 1'), DEFAULT_THRESHOLDS, monday10)).toEqual({
      code: 3,
      line: 'PACS UNKNOWN - /metrics did not say the free space, the queue and the last object',
    });
    expect(thresholdsFrom({ 'free-warning': '10G' })).toEqual({
      error: '--free-warning takes a whole number, not "10G"',
    });
    expect(thresholdsFrom({ hours: '19-7' })).toMatchObject({ error: expect.stringContaining('--hours is FROM-TO') });
    expect(thresholdsFrom({ days: '0-6', hours: '0-24', 'idle-warning': '15' })).toMatchObject({
      days: [0, 1, 2, 3, 4, 5, 6],
      hours: [0, 24],
      idleWarningMinutes: 15,
    });
  });

  it('serves /metrics to this computer, and elsewhere only to who shows MetricsToken', () => {
    const token = 'a-token-of-at-least-16';
    expect(() => allowScrape('127.0.0.1', undefined, '')).not.toThrow();
    expect(() => allowScrape('::ffff:127.0.0.1', undefined, token)).not.toThrow();
    expect(() => allowScrape('::1', undefined, '')).not.toThrow();
    expect(() => allowScrape('192.168.1.20', undefined, '')).toThrow(/answers this computer only/);
    expect(() => allowScrape('192.168.1.20', undefined, token)).toThrow(/needs the metrics token/);
    expect(() => allowScrape('192.168.1.20', 'Bearer wrong-token-of-length', token)).toThrow(/needs the metrics token/);
    expect(() => allowScrape('192.168.1.20', `Bearer ${token}`, token)).not.toThrow();
  });
});
