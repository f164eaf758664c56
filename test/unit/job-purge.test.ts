import { describe, expect, it } from 'vitest';
import { SqliteIndex } from '../../main/index/sqlite.ts';
import { JobQueue } from '../../main/jobs/job-queue.ts';
import type { JobRunner } from '../../main/jobs/job-queue.ts';
import type { JobKind } from '../../main/jobs/job.ts';

const idle: JobRunner = async () => undefined;
const runners = { send: idle, forward: idle, move: idle, get: idle } satisfies Partial<Record<JobKind, JobRunner>>;
const log = { debug() {}, info() {}, warn() {}, error() {} } as never;

describe('job history (JobHistoryDays)', () => {
  it('removes the finished jobs older than the days kept, and keeps everything when it is 0', async () => {
    const index = new SqliteIndex(':memory:');
    try {
      const store = index.jobStore();
      const now = Date.parse('2026-11-26T12:00:00Z');
      const job = async (finishedAt: string) => {
        const j = await store.createJob({ kind: 'send', source: '', destination: 'X' });
        await store.updateJob(j.id, { state: 'done', finishedAt });
        return j.id;
      };
      const old = await job('2026-10-01T12:00:00.000Z');
      const young = await job('2026-11-20T12:00:00.000Z');
      let days = 0;
      const queue = new JobQueue({
        store,
        runners,
        log,
        settings: () => ({ maxRetries: 0, retryDelaySeconds: 1, maxPerNode: 1, historyDays: days }),
      });
      expect(await queue.purge(now)).toBe(0);
      expect(await store.getJob(old)).toBeDefined();
      days = 30;
      expect(await queue.purge(now)).toBe(1);
      expect(await store.getJob(old)).toBeUndefined();
      expect(await store.getJob(young)).toBeDefined();
    } finally {
      await index.close();
    }
  });
});
