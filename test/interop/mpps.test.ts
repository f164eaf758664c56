import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { BytePeer, commandSet, el } from '../helpers/dimse-bytes.ts';
import { uid } from '../helpers/fixtures.ts';
import type { MppsDto, WorklistEntryDto } from '../../main/api/contract.ts';
import { MPPS_SOP_CLASS, StorageSopClass } from '../../common/uids.ts';

const MPPS = MPPS_SOP_CLASS;
const N_CREATE_RQ = 0x0140;
const N_SET_RQ = 0x0120;

/** N-CREATE-RQ / N-SET-RQ command sets (PS3.7 10.3.5, 10.3.3). */
const create = (instance: string, id = 1) =>
  commandSet([
    [0x0002, MPPS],
    [0x0100, N_CREATE_RQ],
    [0x0110, id],
    [0x0800, 0x0000],
    [0x1000, instance],
  ]);
const set = (instance: string, id = 2) =>
  commandSet([
    [0x0003, MPPS],
    [0x0100, N_SET_RQ],
    [0x0110, id],
    [0x0800, 0x0000],
    [0x1001, instance],
  ]);

/** An N-CREATE attribute list after PS3.4 Table F.7.2-1, attributes in tag order; `leaveOut` drops one tag. */
function createAttributes(o: { studyUid: string; stepId: string; accession: string; leaveOut?: number }): Buffer {
  const all: [number, Buffer][] = [
    [0x00080005, el(0x00080005, 'CS', 'ISO_IR 192')],
    [0x00080050, el(0x00080050, 'SH', '')],
    [0x00080060, el(0x00080060, 'CS', 'CT')],
    [0x00100010, el(0x00100010, 'PN', Buffer.from('Dvořák^Jiří', 'utf8'))],
    [0x00100020, el(0x00100020, 'LO', 'MPPS1')],
    [0x00200010, el(0x00200010, 'SH', '')],
    [0x00400241, el(0x00400241, 'AE', 'CT01')],
    [0x00400244, el(0x00400244, 'DA', '20261126')],
    [0x00400245, el(0x00400245, 'TM', '101500')],
    [0x00400252, el(0x00400252, 'CS', 'IN PROGRESS')],
    [0x00400253, el(0x00400253, 'SH', 'PPS-1')],
    [0x00400254, el(0x00400254, 'LO', 'CT hlavy')],
    [
      0x00400270,
      el(0x00400270, 'SQ', [
        [el(0x00080050, 'SH', o.accession), el(0x0020000d, 'UI', o.studyUid), el(0x00400009, 'SH', o.stepId)],
      ]),
    ],
    [0x00400340, el(0x00400340, 'SQ', [])],
  ];
  return Buffer.concat(all.filter(([tag]) => tag !== o.leaveOut).map(([, b]) => b));
}

/** An N-SET modification list that ends the step. */
function finalAttributes(status: 'COMPLETED' | 'DISCONTINUED', withEnd = true, seriesUid = uid()): Buffer {
  const image = (n: number) => [
    el(0x00081150, 'UI', StorageSopClass.CtImage),
    el(0x00081155, 'UI', `${seriesUid}.${n}`),
  ];
  return Buffer.concat([
    ...(withEnd ? [el(0x00400250, 'DA', '20261126'), el(0x00400251, 'TM', '103000')] : []),
    el(0x00400252, 'CS', status),
    el(
      0x00400340,
      'SQ',
      status === 'COMPLETED'
        ? [
            [
              el(0x0008103e, 'LO', 'Axial 5mm'),
              el(0x00081140, 'SQ', [image(1), image(2)]),
              el(0x0020000e, 'UI', seriesUid),
            ],
          ]
        : [],
    ),
  ]);
}

/**
 * Modality Performed Procedure Step SCP (issue 16). Debian has no MPPS SCU, so the modality here is a socket that sends
 * N-CREATE and N-SET written from PS3.4 F.7 and PS3.7 by hand; our own SCU passes the steps on to a second archive.
 */
describe('MPPS: a modality reports its procedure', () => {
  let archive: TestArchive;
  let ris: TestArchive;
  let entry: WorklistEntryDto;
  const studyUid = uid();
  const api = async <T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> => {
    const res = await apiFetch(archive, method, route, body);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    ris = await startArchive({}, [], 'RIS');
    archive = await startArchive({ MPPSForward: 'RIS', RetryDelay: '1' }, [`RIS 127.0.0.1 ${ris.port} un`]);
    entry = await api<WorklistEntryDto>('POST', '/api/worklist', {
      patientId: 'MPPS1',
      patientName: 'Dvořák^Jiří',
      modality: 'CT',
      scheduledDate: '20261126',
      studyUid,
      stepId: 'SPS-7',
      accessionNumber: 'ACC-7',
    });
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await ris?.stop();
  });

  it('links a step to its worklist entry, follows it to COMPLETED with its series, and refuses what PS3.4 forbids', async () => {
    const peer = await BytePeer.associate(archive.port, archive.aeTitle, 'CT01', MPPS);
    const step = uid();
    const attributes = createAttributes({ studyUid, stepId: 'SPS-7', accession: 'ACC-7' });
    expect((await peer.request(create(step), attributes)).get(0x0900)).toBe(0x0000);
    let [listed] = (await api<WorklistEntryDto[]>('GET', '/api/worklist')).filter((e) => e.id === entry.id);
    expect(listed).toMatchObject({ mppsStatus: 'IN PROGRESS', mppsUid: step, source: 'typed', stepStatus: 'STARTED' });

    // The same SOP Instance again: duplicate; a list without Modality: missing attribute; an unknown step: no such instance.
    expect((await peer.request(create(step, 3), attributes)).get(0x0900)).toBe(0x0111);
    expect(
      (
        await peer.request(
          create(uid(), 4),
          createAttributes({ studyUid, stepId: 'SPS-7', accession: 'ACC-7', leaveOut: 0x00080060 }),
        )
      ).get(0x0900),
    ).toBe(0x0120);
    expect((await peer.request(set(uid(), 5), finalAttributes('COMPLETED'))).get(0x0900)).toBe(0x0112);
    // COMPLETED without its end date and time: missing attribute value, and the step stays IN PROGRESS.
    expect((await peer.request(set(step, 6), finalAttributes('COMPLETED', false))).get(0x0900)).toBe(0x0121);

    const seriesUid = uid();
    const done = await peer.request(set(step, 7), finalAttributes('COMPLETED', true, seriesUid));
    expect(done.get(0x0900)).toBe(0x0000);
    expect(done.get(0x1000)).toBe(step);
    [listed] = (await api<WorklistEntryDto[]>('GET', '/api/worklist')).filter((e) => e.id === entry.id);
    expect(listed).toMatchObject({ mppsStatus: 'COMPLETED', stepStatus: 'COMPLETED' });
    const [reported] = (await api<MppsDto[]>('GET', '/api/mpps')).filter((s) => s.sopInstanceUid === step);
    expect(reported).toMatchObject({
      status: 'COMPLETED',
      patientName: 'Dvořák^Jiří',
      patientId: 'MPPS1',
      studyUid,
      stepId: 'SPS-7',
      accessionNumber: 'ACC-7',
      modality: 'CT',
      description: 'CT hlavy',
      callingAe: 'CT01',
      started: '20261126101500',
      ended: '20261126103000',
      worklistId: entry.id,
      series: [{ seriesUid, description: 'Axial 5mm', images: 2 }],
    });

    // Once COMPLETED, a step is not changed any more (PS3.4 F.7.2.2.4).
    const late = await peer.request(set(step, 8), finalAttributes('DISCONTINUED'));
    expect(late.get(0x0900)).toBe(0x0110);
    expect(String(late.get(0x0902))).toMatch(/may no longer be updated/);
    await peer.release();
  }, 60_000);

  it('takes a step the modality discontinues, and one it names no UID for', async () => {
    const peer = await BytePeer.associate(archive.port, archive.aeTitle, 'CT01', MPPS);
    const step = uid();
    expect(
      (await peer.request(create(step), createAttributes({ studyUid: uid(), stepId: '', accession: '' }))).get(0x0900),
    ).toBe(0x0000);
    expect((await peer.request(set(step), finalAttributes('DISCONTINUED'))).get(0x0900)).toBe(0x0000);
    const unnamed = await peer.request(
      commandSet([
        [0x0002, MPPS],
        [0x0100, N_CREATE_RQ],
        [0x0110, 9],
        [0x0800, 0x0000],
      ]),
      createAttributes({ studyUid: uid(), stepId: '', accession: '' }),
    );
    expect(unnamed.get(0x0900)).toBe(0x0000);
    expect(String(unnamed.get(0x1000))).toMatch(/^2\.25\.\d+$/);
    await peer.release();
    const steps = await api<MppsDto[]>('GET', '/api/mpps');
    const discontinued = steps.find((s) => s.sopInstanceUid === step)!;
    expect(discontinued.status).toBe('DISCONTINUED');
    expect(discontinued.worklistId).toBeUndefined();
  }, 60_000);

  it('passes every N-CREATE and N-SET on to the MPPSForward node, in order', async () => {
    await archive.server.transfers.queue.idle();
    const forwarded = await ris.server.index.mppsStore().list();
    const ours = await archive.server.index.mppsStore().list();
    expect(forwarded.map((s) => [s.sopInstanceUid, s.status]).sort()).toEqual(
      ours.map((s) => [s.sopInstanceUid, s.status]).sort(),
    );
    const completed = forwarded.find((s) => s.status === 'COMPLETED')!;
    expect(completed).toMatchObject({
      patientName: 'Dvořák^Jiří',
      callingAe: archive.aeTitle,
      series: [{ description: 'Axial 5mm', images: 2 }],
    });
    const jobs = (await archive.server.transfers.queue.list()).filter((j) => j.kind === 'mpps-forward');
    expect(jobs.length).toBe(5);
    expect(jobs.every((j) => j.state === 'done')).toBe(true);
  }, 60_000);
});
