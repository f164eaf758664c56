import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { CT_IMAGE_STORAGE, makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';
import { freePort, startStorescp } from '../helpers/storescp.ts';
import type { Job } from '../../main/jobs/job.ts';
import { valueWhen } from '../helpers/wait.ts';
import { StorageSopClass } from '../../common/uids.ts';

type Report = {
  Status: string;
  Success?: { SOPClassUID: string; SOPInstanceUID: string }[];
  Failures?: { SOPClassUID: string; SOPInstanceUID: string; FailureReason: number }[];
};

/**
 * Storage Commitment Push Model (issue 16) with Orthanc 1.10 as the peer in both roles. Orthanc as SCU asks us to
 * commit to objects (one of which we do not hold) and takes our report on the association we open to it; our send job
 * asks Orthanc for commitment and takes its report on the association Orthanc opens to us. A restart between request
 * and report loses nothing.
 */
/** A job once it has ended (the report can reach the peer before the job's end is written). */
const ended = (find: () => Promise<Job | undefined>) =>
  valueWhen('the job ends', find, (job) => job?.state === 'done' || job?.state === 'failed');

describe('Storage Commitment with Orthanc', () => {
  let archive: TestArchive;
  let orthanc: RunningOrthanc;
  let work: string;
  const study = uid();
  const images = [1, 2, 3].map((n) =>
    makeImage({
      patientId: 'SC1',
      patientName: 'Commit^Test',
      studyUid: study,
      instanceNumber: n,
      rows: 16,
      columns: 16,
    }),
  );

  beforeAll(async () => {
    const orthancPort = await freePort();
    archive = await startArchive({ RetryDelay: '1' }, [
      `ORTHANC 127.0.0.1 ${orthancPort} un`,
      'PLAINSCP 127.0.0.1 1 un',
    ]);
    orthanc = await startOrthanc(
      { url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`, secret: archive.server.apiSecret },
      {
        DicomPort: orthancPort,
        DicomModalities: { ours: [archive.aeTitle, '127.0.0.1', archive.port] },
        DicomAlwaysAllowStore: true,
      },
    );
    work = await mkdtemp(path.join(tmpdir(), 'pacs-commit-'));
    const files = await writeImages(work, images);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(async () => {
    await orthanc?.stop();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const reportOf = (transaction: string) =>
    valueWhen(
      `Orthanc has the report of ${transaction}`,
      () => orthanc.rest<Report>('GET', `/storage-commitment/${transaction}`),
      (report) => report.Status !== 'Pending',
    );

  it('commits to what the archive holds and reports what it does not, to Orthanc as the SCU', async () => {
    const missing = uid();
    const asked = [
      ...images.map((i) => ({ SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: i.sopUid })),
      { SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: missing },
    ];
    const { ID } = await orthanc.rest<{ ID: string }>('POST', '/modalities/ours/storage-commitment', {
      DicomInstances: asked,
    });
    const report = await reportOf(ID);
    expect(report.Status).toBe('Failure');
    expect(report.Success!.map((s) => s.SOPInstanceUID).sort()).toEqual(images.map((i) => i.sopUid).sort());
    expect(report.Failures).toMatchObject([
      { SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: missing, FailureReason: 0x0112 },
    ]);
    const job = await ended(async () =>
      (await archive.server.transfers.queue.list()).find((j) => j.transactionUid === ID),
    );
    expect(job).toMatchObject({ kind: 'commit-report', destination: 'ORTHANC', state: 'done', done: 3, failed: 1 });
  }, 60_000);

  it('does not commit to an object whose file is gone, nor to one named with another SOP class', async () => {
    const [first, second] = images;
    const inst = (await archive.server.index.findInstance(first!.sopUid))!;
    const file = archive.server.store.absolutePath(inst.location);
    const { readFile, writeFile } = await import('node:fs/promises');
    const saved = await readFile(file);
    await unlink(file);
    try {
      const { ID } = await orthanc.rest<{ ID: string }>('POST', '/modalities/ours/storage-commitment', {
        DicomInstances: [
          { SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: first!.sopUid },
          { SOPClassUID: StorageSopClass.MrImage, SOPInstanceUID: second!.sopUid },
        ],
      });
      const report = await reportOf(ID);
      expect(report.Status).toBe('Failure');
      expect(report.Failures!.map((f) => [f.SOPInstanceUID, f.FailureReason]).sort()).toEqual(
        [
          [first!.sopUid, 0x0110],
          [second!.sopUid, 0x0119],
        ].sort(),
      );
    } finally {
      await writeFile(file, saved);
    }
  }, 60_000);

  it('asks Orthanc to commit to a sent study and shows "committed" when its report comes on a new association', async () => {
    const job = await sendWithCommitment('ORTHANC', study);
    expect(job).toMatchObject({ state: 'done', commitment: 'committed', done: 3, failed: 0 });
    expect(job!.transactionUid).toMatch(/^2\.25\.\d+$/);
    expect(archive.logText()).toMatch(/ORTHANC committed to keep 3 object/);
  }, 60_000);

  async function sendWithCommitment(destination: string, studyUid: string): Promise<Job> {
    const res = await apiFetch(archive, 'POST', '/api/send', {
      destination,
      level: 'STUDY',
      uid: studyUid,
      commit: true,
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as Job;
    return (await ended(() => archive.server.transfers.queue.get(id)))!;
  }

  it("shows the objects a node did not commit to as the job's failed objects", async () => {
    // Orthanc already holds an object by that SOP Instance UID with another SOP class: it keeps its own (C-STORE
    // success) and, asked for commitment, reports the conflict.
    const other = uid();
    const conflict = makeImage({
      patientId: 'SC2',
      patientName: 'Commit^Conflict',
      studyUid: other,
      instanceNumber: 1,
      rows: 16,
      columns: 16,
    });
    const mr = makeImage({
      patientId: 'SC2',
      patientName: 'Commit^Conflict',
      studyUid: other,
      instanceNumber: 1,
      rows: 16,
      columns: 16,
      sopUid: conflict.sopUid,
      sopClassUid: StorageSopClass.MrImage,
    });
    await orthanc.rest('POST', '/instances', mr.bytes);
    const [file] = await writeImages(path.join(work, 'conflict'), [conflict]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file!])).code).toBe(0);
    const job = await sendWithCommitment('ORTHANC', other);
    expect(job).toMatchObject({ state: 'failed', commitment: 'failed', failed: 1, done: 0 });
    expect(job.error).toMatch(/1 object\(s\) not committed by ORTHANC/);
    expect(await archive.server.index.jobStore().items(job.id, 'failed')).toEqual([conflict.sopUid]);
  }, 60_000);

  it('ends a send to a node without Storage Commitment with that reason, once the objects are sent', async () => {
    const plain = await startStorescp('PLAINSCP');
    try {
      expect(
        (
          await apiFetch(archive, 'POST', '/api/nodes', {
            ae: 'PLAINSCP',
            host: '127.0.0.1',
            port: plain.port,
            compression: 'un',
          })
        ).status,
      ).toBe(200);
      const job = await sendWithCommitment('PLAINSCP', study);
      expect(job).toMatchObject({ state: 'failed', commitment: 'failed', done: 3 });
      expect(job.error).toMatch(/PLAINSCP does not offer Storage Commitment/);
      expect(await plain.files()).toHaveLength(3);
    } finally {
      await plain.stop();
    }
  }, 60_000);

  it('keeps a request whose report could not be sent across a restart, and reports it after', async () => {
    // The report to Orthanc fails (acrnema.map names a port nobody listens on); the request stays queued in the index.
    const api = (route: string, body: unknown) => apiFetch(archive, 'POST', route, body);
    expect(
      (await api('/api/nodes', { ae: 'ORTHANC', host: '127.0.0.1', port: await freePort(), compression: 'un' })).status,
    ).toBe(200);
    const { ID } = await orthanc.rest<{ ID: string }>('POST', '/modalities/ours/storage-commitment', {
      DicomInstances: [{ SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: images[2]!.sopUid }],
    });
    const job = await valueWhen(
      'the report fails to reach Orthanc',
      async () => (await archive.server.transfers.queue.list()).find((j) => j.transactionUid === ID),
      (j) => !!j?.error,
    );
    expect(job).toMatchObject({ kind: 'commit-report', state: 'queued' });
    expect(job!.error).toMatch(/cannot connect to ORTHANC/);
    expect((await orthanc.rest<Report>('GET', `/storage-commitment/${ID}`)).Status).toBe('Pending');
    expect(
      (await api('/api/nodes', { ae: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort, compression: 'un' }))
        .status,
    ).toBe(200);
    await archive.restart();
    const report = await reportOf(ID);
    expect(report).toMatchObject({
      Status: 'Success',
      Success: [{ SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: images[2]!.sopUid }],
    });
    expect(await ended(() => archive.server.transfers.queue.get(job!.id))).toMatchObject({
      state: 'done',
      done: 1,
      failed: 0,
    });
  }, 60_000);
});

describe('Storage Commitment between two of our archives', () => {
  it("reports on the requester's association while it stays open, so the requester needs no entry in acrnema.map", async () => {
    const keeper = await startArchive({}, [], 'KEEPER');
    const sender = await startArchive(
      { CommitmentWaitSeconds: '10' },
      [`KEEPER 127.0.0.1 ${keeper.port} un`],
      'SENDER',
    );
    const work = await mkdtemp(path.join(tmpdir(), 'pacs-commit2-'));
    try {
      const study = uid();
      const files = await writeImages(
        work,
        [1, 2].map((n) => makeImage({ patientId: 'SC3', studyUid: study, instanceNumber: n, rows: 8, columns: 8 })),
      );
      expect((await run('storescu', ['-aec', sender.aeTitle, '127.0.0.1', String(sender.port), ...files])).code).toBe(
        0,
      );
      const job = await sender.server.transfers.send('KEEPER', 'STUDY', study, { commit: true });
      await sender.server.transfers.queue.idle();
      expect(await sender.server.transfers.queue.get(job.id)).toMatchObject({
        state: 'done',
        commitment: 'committed',
        done: 2,
      });
      expect(sender.logText()).toMatch(/reported at once/);
      const report = await ended(async () =>
        (await keeper.server.transfers.queue.list()).find((j) => j.kind === 'commit-report'),
      );
      expect(report).toMatchObject({ state: 'done', source: 'SENDER', done: 2, failed: 0 });
    } finally {
      await sender.stop();
      await keeper.stop();
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('asks for commitment after forwarding when the rule says ExportCommitment<i> = 1', async () => {
    const keeper = await startArchive({}, [], 'KEEPER');
    const router = await startArchive(
      { ExportConverters: '1', ExportConverter0: 'forward to KEEPER', ExportCommitment0: '1' },
      [`KEEPER 127.0.0.1 ${keeper.port} un`],
      'ROUTER',
    );
    const work = await mkdtemp(path.join(tmpdir(), 'pacs-commit3-'));
    try {
      const files = await writeImages(work, [makeImage({ patientId: 'SC4', studyUid: uid(), rows: 8, columns: 8 })]);
      expect((await run('storescu', ['-aec', router.aeTitle, '127.0.0.1', String(router.port), ...files])).code).toBe(
        0,
      );
      const forward = await ended(async () =>
        (await router.server.transfers.queue.list()).find((j) => j.kind === 'forward'),
      );
      expect(forward).toMatchObject({ state: 'done', commitment: 'committed', done: 1 });
    } finally {
      await router.stop();
      await keeper.stop();
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);

  it("asks commitment for a forward's objects as they went: by the new UIDs its script gave, without those imagetype left out", async () => {
    const keeper = await startArchive({}, [], 'KEEPER');
    const router = await startArchive(
      {
        ExportConverters: '2',
        ExportConverter0: 'ifequal "%V0008,1030", "RENAMED"; forward to KEEPER script "newuids"',
        ExportCommitment0: '1',
        ExportConverter1: 'ifequal "%V0008,1030", "SCOUTS"; forward study imagetype *LOCALIZER to KEEPER after 1',
        ExportCommitment1: '1',
      },
      [`KEEPER 127.0.0.1 ${keeper.port} un`],
      'ROUTER',
    );
    const work = await mkdtemp(path.join(tmpdir(), 'pacs-commit4-'));
    try {
      const renamed = makeImage({ patientId: 'SC5', studyDescription: 'RENAMED', rows: 8, columns: 8 });
      const scoutStudy = uid();
      const [scout, axial] = ['ORIGINAL\\PRIMARY\\LOCALIZER', 'ORIGINAL\\PRIMARY\\AXIAL'].map((imageType) =>
        makeImage({
          patientId: 'SC6',
          studyUid: scoutStudy,
          studyDescription: 'SCOUTS',
          imageType,
          rows: 8,
          columns: 8,
        }),
      );
      const files = await writeImages(work, [renamed, scout!, axial!]);
      expect((await run('storescu', ['-aec', router.aeTitle, '127.0.0.1', String(router.port), ...files])).code).toBe(
        0,
      );
      const jobs = async () => (await router.server.transfers.queue.list()).filter((j) => j.kind === 'forward');
      const scriptJob = await ended(async () => (await jobs()).find((j) => j.studyUid === renamed.studyUid));
      // KEEPER holds it under a new SOP Instance UID only, and committed to keep it under that one.
      expect(scriptJob).toMatchObject({ state: 'done', commitment: 'committed', done: 1, failed: 0 });
      expect(await keeper.server.index.findInstance(renamed.sopUid)).toBeUndefined();
      const scoutJob = await ended(async () => (await jobs()).find((j) => j.studyUid === scoutStudy));
      // Both objects are done; only the localizer went, and only it was asked for and committed.
      expect(scoutJob).toMatchObject({ state: 'done', commitment: 'committed', done: 2, failed: 0 });
      expect(await keeper.server.index.findInstance(scout!.sopUid)).toBeDefined();
      expect(await keeper.server.index.findInstance(axial!.sopUid)).toBeUndefined();
    } finally {
      await router.stop();
      await keeper.stop();
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);
});
