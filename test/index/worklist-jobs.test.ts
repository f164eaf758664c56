import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { WorklistEntryError } from '../../main/index/worklist-entry.ts';
import { MWL_ATTRIBUTES, MWL_STEP_ATTRIBUTES } from '../../main/query/attributes.ts';
import { INDEX_ENGINES } from '../helpers/index-engines.ts';

/** Worklist entries and transfer jobs behave the same on every index engine. */
describe.each(INDEX_ENGINES)('worklist and jobs on the $name index', (engine) => {
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ index, dispose } = await engine.open('wljobs'));
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('creates, edits, lists, matches and deletes worklist entries', async () => {
    const a = await index.addWorklistEntry({
      patientId: 'W1',
      patientName: 'Nováková^Eva',
      modality: 'MR',
      scheduledAe: 'MR1',
      scheduledDate: '20261125',
      scheduledTime: '0930',
    });
    const b = await index.addWorklistEntry({
      patientId: 'W2',
      patientName: 'Smith^Tom',
      modality: 'CT',
      scheduledDate: '20261126',
    });
    expect(a.studyUid).toMatch(/^2\.25\./);
    expect((await index.listWorklist()).map((e) => e.patientId)).toEqual(['W1', 'W2']);
    const name = MWL_ATTRIBUTES.find((x) => x.keyword === 'PatientName')!;
    const modality = MWL_STEP_ATTRIBUTES.find((x) => x.keyword === 'Modality')!;
    const rows = await index.queryWorklist(
      [name, modality],
      [{ attr: name, match: { kind: 'wildcard', pattern: 'NOVÁ*' } }],
    );
    expect(rows).toEqual([{ PatientName: 'Nováková^Eva', Modality: 'MR' }]);
    expect(await index.updateWorklistEntry(b.id, { modality: 'MR' })).toMatchObject({
      id: b.id,
      modality: 'MR',
      patientId: 'W2',
    });
    expect(
      (await index.queryWorklist([name], [{ attr: modality, match: { kind: 'single', value: 'MR' } }])).length,
    ).toBe(2);
    expect(await index.deleteWorklistEntry(a.id)).toBe(true);
    expect(await index.deleteWorklistEntry(a.id)).toBe(false);
    await expect(
      index.addWorklistEntry({ patientId: 'X', patientName: 'X', modality: 'ct', scheduledDate: '2026' }),
    ).rejects.toThrow(WorklistEntryError);
  });

  it("keeps MPPS steps, links them to their worklist entry and keeps the entry's state with them", async () => {
    const entry = await index.addWorklistEntry({
      patientId: 'M1',
      patientName: 'Malá^Ema',
      modality: 'US',
      scheduledDate: '20261126',
      stepId: 'S1',
      studyUid: '1.2.3.4',
    });
    const store = index.mppsStore();
    const step = {
      sopInstanceUid: '1.2.3.4.9',
      status: 'IN PROGRESS',
      callingAe: 'US1',
      patientId: 'M1',
      patientName: 'Malá^Ema',
      studyUid: '1.2.3.4',
      stepId: 'S1',
      accessionNumber: '',
      modality: 'US',
      description: '',
      started: '20261126090000',
      ended: '',
      series: [],
      dataSet: 'AAAA',
      createdAt: 'c',
      updatedAt: 'c',
    };
    expect(await store.create(step)).toBe(true);
    expect(await store.create(step)).toBe(false);
    expect(await store.get(step.sopInstanceUid)).toMatchObject({ ...step, worklistId: entry.id });
    await store.update({
      ...step,
      status: 'COMPLETED',
      ended: '20261126093000',
      series: [{ seriesUid: '1.2.3.4.5', description: 'B-mode', images: 12 }],
      updatedAt: 'u',
    });
    expect(await store.get(step.sopInstanceUid)).toMatchObject({
      status: 'COMPLETED',
      series: [{ seriesUid: '1.2.3.4.5', images: 12 }],
      createdAt: 'c',
      updatedAt: 'u',
    });
    expect((await index.listWorklist()).find((e) => e.id === entry.id)).toMatchObject({
      mppsStatus: 'COMPLETED',
      mppsUid: step.sopInstanceUid,
    });
    expect((await store.list()).map((s) => s.sopInstanceUid)).toContain(step.sopInstanceUid);
  });

  it('keeps jobs with their items, finds a waiting forward job, and requeues running jobs', async () => {
    const store = index.jobStore();
    const job = await store.createJob({ kind: 'send', source: '', destination: 'PACS2' }, ['1.1', '1.2', '1.3']);
    expect(job).toMatchObject({ kind: 'send', state: 'queued', total: 3, done: 0, attempts: 0, query: undefined });
    await store.setItems(job.id, ['1.1', '1.3'], 'done');
    expect(await store.items(job.id, 'pending')).toEqual(['1.2']);
    expect(await store.items(job.id)).toEqual(['1.1', '1.2', '1.3']);
    // What an object went as (a forward's script gave it a new UID), for Storage Commitment.
    expect(await store.sentAs(job.id)).toEqual(new Map());
    await store.recordSentAs(job.id, [{ uid: '1.3', as: '2.25.99' }]);
    expect(await store.sentAs(job.id)).toEqual(new Map([['1.3', '2.25.99']]));
    await store.updateJob(job.id, { state: 'running', done: 2, bytes: 1000, error: 'x' });
    expect(await store.requeueRunning()).toBe(1);
    expect(await store.getJob(job.id)).toMatchObject({ state: 'queued', done: 2, bytes: 1000, error: 'x' });
    const fwd = await store.createJob({ kind: 'forward', source: '', destination: 'PACS2', studyUid: '9.9' }, ['2.1']);
    expect((await store.openForwardJob('PACS2', '9.9'))?.id).toBe(fwd.id);
    await store.addItems(fwd.id, ['2.2', '2.1']);
    expect(await store.getJob(fwd.id)).toMatchObject({ total: 2 });
    expect(await store.openForwardJob('PACS2', '8.8')).toBeUndefined();
    const move = await store.createJob({
      kind: 'move',
      source: 'PACS2',
      destination: '',
      query: { level: 'STUDY', keys: { StudyInstanceUID: '1.2.3' } },
    });
    expect((await store.getJob(move.id))!.query).toEqual({ level: 'STUDY', keys: { StudyInstanceUID: '1.2.3' } });
    expect((await store.listJobs(['queued'])).map((j) => j.id)).toEqual([job.id, fwd.id, move.id]);
  });

  it("gives a job's objects back in the order they were added, whatever their UIDs (the order they are sent in)", async () => {
    const store = index.jobStore();
    const added = ['1.2.9', '1.2.10', '1.2.1', '0.5', '1.2.100'];
    const job = await store.createJob({ kind: 'send', source: '', destination: 'PACS3' }, added.slice(0, 3));
    await store.addItems(job.id, added.slice(3));
    expect(await store.items(job.id)).toEqual(added);
    await store.setItems(job.id, ['1.2.10', '0.5'], 'done');
    expect(await store.items(job.id, 'pending')).toEqual(['1.2.9', '1.2.1', '1.2.100']);
  });

  it('purges finished jobs older than the history keeps, with their objects, and nothing else', async () => {
    const store = index.jobStore();
    const make = async (state: 'done' | 'failed' | 'cancelled' | 'queued', finishedAt: string) => {
      const job = await store.createJob({ kind: 'send', source: '', destination: 'PURGE' }, [
        `7.${state}.${finishedAt.slice(0, 10)}`,
      ]);
      await store.updateJob(job.id, { state, finishedAt });
      return job.id;
    };
    const old = [
      await make('done', '2026-01-01T10:00:00.000Z'),
      await make('failed', '2026-01-02T10:00:00.000Z'),
      await make('cancelled', '2026-01-03T10:00:00.000Z'),
    ];
    const recent = await make('done', '2026-11-20T10:00:00.000Z');
    const waiting = await make('queued', '');
    expect(await store.purgeFinished('2026-11-01T00:00:00.000Z')).toBe(3);
    for (const id of old) {
      expect(await store.getJob(id)).toBeUndefined();
      expect(await store.items(id)).toEqual([]);
    }
    expect(await store.getJob(recent)).toBeDefined();
    expect(await store.getJob(waiting)).toBeDefined();
  });
});
