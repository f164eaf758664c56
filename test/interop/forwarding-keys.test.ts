import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { freePort, startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { until } from '../helpers/wait.ts';

/**
 * Conquest's forwarding keys (issue 31), with storescu as the modality and a storescp (or a port nobody listens on)
 * as the node: ForwardAssociationLevel = IMAGE sends each object on its own job and association; FailHoldOff keeps
 * other jobs to a node that just failed from starting; MaximumDelayedFetchForwardRetries limits a delayed forward's
 * retries apart from MaximumExportRetries.
 */
describe("Conquest's forwarding keys", () => {
  let archive: TestArchive;
  let peer: RunningStorescp;
  let work: string;

  beforeAll(async () => {
    peer = await startStorescp('PEER');
    const nobody = await freePort();
    archive = await startArchive(
      {
        ExportConverters: '2',
        ExportConverter0: 'forward to PEER',
        ExportModality0: 'CT',
        ExportConverter1: 'ifequal "%V0008,1030", "DELAYED"; forward study to DOWN after 1',
        ExportModality1: 'MR',
        ForwardAssociationLevel: 'IMAGE',
        RetryDelay: '1',
        MaximumExportRetries: '5',
        MaximumDelayedFetchForwardRetries: '1',
      },
      [`PEER 127.0.0.1 ${peer.port} un`, `DOWN 127.0.0.1 ${nobody} un`],
    );
    work = await mkdtemp(path.join(tmpdir(), 'pacs-forwarding-keys-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await peer?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const jobsTo = async (ae: string) => (await archive.server.core.queue.list()).filter((j) => j.destination === ae);

  it('sends each object of a study on a job of its own with ForwardAssociationLevel = IMAGE', async () => {
    const study = uid();
    const three = [1, 2, 3].map((n) => makeImage({ studyUid: study, instanceNumber: n, rows: 8, columns: 8 }));
    expect((await storeAs(archive, 'CT01', three, work)).code).toBe(0);
    await until('all three reached PEER', async () => (await peer.files()).length === 3);
    await until('their jobs are done', async () => (await jobsTo('PEER')).every((j) => j.state === 'done'));
    const jobs = (await jobsTo('PEER')).filter((j) => j.studyUid === study);
    expect(jobs).toHaveLength(3);
    expect(jobs.every((j) => j.total === 1)).toBe(true);
  });

  it('gives up a delayed forward after MaximumDelayedFetchForwardRetries, and holds other jobs off a failed node (FailHoldOff)', async () => {
    const mr = (description: string) =>
      makeImage({ modality: 'MR', studyDescription: description, rows: 8, columns: 8 });
    expect((await storeAs(archive, 'MR01', [mr('DELAYED')], work)).code).toBe(0);
    // Tried once, then once again (MaximumDelayedFetchForwardRetries = 1, although MaximumExportRetries is 5).
    await until('the delayed forward failed', async () => (await jobsTo('DOWN'))[0]?.state === 'failed', 60);
    expect((await jobsTo('DOWN'))[0]).toMatchObject({ attempts: 2 });

    await archive.setIni('FailHoldOff', '60');
    await archive.setIni('ExportConverter1', 'ifequal "%V0008,1030", "DELAYED"; forward to DOWN');
    expect((await storeAs(archive, 'MR01', [mr('DELAYED')], work)).code).toBe(0);
    await until('the first forward failed once', async () =>
      (await jobsTo('DOWN')).some((j) => j.state === 'queued' && j.attempts === 1),
    );
    // Another object for that node: its job waits, untried, while the hold-off lasts.
    expect((await storeAs(archive, 'MR01', [mr('DELAYED')], work)).code).toBe(0);
    await until('the second job waits for FailHoldOff', () =>
      /job \d+ waits \d+ s: a job to DOWN just failed \(FailHoldOff\)/.test(archive.logText()),
    );
    const untried = (await jobsTo('DOWN')).filter((j) => j.state === 'queued' && j.attempts === 0);
    expect(untried.length).toBeGreaterThanOrEqual(1);

    // While they wait, ForwardAssociationLevel = PATIENT puts a patient's objects from several studies in one job.
    await archive.setIni('ForwardAssociationLevel', 'PATIENT');
    const twoStudies = [uid(), uid()].map((study) =>
      makeImage({
        modality: 'MR',
        patientId: 'ONEPAT',
        studyUid: study,
        studyDescription: 'DELAYED',
        rows: 8,
        columns: 8,
      }),
    );
    expect((await storeAs(archive, 'MR01', twoStudies, work)).code).toBe(0);
    await until('one job holds both studies of the patient', async () =>
      (await jobsTo('DOWN')).some(
        (j) => j.state === 'queued' && j.attempts === 0 && j.total === 2 && j.studyUid === '',
      ),
    );
  });
});
