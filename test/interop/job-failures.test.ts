import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { freePort, startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { slowLink, type SlowLink } from '../helpers/slow-link.ts';
import type { Job } from '../../main/jobs/job.ts';

/** Jobs against nodes that refuse, go away, or are down while the archive restarts. */
describe('transfer jobs when things go wrong', () => {
  let local: TestArchive;
  let picky: TestArchive;
  const scps: RunningStorescp[] = [];
  let work: string;
  const ports = { vanishing: 0, restart: 0, down: 0 };
  /** The sends that are stopped mid-way go through links that hold each answer 30 ms, so they are still running then. */
  const links: SlowLink[] = [];
  const big = uid();
  const small = uid();

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-jobfail-'));
    picky = await startArchive({ RequireKnownCallingAE: '1' }, [], 'PICKY');
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    links.push(await slowLink(ports.vanishing, 30), await slowLink(ports.restart, 30));
    local = await startArchive(
      {
        RetryDelay: '1',
        MaximumExportRetries: '1',
        MaxJobsPerNode: '1',
        ExportConverters: '1',
        ExportConverter0: 'forward to DOWN',
        ExportModality0: 'US',
      },
      [
        `PICKY 127.0.0.1 ${picky.port} un`,
        `VANISHING 127.0.0.1 ${links[0]!.port} un`,
        `RESTART 127.0.0.1 ${links[1]!.port} un`,
        `DOWN 127.0.0.1 ${ports.down} un`,
      ],
      'LOCAL',
    );
    const many = Array.from({ length: 60 }, (_, i) =>
      makeImage({ studyUid: big, instanceNumber: i + 1, rows: 16, columns: 16 }),
    );
    const few = Array.from({ length: 3 }, (_, i) => makeImage({ studyUid: small, instanceNumber: i + 1 }));
    const files = [
      ...(await writeImages(path.join(work, 'big'), many)),
      ...(await writeImages(path.join(work, 'small'), few)),
    ];
    expect((await run('storescu', ['-aec', 'LOCAL', '127.0.0.1', String(local.port), ...files])).code).toBe(0);
  });
  afterAll(async () => {
    await local?.stop();
    await picky?.stop();
    for (const s of scps) await s.stop();
    for (const l of links) await l.close();
    await rm(work, { recursive: true, force: true });
  });

  const queue = () => local.server.transfers.queue;
  async function until(what: string, check: () => Promise<boolean>, seconds = 20): Promise<void> {
    for (let i = 0; i < seconds * 20; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting until ${what}`);
  }
  const job = async (id: number): Promise<Job> => (await queue().get(id))!;

  it('retries a node that refuses the association, then fails the job with the reason', async () => {
    const started = Date.now();
    const { id } = await local.server.transfers.send('PICKY', 'STUDY', small);
    await queue().idle();
    const failed = await job(id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 2, done: 0 });
    expect(failed.error).toMatch(/PICKY at 127\.0\.0\.1:\d+ refused the association/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // the retry waited RetryDelay
    expect(local.logText()).toMatch(new RegExp(`job ${id} attempt 1 failed .*next try in 1 s`));
  });

  it('fails a send whose node goes away mid-transfer, after retrying, keeping what was done', async () => {
    const scp = await startStorescp('VANISHING', [], process.env, ports.vanishing);
    scps.push(scp);
    const { id } = await local.server.transfers.send('VANISHING', 'STUDY', big);
    await until('some objects are sent', async () => (await job(id)).done >= 5);
    // The node goes away: its storescp and the link in front of it.
    scp.kill();
    await links[0]!.close();
    await queue().idle();
    const failed = await job(id);
    expect(failed.state).toBe('failed');
    expect(failed.done).toBeGreaterThanOrEqual(5);
    expect(failed.done).toBeLessThan(60);
    expect(failed.error).toMatch(/cannot connect to VANISHING at 127\.0\.0\.1:\d+/);
    expect(local.logText()).toMatch(new RegExp(`job ${id} attempt 1 failed \\(.*VANISHING.*\\)`));
    // Retry by id once the node is back: only what was not sent goes.
    const back = await startStorescp('VANISHING', [], process.env, ports.vanishing);
    scps.push(back);
    links[0] = await slowLink(ports.vanishing, 30, links[0]!.port);
    await queue().retry(id);
    await queue().idle();
    expect(await job(id)).toMatchObject({ state: 'done', done: 60, failed: 0 });
    expect((await back.files()).length).toBe(60 - failed.done);
  });

  it('resumes a running send after a restart without sending again what was done', async () => {
    const scp = await startStorescp('RESTART', [], process.env, ports.restart);
    scps.push(scp);
    const { id } = await local.server.transfers.send('RESTART', 'STUDY', big);
    await until('some objects are sent', async () => (await job(id)).done >= 5);
    await local.restart();
    await local.server.transfers.queue.idle();
    expect(await job(id)).toMatchObject({ state: 'done', total: 60, done: 60, failed: 0 });
    const names = new Set((await scp.files()).map((f) => path.basename(f)));
    expect(names.size).toBe(60);
    expect(local.logText()).toMatch(/1 job\(s\) interrupted by the last stop are queued again/);
  });

  it('stores objects at once while their forward destination is down; the forward waits in the queue', async () => {
    const us = makeImage({ modality: 'US' });
    const started = performance.now();
    const r = await run('storescu', [
      '-aec',
      'LOCAL',
      '127.0.0.1',
      String(local.port),
      ...(await writeImages(path.join(work, 'us'), [us])),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await local.server.index.findInstance(us.sopUid)).toBeDefined();
    // The attempt is counted when it starts and its error written when it ends: wait for both.
    await until('the forward was tried and failed', async () =>
      (await queue().list()).some((j) => j.kind === 'forward' && j.attempts >= 1 && j.error),
    );
    const forward = (await queue().list()).find((j) => j.kind === 'forward')!;
    expect(forward).toMatchObject({ destination: 'DOWN', total: 1, done: 0 });
    expect(forward.error).toMatch(/cannot connect to DOWN/);
  });

  it('keeps a queued job waiting for a node that is down across a restart, and runs it when the node is up', async () => {
    const { id } = await local.server.transfers.send('DOWN', 'STUDY', small);
    await until(
      'the first attempt failed',
      async () => (await job(id)).attempts === 1 && (await job(id)).state === 'queued',
    );
    await local.server.stop();
    const scp = await startStorescp('DOWN', [], process.env, ports.down);
    scps.push(scp);
    await local.restart();
    await local.server.transfers.queue.idle();
    expect(await job(id)).toMatchObject({ state: 'done', done: 3, attempts: 2 });
    // The forward from the test above went too, once the node was up (its retries ran out first, or it was still queued).
    const forward = (await queue().list()).find((j) => j.kind === 'forward')!;
    if (forward.state === 'failed') await queue().retry(forward.id);
    await queue().idle();
    expect(await job(forward.id)).toMatchObject({ state: 'done', done: 1 });
    expect((await scp.files()).length).toBe(4);
  });

  it('runs at most MaxJobsPerNode jobs with one node at a time', async () => {
    const running = new Set<number>();
    let most = 0;
    const watch = (e: { id: number; state: string; destination: string }) => {
      if (e.destination !== 'RESTART') return;
      if (e.state === 'running') running.add(e.id);
      else running.delete(e.id);
      most = Math.max(most, running.size);
    };
    local.server.core.events.on('job', watch);
    const jobs = await Promise.all([1, 2, 3].map(() => local.server.transfers.send('RESTART', 'STUDY', small)));
    await queue().idle();
    local.server.core.events.off('job', watch);
    for (const j of jobs) expect(await job(j.id)).toMatchObject({ state: 'done', done: 3 });
    expect(most).toBe(1);
  });

  it('cancels a running job by id', async () => {
    // The RESTART node's storescp from the test above still runs.
    const { id } = await local.server.transfers.send('RESTART', 'STUDY', big);
    await until('it runs', async () => (await job(id)).done >= 2);
    const cancelled = await queue().cancel(id);
    expect(cancelled).toMatchObject({ state: 'cancelled' });
    expect(cancelled!.done).toBeLessThan(60);
  });
});
