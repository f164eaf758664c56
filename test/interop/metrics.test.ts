import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedConfig } from '../../main/config/load.ts';
import { serveCli, setIniKey } from '../helpers/cli-server.ts';
import { run } from '../helpers/dcmtk.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { makeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { freePort, startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { until, valueWhen } from '../helpers/wait.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

/**
 * Monitoring (issue 33.1): the headless archive's /metrics scraped by Debian's Prometheus on loopback, its series read
 * back through Prometheus' HTTP API after storescu, echoscu and findscu worked with the archive; and `cli.ts check`,
 * the NRPE plugin, judging the same figures against its thresholds.
 */
describe('monitoring: /metrics read by Prometheus, and the NRPE check', () => {
  let work: string;
  let data: string;
  let server: ReturnType<typeof serveCli>;
  let archive: { aeTitle: string; port: number; origin: string; token: string };
  let peer: RunningStorescp;
  let prometheus: ChildProcess;
  let promUrl: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-metrics-'));
    data = path.join(work, 'data');
    await seedConfig(path.join(data, 'config'));
    await setIniKey(data, 'MyACRNema', 'WATCHED');
    // A forward to a node that never answers: its job waits in the queue (the check's oldest queued job).
    const down = await freePort();
    peer = await startStorescp('PEER');
    await appendFile(
      path.join(data, 'config', 'acrnema.map'),
      `DOWN 127.0.0.1 ${down} un\nPEER 127.0.0.1 ${peer.port} un\n`,
    );
    await setIniKey(data, 'ExportConverters', '1');
    await setIniKey(data, 'ExportConverter0', 'ifequal "%u", "QUEUED"; forward to DOWN');
    server = serveCli(data);
    const started = await server.started;
    archive = { aeTitle: 'WATCHED', port: started.port, origin: started.origin, token: started.token };
    const promPort = await freePort();
    const config = path.join(work, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: pacs',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['${new URL(archive.origin).host}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      '/usr/bin/prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    promUrl = `http://127.0.0.1:${promPort}`;
    await until(
      'Prometheus answers',
      async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok === true,
    );
  }, 120_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const gone = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await gone;
    }
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await peer?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** The samples of a PromQL query, as Prometheus answers it: labels and value. */
  const query = async (promql: string) => {
    const answer = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return answer.data.result.map(
      (r) =>
        ({ ...r.metric, value: Number(r.value[1]) }) as Record<string, string> & {
          value: number;
        },
    );
  };
  const check = (...args: string[]) => run(process.execPath, [CLI, 'check', '--data', data, ...args]);

  it('is scraped: objects by peer and service, requests answered with their times, storage, index and the process', async () => {
    const images = [1, 2, 3].map(() => makeImage({ rows: 8, columns: 8 }));
    expect((await storeAs(archive, 'CT01', images, work)).code).toBe(0);
    expect((await run('echoscu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)])).code).toBe(0);
    const found = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID'],
    );
    expect(found.answers).toHaveLength(3);
    const received = await valueWhen(
      'Prometheus has the three objects from CT01',
      async () => (await query('pacs_objects_total{direction="received",peer_ae="CT01",outcome="ok"}'))[0],
      (s) => s?.value === 3,
    );
    expect(received).toMatchObject({ service: 'C-STORE', job: 'pacs' });
    const [bytes] = await query('pacs_object_bytes_total{peer_ae="CT01"}');
    expect(bytes!.value).toBeGreaterThan(3 * 8 * 8 * 2);
    await valueWhen(
      'Prometheus has the C-ECHO, the C-FIND and the C-STOREs answered',
      async () =>
        Object.fromEntries((await query('pacs_dimse_request_duration_seconds_count')).map((c) => [c.command, c.value])),
      (by) => by['C-ECHO'] === 1 && by['C-FIND'] === 1 && by['C-STORE'] === 3,
    );
    // A histogram: the C-FIND's time fell in a bucket (le = +Inf holds every request).
    const [inf] = await query('pacs_dimse_request_duration_seconds_bucket{command="C-FIND",le="+Inf"}');
    expect(inf!.value).toBe(1);
    const [free] = await query('pacs_storage_free_bytes{device="MAG0"}');
    expect(free!.value).toBeGreaterThan(0);
    const index = await query('pacs_index_entries');
    expect(Object.fromEntries(index.map((i) => [i.level, i.value]))).toMatchObject({ object: 3, study: 3 });
    expect((await query('pacs_index_size_bytes'))[0]!.value).toBeGreaterThan(0);
    expect((await query('pacs_associations_open')).map((a) => a.role).sort()).toEqual(['acceptor', 'requestor']);
    // A request this archive makes of another node (SCU): a C-ECHO from the Nodes screen.
    const echo = await fetch(`${archive.origin}/api/nodes/PEER/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${archive.token}` },
    });
    expect(echo.status, await echo.clone().text()).toBe(200);
    await valueWhen(
      'Prometheus has the C-ECHO this archive made',
      async () => (await query('pacs_dimse_scu_request_duration_seconds_count{command="C-ECHO",outcome="ok"}'))[0],
      (s) => s?.value === 1,
    );
    expect((await query('process_resident_memory_bytes'))[0]!.value).toBeGreaterThan(10 << 20);
    expect(await query('nodejs_eventloop_lag_seconds')).toHaveLength(1);
  });

  it('is the NRPE check: OK, WARNING and CRITICAL by its thresholds, in the plugin format', async () => {
    const ok = await check('--failed-warning', '1000', '--failed-critical', '1000');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^PACS OK - MAG0 \d+ MB free, oldest queued job \d+ s, .* \| free_MAG0=\d+B;\d+;\d+;0; /);
    // Less free space than the thresholds ask: the device is named first.
    const low = await check('--free-warning', '100000000', '--failed-warning', '1000', '--failed-critical', '1000');
    expect(low.code).toBe(1);
    expect(low.stdout).toMatch(/^PACS WARNING - MAG0 \d+ MB free, /);
    const lower = await check('--free-warning', '100000000', '--free-critical', '100000000');
    expect(lower.code).toBe(2);
    expect(lower.stdout).toMatch(/^PACS CRITICAL - MAG0 /);
    // An object whose forward cannot go: its job waits, and past --queue-warning seconds the check says so.
    expect((await storeAs(archive, 'QUEUED', [makeImage({ rows: 8, columns: 8 })], work)).code).toBe(0);
    await until('the forward to DOWN waits in the queue', async () => {
      const res = await check('--queue-warning', '0', '--failed-warning', '1000', '--failed-critical', '1000');
      return res.code === 1 && /oldest queued job [1-9]\d* s/.test(res.stdout);
    });
    const bad = await check('--queue-warning', 'soon');
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain('PACS UNKNOWN - --queue-warning takes a whole number, not "soon"');
  });

  it('says CRITICAL when no archive runs on the data folder', async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    const res = await check();
    expect(res.code).toBe(2);
    expect(res.stdout).toBe(`PACS CRITICAL - no archive runs on ${data}\n`);
  });
});
