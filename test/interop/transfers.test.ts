import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { slowLink } from '../helpers/slow-link.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { textOf } from '../../main/dicom/dataset.ts';
import { QrSopClass } from '../../common/uids.ts';
import type { AssociationEvent, JobEvent, ObjectEvent } from '../../main/runtime/events.ts';

/**
 * Our archive (LOCAL) talking to a second instance of itself as a remote PACS (REMOTEPACS) and to DCMTK's storescp:
 * echo, find, move here, get here, move to a third node, send, and a forwarding rule, watched through the event stream.
 */
describe('SCU operations and jobs between two archives and storescp', () => {
  let local: TestArchive;
  let remote: TestArchive;
  let scp: RunningStorescp;
  let work: string;
  const X = { study: uid(), files: [] as string[] };
  const Y = { study: uid() };
  const events = { association: [] as AssociationEvent[], object: [] as ObjectEvent[], job: [] as JobEvent[] };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-transfers-'));
    scp = await startStorescp('STORESCP');
    remote = await startArchive({}, [], 'REMOTEPACS');
    local = await startArchive(
      {
        RetryDelay: '1',
        MaximumExportRetries: '1',
        ExportConverters: '1',
        ExportConverter0: 'forward to STORESCP',
        ExportModality0: 'MR',
      },
      [
        `REMOTEPACS 127.0.0.1 ${remote.port} un`,
        `STORESCP 127.0.0.1 ${scp.port} un`,
        `WRONGAE 127.0.0.1 ${remote.port} un`,
      ],
      'LOCAL',
    );
    remote.server.config.nodes.upsert({ ae: 'LOCAL', host: '127.0.0.1', port: local.port, compression: 'un' });
    remote.server.config.nodes.upsert({ ae: 'STORESCP', host: '127.0.0.1', port: scp.port, compression: 'un' });
    const xImages = Array.from({ length: 5 }, (_, i) =>
      makeImage({ patientId: 'PX', studyUid: X.study, instanceNumber: i + 1 }),
    );
    const yImages = Array.from({ length: 3 }, (_, i) =>
      makeImage({ patientId: 'PY', studyUid: Y.study, instanceNumber: i + 1 }),
    );
    X.files = await writeImages(path.join(work, 'x'), xImages);
    const files = [...X.files, ...(await writeImages(path.join(work, 'y'), yImages))];
    expect((await run('storescu', ['-aec', 'REMOTEPACS', '127.0.0.1', String(remote.port), ...files])).code).toBe(0);
    local.server.core.events.on('association', (e) => events.association.push(e));
    local.server.core.events.on('object', (e) => events.object.push(e));
    local.server.core.events.on('job', (e) => events.job.push(e));
  });
  afterAll(async () => {
    await local?.stop();
    await remote?.stop();
    await scp?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const transfers = () => local.server.transfers;

  it('echoes a node, and says plainly when a node refuses the association', async () => {
    expect(await transfers().echo('REMOTEPACS')).toBeGreaterThan(0);
    await expect(transfers().echo('WRONGAE')).rejects.toThrow(
      /WRONGAE at 127\.0\.0\.1:\d+ refused the association: .*does not accept the called AE title.*reason 7/,
    );
    await expect(transfers().echo('NOBODY')).rejects.toThrow(/not in acrnema\.map/);
  });

  it('finds studies on the remote archive', async () => {
    const answers = await transfers().client.find(
      transfers().node('REMOTEPACS')!,
      QrSopClass.StudyRootFind,
      identifierFromKeywords({ PatientID: '', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' }, 'STUDY'),
    );
    const byStudy = new Map(answers.map((a) => [textOf(a.get(0x0020000d)), textOf(a.get(0x00201208))]));
    expect(byStudy).toEqual(
      new Map([
        [X.study, '5'],
        [Y.study, '3'],
      ]),
    );
  });

  it('asks the remote archive for its worklist, matching inside the scheduled step', async () => {
    await remote.server.index.addWorklistEntry({
      patientId: 'W1',
      patientName: 'Doe^Jane',
      modality: 'MR',
      scheduledAe: 'MR1',
      scheduledDate: '20261126',
    });
    await remote.server.index.addWorklistEntry({
      patientId: 'W2',
      patientName: 'Roe^Rick',
      modality: 'CT',
      scheduledAe: 'CT1',
      scheduledDate: '20261126',
    });
    const identifier = identifierFromKeywords({ PatientName: '', PatientID: '' });
    identifier.set(0x00400100, {
      tag: 0x00400100,
      vr: 'SQ',
      value: [
        identifierFromKeywords({
          Modality: 'MR',
          ScheduledProcedureStepStartDate: '20261126',
          ScheduledStationAETitle: '',
        }),
      ],
    });
    const answers = await transfers().client.find(
      transfers().node('REMOTEPACS')!,
      QrSopClass.ModalityWorklistFind,
      identifier,
    );
    expect(answers.map((a) => textOf(a.get(0x00100020)))).toEqual(['W1']);
    const step = (answers[0]!.get(0x00400100)!.value as Map<number, { value: Buffer }>[])[0]!;
    expect(step.get(0x00400001)!.value.toString().trim()).toBe('MR1');
  });

  it('moves a study from the remote archive to us as a job, with events for the association, each object and the job', async () => {
    const job = await transfers().retrieve(
      'REMOTEPACS',
      { level: 'STUDY', keys: { StudyInstanceUID: X.study } },
      'move',
    );
    await transfers().queue.idle();
    const moved = (await transfers().queue.get(job.id))!;
    expect(moved).toMatchObject({ state: 'done', total: 5, done: 5, failed: 0, attempts: 1 });
    // Its size: what arrived from the node while it ran (the C-MOVE's objects come on another association).
    const sizes = events.object
      .filter((o) => o.direction === 'received' && o.peerAe === 'REMOTEPACS')
      .reduce((n, o) => n + o.size, 0);
    expect(moved.bytes).toBe(sizes);
    expect(moved.bytes).toBeGreaterThan(5 * 8000);
    for (const f of X.files) expect(await local.server.index.findInstance(path.basename(f, '.dcm'))).toBeDefined();
    expect(events.association).toContainEqual(
      expect.objectContaining({ type: 'opened', role: 'requestor', calledAe: 'REMOTEPACS', callingAe: 'LOCAL' }),
    );
    expect(events.association).toContainEqual(
      expect.objectContaining({ type: 'closed', role: 'acceptor', callingAe: 'REMOTEPACS' }),
    );
    expect(
      events.object.filter((o) => o.direction === 'received' && o.peerAe === 'REMOTEPACS' && o.status === 0),
    ).toHaveLength(5);
    expect(events.job.filter((e) => e.id === job.id).map((e) => e.state)).toEqual(
      expect.arrayContaining(['queued', 'running', 'done']),
    );
  });

  it('gets a study from the remote archive over one association (C-GET)', async () => {
    const job = await transfers().retrieve(
      'REMOTEPACS',
      { level: 'STUDY', keys: { StudyInstanceUID: Y.study } },
      'get',
    );
    await transfers().queue.idle();
    expect(await transfers().queue.get(job.id)).toMatchObject({ kind: 'get', state: 'done', done: 3, failed: 0 });
    expect((await transfers().queue.get(job.id))!.bytes).toBeGreaterThan(3 * 8000);
    const here = await local.server.index.queryArchive(
      1,
      [],
      [
        {
          attr: (await import('../../main/query/attributes.ts')).QR_BY_TAG.get(0x0020000d)!,
          match: { kind: 'single', value: Y.study },
        },
      ],
    );
    expect(here).toHaveLength(1);
  });

  it('keeps the total the node announced when a retrieve is cancelled half way', async () => {
    const Z = uid();
    const images = Array.from({ length: 40 }, (_, i) =>
      makeImage({ patientId: 'PZ', studyUid: Z, instanceNumber: i + 1, rows: 16, columns: 16 }),
    );
    expect(
      (
        await run('storescu', [
          '-aec',
          'REMOTEPACS',
          '127.0.0.1',
          String(remote.port),
          ...(await writeImages(path.join(work, 'z'), images)),
        ])
      ).code,
    ).toBe(0);
    // The remote's sub-operations reach us through a link that holds each of our answers 30 ms: it is still running.
    const link = await slowLink(local.port, 30);
    remote.server.config.nodes.upsert({ ae: 'LOCAL', host: '127.0.0.1', port: link.port, compression: 'un' });
    try {
      const job = await transfers().retrieve('REMOTEPACS', { level: 'STUDY', keys: { StudyInstanceUID: Z } }, 'move');
      await vi.waitFor(async () => expect((await transfers().queue.get(job.id))!.done).toBeGreaterThanOrEqual(3), {
        timeout: 20_000,
      });
      await transfers().queue.cancel(job.id);
      await transfers().queue.idle();
      const cancelled = (await transfers().queue.get(job.id))!;
      expect(cancelled).toMatchObject({ state: 'cancelled', total: 40 });
      expect(cancelled.done).toBeLessThan(40);
    } finally {
      remote.server.config.nodes.upsert({ ae: 'LOCAL', host: '127.0.0.1', port: local.port, compression: 'un' });
      await link.close();
    }
  });

  it('has the remote archive move a study to a third node', async () => {
    const before = (await scp.files()).length;
    const job = await transfers().retrieve(
      'REMOTEPACS',
      { level: 'STUDY', keys: { StudyInstanceUID: X.study } },
      'move',
      'STORESCP',
    );
    await transfers().queue.idle();
    expect(await transfers().queue.get(job.id)).toMatchObject({ state: 'done', done: 5 });
    expect((await scp.files()).length - before).toBe(5);
  });

  it('sends a local study to storescp, each object as it is stored', async () => {
    const received = new Set((await scp.files()).map((f) => path.basename(f)));
    const job = await transfers().send('STORESCP', 'STUDY', X.study);
    await transfers().queue.idle();
    const done = await transfers().queue.get(job.id);
    expect(done).toMatchObject({ kind: 'send', state: 'done', total: 5, done: 5, failed: 0 });
    expect(done!.bytes).toBeGreaterThan(5 * 8000);
    for (const f of X.files) {
      const sop = path.basename(f, '.dcm');
      const got = (await scp.files()).find((g) => g.endsWith(sop));
      expect(got, `storescp has ${sop}`).toBeDefined();
      expect(await dumpDataSet(got!)).toBe(await dumpDataSet(f));
    }
    expect(received.size).toBeGreaterThan(0);
    expect(events.object.filter((o) => o.direction === 'sent' && o.peerAe === 'STORESCP')).toHaveLength(5);
  });

  it('forwards what the rule selects (MR) as it is stored, and nothing else', async () => {
    const study = uid();
    const mr = makeImage({ studyUid: study, modality: 'MR' });
    const ct = makeImage({ studyUid: study, modality: 'CT' });
    const r = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      'LOCAL',
      '127.0.0.1',
      String(local.port),
      ...(await writeImages(path.join(work, 'fwd'), [mr, ct])),
    ]);
    expect(r.code, r.stderr).toBe(0);
    await transfers().queue.idle();
    const names = (await scp.files()).map((f) => path.basename(f));
    expect(names.some((n) => n.endsWith(mr.sopUid))).toBe(true);
    expect(names.some((n) => n.endsWith(ct.sopUid))).toBe(false);
    const forwards = (await local.server.index.jobStore().listJobs()).filter((j) => j.kind === 'forward');
    expect(forwards.at(-1)).toMatchObject({ destination: 'STORESCP', state: 'done', studyUid: study, done: 1 });
  });
});
