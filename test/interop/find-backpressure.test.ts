import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import { BytePeer, commandSet } from '../helpers/dimse-bytes.ts';
import { encodeDataSet } from '../../main/dicom/dataset.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { QrSopClass, TransferSyntax, encodingOf } from '../../common/uids.ts';
import { testHeader } from '../helpers/index-engines.ts';

/**
 * A universal query answered to a peer that stops reading (issue 13): the answers wait for the socket, the rest of the
 * archive does not. Meanwhile another peer's C-ECHO, C-STORE and C-FIND are served; the stalled query's C-CANCEL is
 * read while its answers are stuck, and ends it with Cancel once the peer reads again.
 */
const ROWS = 40_000;
const C_FIND_RQ = 0x0020;
const C_CANCEL_RQ = 0x0fff;

describe('a C-FIND whose peer stops reading', () => {
  let archive: TestArchive;
  let work: string;
  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-backpressure-'));
    // Enough matches that their answers fill the socket's buffers several times over.
    const header = (n: number) =>
      testHeader(
        {
          studyInstanceUid: `1.2.826.0.1.3680043.9.6.${n % 40}`,
          seriesInstanceUid: `1.2.826.0.1.3680043.9.5.${n % 400}`,
          patientId: `BP${n % 40}`,
          patientName: 'Back^Pressure',
        },
        n,
        '1.2.826.0.1.3680043.9.7',
      );
    await Promise.all(
      Array.from({ length: ROWS }, (_, n) =>
        archive.server.index.storeInstance({
          header: header(n),
          transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
          location: { device: 0, relativePath: `none/${n}.dcm` },
          size: 1,
          callingAe: 'GEN',
        }),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(archive?.dataDir ?? '', { recursive: true, force: true });
  });

  it('serves other peers while the answers wait, and reads the C-CANCEL meanwhile', async () => {
    const peer = await BytePeer.associate(archive.port, archive.aeTitle, 'SLOWREADER', QrSopClass.StudyRootFind);
    const identifier = encodeDataSet(
      identifierFromKeywords({ StudyInstanceUID: '', SeriesInstanceUID: '', SOPInstanceUID: '' }, 'IMAGE'),
      encodingOf(TransferSyntax.ExplicitLittleEndian),
    );
    const first = await peer.request(
      commandSet([
        [0x0002, QrSopClass.StudyRootFind],
        [0x0100, C_FIND_RQ],
        [0x0110, 7],
        [0x0700, 0],
        [0x0800, 0x0000],
      ]),
      identifier,
    );
    expect(first.get(0x0900)).toBe(0xff00);
    peer.pause();

    // The archive answers others while the query's answers back up.
    const echo = await run('echoscu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)]);
    expect(echo.code, echo.stderr).toBe(0);
    const image = makeImage({ patientId: 'BPSTORE' });
    const [file] = await writeImages(work, [image]);
    const stored = await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file!]);
    expect(stored.code, stored.stderr).toBe(0);
    const found = await run('findscu', [
      '-v',
      '-P',
      '-aec',
      archive.aeTitle,
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      'PatientID=BPSTORE',
      '-k',
      'PatientName',
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout + found.stderr).toMatch(
      /Find Response: 1 \(Pending\)[\s\S]*Received Final Find Response \(Success\)/,
    );

    // The cancel is sent while the answers are stuck: the query ends while the peer still reads nothing, not once it
    // reads again (issue 13: C-CANCEL stops it at once); reading again, the peer gets the answers already sent, then
    // Cancel.
    peer.send(
      commandSet([
        [0x0100, C_CANCEL_RQ],
        [0x0120, 7],
        [0x0800, 0x0101],
      ]),
    );
    await expect
      .poll(() => archive.logText(), { timeout: 5000, interval: 5 })
      .toMatch(/SLOWREADER.*C-FIND .* -> Cancel \(0xFE00\)/);
    peer.resume();
    let answers = 1;
    let final: Map<number, number | string>;
    for (;;) {
      const message = await peer.next();
      if (message.get(0x0900) !== 0xff00) {
        final = message;
        break;
      }
      answers++;
    }
    expect(final.get(0x0900)).toBe(0xfe00);
    expect(answers).toBeLessThan(ROWS);
    await peer.release();
  }, 60_000);
});
