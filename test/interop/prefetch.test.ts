import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, type MadeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until, valueWhen } from '../helpers/wait.ts';
import { seg } from '../helpers/hl7-segments.ts';
import { parsePrefetchRule, startWithin } from '../../common/prefetch-rules.ts';

interface JobRow {
  id: number;
  kind: string;
  state: string;
  source: string;
  nextAttemptAt: number;
  query?: { keys: Record<string, string> };
}

/**
 * Priors before they are needed (issue 32.3): an ORM^O01 sent with python3-hl7's mllp_send makes the patient's two
 * newest CT studies (within ten years) come from the main PACS, a second archive, before the modality sends anything;
 * the MR and the old CT stay there; a second order finds them here and fetches nothing; a rule with a time window
 * waits for it.
 */
describe('prefetch rules', () => {
  let main: TestArchive;
  let ours: TestArchive;
  let work: string;
  let hl7Port = 0;
  const study = (date: string, modality: string) => ({ uid: uid(), date, modality });
  const ctNew = study('20250301', 'CT');
  const ctOlder = study('20240115', 'CT');
  const mr = study('20250601', 'MR');
  const ctOld = study('20050101', 'CT');
  const all = [ctNew, ctOlder, mr, ctOld];

  const jobs = async () => (await (await apiFetch(ours, 'GET', '/api/jobs')).json()) as JobRow[];
  const here = async (uids: string[]) => [...(await ours.server.core.index.patientsOfStudies(uids)).keys()].sort();
  const send = async (patientId: string, order: string) => {
    const hl7 = [
      `MSH|^~\\&|HIS|NEMOCNICE|PACSWS|RDG|20261208080000||ORM^O01|ORM-${order}|P|2.3.1`,
      seg('PID', { 3: `${patientId}^^^NEM`, 5: 'Novak^Jan', 7: '19600101', 8: 'M' }),
      seg('ORC', { 1: 'NW', 2: order, 3: `F-${order}`, 5: 'SC' }),
      seg('OBR', {
        1: '1',
        2: order,
        3: `F-${order}`,
        4: 'CT-HEAD^CT hlavy',
        18: `ACC-${order}`,
        19: `RP-${order}`,
        20: `SPS-${order}`,
        24: 'CT',
        27: '^^^20261208093000',
      }),
    ].join('\r');
    const file = path.join(work, `${order}.hl7`);
    await writeFile(file, `${hl7}\n`);
    const r = await run('mllp_send', ['--loose', '-f', file, '-p', String(hl7Port), '127.0.0.1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('MSA|AA');
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-prefetch-'));
    main = await startArchive({}, [], 'MAINPACS');
    ours = await startArchive(
      {
        HL7Listener: '1',
        HL7Port: '0',
        PrefetchRules: 'on order from MAINPACS newest 2 modality CT years 10',
      },
      [`MAINPACS 127.0.0.1 ${main.port} un`],
      'RADIOLOGY',
    );
    hl7Port = ours.server.hl7!.port;
    const added = await apiFetch(main, 'POST', '/api/nodes', {
      ae: 'RADIOLOGY',
      host: '127.0.0.1',
      port: ours.port,
      compression: 'un',
    });
    expect(added.status).toBe(200);
    const images: MadeImage[] = all.flatMap((s) =>
      [1, 2].map(() =>
        makeImage({ patientId: 'H200', studyUid: s.uid, studyDate: s.date, modality: s.modality, rows: 8, columns: 8 }),
      ),
    );
    images.push(makeImage({ patientId: 'OTHER', modality: 'CT', rows: 8, columns: 8 }));
    expect((await storeAs(main, 'MODALITY', images, work)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await ours?.stop();
    await main?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('fetches the two newest CT priors when an order arrives, and nothing else', async () => {
    await send('H200', 'P1');
    await until('both CT priors are here', async () => (await here(all.map((s) => s.uid))).length === 2);
    expect(await here(all.map((s) => s.uid))).toEqual([ctNew.uid, ctOlder.uid].sort());
    const done = await valueWhen(
      'the prefetch and its retrieves ended',
      jobs,
      (js) => js.some((j) => j.kind === 'prefetch') && js.every((j) => j.state === 'done'),
    );
    const moves = done.filter((j) => j.kind === 'move');
    expect(moves.map((j) => j.query?.keys.StudyInstanceUID).sort()).toEqual([ctNew.uid, ctOlder.uid].sort());
    expect(moves.every((j) => j.source === 'MAINPACS')).toBe(true);
    expect(await ours.server.core.index.counts()).toMatchObject({ studies: 2, instances: 4 });
  }, 60_000);

  it('does not fetch again what is here when the next order comes', async () => {
    await send('H200', 'P2');
    const done = await valueWhen(
      'the second prefetch ended',
      jobs,
      (js) => js.filter((j) => j.kind === 'prefetch').length === 2 && js.every((j) => j.state === 'done'),
    );
    expect(done.filter((j) => j.kind === 'move')).toHaveLength(2);
    expect(ours.logText()).toMatch(/priors of H200 \(order ACC-P2\): 0 asked for \(none\), 2 already here/);
  }, 60_000);

  it('waits for a rule’s time window', async () => {
    const now = new Date();
    const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    const from = new Date(now.getTime() + 2 * 3600_000);
    const to = new Date(now.getTime() + 3 * 3600_000);
    const text = `on order from MAINPACS newest 1 between ${hhmm(from)}-${hhmm(to)}`;
    await ours.setIni('PrefetchRules', text);
    const before = Date.now();
    await send('H200', 'P3');
    const waiting = await valueWhen('a prefetch job waits', jobs, (js) =>
      js.some((j) => j.kind === 'prefetch' && j.state === 'queued'),
    );
    const job = waiting.find((j) => j.kind === 'prefetch' && j.state === 'queued')!;
    const expected = startWithin(parsePrefetchRule(text), new Date(before)).getTime();
    expect(Math.abs(job.nextAttemptAt - expected)).toBeLessThan(60_000);
    expect(job.nextAttemptAt).toBeGreaterThan(Date.now() + 3600_000);
  }, 60_000);
});
