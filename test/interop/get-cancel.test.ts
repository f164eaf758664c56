import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { CT_IMAGE_STORAGE, makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { connect } from '../../main/protocol/network.ts';
import { CommandField } from '../../main/protocol/command.ts';
import { encodeDataSet } from '../../main/dicom/dataset.ts';
import { Status } from '../../main/dicom/status.ts';
import { QrSopClass, TransferSyntax, encodingOf } from '../../common/uids.ts';
import { Logger } from '../../main/util/log.ts';

/** C-CANCEL of a C-GET (getscu has no cancel option): a requester on our own upper layer cancels after the first object. */
describe('C-GET cancel', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-getcancel-'));
    const images = Array.from({ length: 20 }, (_, i) =>
      makeImage({ studyUid: study, instanceNumber: i + 1, rows: 16, columns: 16 }),
    );
    expect(
      (
        await run('storescu', [
          '-aec',
          archive.aeTitle,
          '127.0.0.1',
          String(archive.port),
          ...(await writeImages(work, images)),
        ])
      ).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('stops sending after the cancel and answers Cancel with the counts', async () => {
    const received: string[] = [];
    let cancelSent = false;
    const options = { maxPduLength: 65536, artimTimeout: 10, idleTimeout: 30, maxBufferedDataSet: 16 << 20 };
    const assoc = await connect(
      '127.0.0.1',
      archive.port,
      options,
      {
        onMessage: (a, msg) => {
          if (msg.command.commandField !== CommandField.CStoreRQ) return;
          received.push(msg.command.affectedSopInstanceUid!);
          void a.sendMessage(msg.context.id, {
            commandField: CommandField.CStoreRSP,
            messageIdBeingRespondedTo: msg.command.messageId,
            affectedSopClassUid: msg.command.affectedSopClassUid,
            affectedSopInstanceUid: msg.command.affectedSopInstanceUid,
            status: Status.Success,
            hasDataSet: false,
          });
          if (!cancelSent) {
            cancelSent = true;
            void a.sendMessage(1, {
              commandField: CommandField.CCancelRQ,
              messageIdBeingRespondedTo: 5,
              hasDataSet: false,
            });
          }
        },
      },
      new Logger('error').child('test'),
    );
    await assoc.requestAssociation(
      'CANCELLER',
      archive.aeTitle,
      [
        { id: 1, abstractSyntax: QrSopClass.StudyRootGet, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
        { id: 3, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [TransferSyntax.ExplicitLittleEndian] },
      ],
      [{ sopClass: CT_IMAGE_STORAGE, scuRole: false, scpRole: true }],
    );
    const identifier = encodeDataSet(
      new Map([
        [0x00080052, { tag: 0x00080052, vr: 'CS', value: Buffer.from('STUDY ') }],
        [0x0020000d, { tag: 0x0020000d, vr: 'UI', value: Buffer.from(study) }],
      ]),
      encodingOf(TransferSyntax.ImplicitLittleEndian),
    );
    const final = await assoc.request(
      1,
      {
        commandField: CommandField.CGetRQ,
        messageId: 5,
        affectedSopClassUid: QrSopClass.StudyRootGet,
        priority: 0,
        hasDataSet: true,
      },
      identifier,
    );
    await assoc.release();
    expect(final.command.status).toBe(Status.Cancel);
    expect(final.command.completed).toBe(received.length);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(20);
    expect(final.command.completed! + final.command.remaining! + final.command.failed!).toBe(20);
  });
});
