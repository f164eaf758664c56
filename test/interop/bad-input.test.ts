import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { RawPeer } from '../helpers/raw-peer.ts';
import { run } from '../helpers/dcmtk.ts';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, dataSetOf, makeImage, writeImages } from '../helpers/fixtures.ts';
import { AbortReason, PduType, encodePdu } from '../../main/protocol/pdu.ts';
import { Status } from '../../main/dicom/status.ts';
import { APPLICATION_CONTEXT } from '../../common/uids.ts';

/** Each kind of bad input costs the peer that sent it its association or its object, and nothing else. */
describe('bad input', () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({ ARTIMTimeout: '1', IdleTimeout: '2' });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-bad-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function storeStillWorks(): Promise<void> {
    const img = makeImage();
    const files = await writeImages(path.join(work, img.sopUid), [img]);
    const r = await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
    expect(r.code, r.stderr).toBe(0);
    expect(await archive.server.index.findInstance(img.sopUid)).toBeDefined();
  }

  async function nothingPartial(): Promise<void> {
    for (const device of archive.server.store.devices)
      expect(await readdir(path.join(device, '.incoming'))).toEqual([]);
  }

  it('aborts on an unrecognized PDU type', async () => {
    const peer = await RawPeer.connect(archive.port);
    peer.send(Buffer.from([0x09, 0, 0, 0, 0, 4, 1, 2, 3, 4]));
    const abort = await peer.next(PduType.Abort);
    expect(abort).toMatchObject({ source: 2, reason: AbortReason.UnrecognizedPdu });
    await peer.closed;
    expect(archive.logText()).toMatch(/malformed PDU from peer: unrecognized PDU type 0x9/);
    await storeStillWorks();
  });

  it('aborts at once on a PDU length it will not buffer', async () => {
    const peer = await RawPeer.connect(archive.port);
    peer.send(Buffer.from([0x01, 0, 0x7f, 0xff, 0xff, 0xff]));
    expect(await peer.next(PduType.Abort)).toMatchObject({ source: 2, reason: AbortReason.InvalidPduParameterValue });
    await peer.closed;
    await storeStillWorks();
  });

  it('aborts on an A-ASSOCIATE-RQ whose items overrun it', async () => {
    const good = encodePdu({
      type: PduType.AssociateRQ,
      calledAe: archive.aeTitle,
      callingAe: 'RAW',
      applicationContext: APPLICATION_CONTEXT,
      contexts: [{ id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_LE] }],
      userInfo: { maxPduLength: 16384, implementationClassUid: '2.25.1', roles: [], other: [] },
    });
    good.writeUInt16BE(0x4000, 6 + 68 + 2); // application context item now claims 16 KB
    const peer = await RawPeer.connect(archive.port);
    peer.send(good);
    expect(await peer.next(PduType.Abort)).toMatchObject({ source: 2 });
    await peer.closed;
    expect(archive.logText()).toMatch(/item 0x10 in A-ASSOCIATE claims 16384 bytes/);
  });

  it('aborts on P-DATA before any association', async () => {
    const peer = await RawPeer.connect(archive.port);
    peer.send(Buffer.from([0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, 3, 0, 0]));
    expect(await peer.next(PduType.Abort)).toMatchObject({ source: 2, reason: AbortReason.UnexpectedPdu });
    await peer.closed;
  });

  it.each([
    ['garbage bytes', Buffer.from('this is not a DICOM data set at all, just text!!')],
    [
      'an element longer than the data set',
      (() => {
        const d = Buffer.from(dataSetOf(makeImage().bytes));
        return d.subarray(0, d.length - 100);
      })(),
    ],
  ])('answers 0xC000 to a data set made of %s, and keeps nothing', async (_what, dataSet) => {
    const peer = await RawPeer.connect(archive.port);
    await peer.associate(archive.aeTitle, CT_IMAGE_STORAGE, EXPLICIT_LE);
    const sop = '2.25.777' + Math.floor(Math.random() * 1e9);
    peer.sendStore(CT_IMAGE_STORAGE, sop, dataSet);
    const rsp = await peer.response();
    expect(rsp.status).toBe(Status.CannotUnderstand);
    expect(rsp.errorComment).toMatch(/does not parse/);
    expect(await archive.server.index.findInstance(sop)).toBeUndefined();
    await peer.release();
    await nothingPartial();
  });

  it('answers 0xC000 when the data set names another SOP instance than the command', async () => {
    const img = makeImage();
    const peer = await RawPeer.connect(archive.port);
    await peer.associate(archive.aeTitle, CT_IMAGE_STORAGE, EXPLICIT_LE);
    peer.sendStore(CT_IMAGE_STORAGE, '2.25.123456', dataSetOf(img.bytes));
    const rsp = await peer.response();
    expect(rsp.status).toBe(Status.CannotUnderstand);
    expect(await archive.server.index.findInstance(img.sopUid)).toBeUndefined();
    expect(await archive.server.index.findInstance('2.25.123456')).toBeUndefined();
    await peer.release();
  });

  it('drops an object whose peer vanishes in the middle, and keeps serving', async () => {
    const img = makeImage({ rows: 512, columns: 512 });
    const peer = await RawPeer.connect(archive.port);
    await peer.associate(archive.aeTitle, CT_IMAGE_STORAGE, EXPLICIT_LE);
    const data = dataSetOf(img.bytes);
    peer.sendStore(CT_IMAGE_STORAGE, img.sopUid, data.subarray(0, data.length / 2), false);
    // Gone as a crashed program's connection goes: closed by its system after what it had sent (no wait, no race).
    peer.hangUp();
    await waitFor(() => /dropped: association .* ended mid data set/.test(archive.logText()));
    await waitFor(async () => (await readdir(path.join(archive.server.store.devices[0]!, '.incoming'))).length === 0);
    expect(await archive.server.index.findInstance(img.sopUid)).toBeUndefined();
    await storeStillWorks();
  });

  it('closes a connection that never sends an A-ASSOCIATE-RQ (ARTIM)', async () => {
    const peer = await RawPeer.connect(archive.port);
    await peer.closed;
    expect(archive.logText()).toMatch(/ARTIM timer expired after 1s waiting for A-ASSOCIATE-RQ/);
  });

  it('aborts an association that stays silent past the idle timeout', async () => {
    const peer = await RawPeer.connect(archive.port);
    await peer.associate(archive.aeTitle, CT_IMAGE_STORAGE, EXPLICIT_LE);
    expect(await peer.next(PduType.Abort)).toMatchObject({ source: 0 });
    expect(archive.logText()).toMatch(/aborting: idle for 2s/);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
