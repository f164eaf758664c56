import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet } from '../helpers/dcmtk.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { CT_IMAGE_STORAGE, makeImage, uid, type MadeImage } from '../helpers/fixtures.ts';
import { BytePeer, commandSet } from '../helpers/dimse-bytes.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { storeAs } from '../helpers/store-as.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { until } from '../helpers/wait.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';
import { convertArriving, importConverters } from '../../main/features/import-converters.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';

/**
 * Conquest's ImportConverters (issue 31) in dicom.ini, driven by storescu as a modality: attributes set from variables,
 * an object of 2002 destroyed (the sender hears success, nothing is stored), one refused (the sender hears the
 * failure), a block that runs only for MR (its filter and its test), and a forward to a storescp once stored.
 */
describe('import converters', () => {
  let archive: TestArchive;
  let peer: RunningStorescp;
  let work: string;

  beforeAll(async () => {
    peer = await startStorescp('PEER');
    archive = await startArchive(
      {
        ImportConverter0: 'set 0010,1001 to "from %u on %c"',
        ImportConverter1: 'ifequal "%V0008,0020[0,3]", "2002"; destroy',
        ImportConverter2: 'ifmatch "%VPatientName", "*rejectme*"; reject',
        ImportConverter3: 'ifequal "%m", "MR"; { set 0008,1030 to "%VPatientName^ %i[,3]"; forward to PEER; }',
        ImportModality3: 'MR',
        ImportCallingAE3: 'MRI*',
        ImportConverter5: 'ifequal "%u", "SQUEEZE"; compression js',
        ImportConverter4: 'append "%o from %u%n" to received.log; write "not here" to ../outside-%o.txt',
        ImportConverter8: `lua "print('seen ' .. Data.SOPInstanceUID)"`,
        ImportCallingAE8: 'BROKEN',
        ImportConverter9: 'lua "sleep(300)"; set 0010,4000 to "waited for"',
        ImportCallingAE9: 'SLOWPOKE',
      },
      [`PEER 127.0.0.1 ${peer.port} un`],
    );
    work = await mkdtemp(path.join(tmpdir(), 'pacs-import-converters-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await peer?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const send = (callingAe: string, image: MadeImage) => storeAs(archive, callingAe, [image], work);
  const stored = (sopUid: string) => archive.server.index.findInstance(sopUid);
  const incomingFiles = () => readdir(path.join(archive.server.store.devices[0]!, '.incoming')).catch(() => []);

  it("sets an attribute from the calling and called AE titles, in the index's file", async () => {
    const image = makeImage({ rows: 8, columns: 8 });
    expect((await send('CT01', image)).code).toBe(0);
    const row = (await stored(image.sopUid))!;
    expect(await dumpDataSet(archive.server.store.absolutePath(row.location))).toContain(
      '(0010,1001) PN [from CT01 on TESTPACS]',
    );
    // append writes in the data folder; a file outside it is not written, and the log says why.
    expect(await readFile(path.join(archive.dataDir, 'received.log'), 'utf8')).toContain(`${image.sopUid} from CT01\n`);
    expect(existsSync(path.join(archive.dataDir, '..', `outside-${image.sopUid}.txt`))).toBe(false);
    expect(archive.logText()).toContain(
      `could not write ../outside-${image.sopUid}.txt: converters work only inside the data folder`,
    );
  });

  it('destroys what was acquired in 2002: the sender hears success, nothing is stored', async () => {
    const image = makeImage({ studyDate: '20020612', rows: 8, columns: 8 });
    const sent = await send('CT01', image);
    expect(sent.code).toBe(0);
    expect(sent.stdout + sent.stderr).toMatch(/Received Store Response \(Success\)/);
    expect(await stored(image.sopUid)).toBeUndefined();
    const found = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${image.studyUid}`],
    );
    expect(found.answers).toEqual([]);
  });

  it('refuses an object a converter rejects, and the sender hears the failure', async () => {
    const image = makeImage({ patientName: 'Please^RejectMe', rows: 8, columns: 8 });
    const sent = await send('CT01', image);
    expect(sent.stdout + sent.stderr).toMatch(/Received Store Response \(Error: CannotUnderstand\)/);
    expect(await stored(image.sopUid)).toBeUndefined();
  });

  it('runs a converter only where its filters let the object through, and forwards what it says once stored', async () => {
    const mrFromElsewhere = makeImage({
      modality: 'MR',
      sopClassUid: StorageSopClass.MrImage,
      patientName: 'Novak^Jan',
      patientId: 'PID777',
      rows: 8,
      columns: 8,
    });
    expect((await send('CT01', mrFromElsewhere)).code).toBe(0);
    const other = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${mrFromElsewhere.studyUid}`, 'StudyDescription'],
    );
    expect(other.answers).toEqual([expect.objectContaining({ StudyDescription: 'Head routine' })]);
    const mr = makeImage({
      modality: 'MR',
      sopClassUid: StorageSopClass.MrImage,
      patientName: 'Novak^Jan',
      patientId: 'PID777',
      rows: 8,
      columns: 8,
    });
    expect((await send('MRI1', mr)).code).toBe(0);
    const row = (await stored(mr.sopUid))!;
    const dump = await dumpDataSet(archive.server.store.absolutePath(row.location));
    expect(dump).toContain('(0008,1030) LO [NOVAK^JAN 777]');
    // The index shows the study as the converter left it.
    const found = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${mr.studyUid}`, 'StudyDescription'],
    );
    expect(found.answers).toEqual([expect.objectContaining({ StudyDescription: 'NOVAK^JAN 777' })]);
    await until('the forward reaches the peer', async () => (await peer.files()).length === 1);
    expect(await dumpDataSet((await peer.files())[0]!)).toContain(`(0008,0018) UI [${mr.sopUid}]`);
  });

  it("stores an object in the compression a converter says instead of IncomingCompression's", async () => {
    const image = makeImage({ rows: 16, columns: 16 });
    expect((await send('SQUEEZE', image)).code).toBe(0);
    await archive.server.core.ingest.recodingIdle();
    expect((await stored(image.sopUid))!.transferSyntaxUid).toBe(TransferSyntax.JpegLsLossless);
    const other = makeImage({ rows: 16, columns: 16 });
    expect((await send('CT01', other)).code).toBe(0);
    await archive.server.core.ingest.recodingIdle();
    expect((await stored(other.sopUid))!.transferSyntaxUid).toBe(TransferSyntax.ExplicitLittleEndian);
  });

  it('changes an object larger than what is held in memory (16 MB): its attributes, its Pixel Data streamed whole', async () => {
    const big = makeImage({ rows: 1024, columns: 1024, frames: 9 });
    expect(big.bytes.length).toBeGreaterThan(16 << 20);
    expect((await send('CT01', big)).code).toBe(0);
    const row = (await stored(big.sopUid))!;
    const file = archive.server.store.absolutePath(row.location);
    const dump = await dumpDataSet(file);
    expect(dump).toContain('(0010,1001) PN [from CT01 on TESTPACS]');
    const stored2 = await readFile(file);
    // Its Pixel Data is all there: the file grew by the new attribute only, and ends as the object sent did.
    expect(stored2.length - big.bytes.length).toBeGreaterThan(0);
    expect(stored2.length - big.bytes.length).toBeLessThan(100);
    expect(
      stored2.subarray(stored2.length - 1024).equals(Buffer.from(big.bytes.subarray(big.bytes.length - 1024))),
    ).toBe(true);
  });

  it('holds the pixel data arriving behind a converter that takes its time (the sender paused past 16 MB), then stores it whole', async () => {
    const big = makeImage({ rows: 1024, columns: 1024, frames: 9 });
    expect((await send('SLOWPOKE', big)).code).toBe(0);
    const file = archive.server.store.absolutePath((await stored(big.sopUid))!.location);
    expect(await dumpDataSet(file)).toContain('(0010,4000) LT [waited for]');
    const kept = await readFile(file);
    const pixels = big.bytes.length - 9 * 1024 * 1024 * 2;
    expect(kept.subarray(kept.length - (big.bytes.length - pixels)).equals(big.bytes.subarray(pixels))).toBe(true);
  });

  it('runs the converters on the attributes while the pixel data arrives; a transfer broken off has none of their effects', async () => {
    const image = makeImage({ rows: 256, columns: 256 });
    const meta = readFileMeta(image.bytes);
    expect(meta.transferSyntaxUid).toBe(TransferSyntax.ExplicitLittleEndian);
    const dataSet = image.bytes.subarray(meta.dataSetOffset);
    const peer = await BytePeer.associate(archive.port, archive.aeTitle, 'BROKEN', CT_IMAGE_STORAGE);
    const command = commandSet([
      [0x0002, CT_IMAGE_STORAGE],
      [0x0100, 0x0001],
      [0x0110, 1],
      [0x0700, 0],
      [0x0800, 0x0000],
      [0x1000, image.sopUid],
    ]);
    peer.sendPartial(command, dataSet, dataSet.length - 4096);
    await until('the converters ran on its attributes', () => archive.logText().includes(`seen ${image.sopUid}`));
    peer.abort();
    await until('the object is dropped', () => archive.logText().includes(`object ${image.sopUid} dropped`));
    expect(await stored(image.sopUid)).toBeUndefined();
    // The converter that appends each object to received.log ran on it too, but its write waits for the whole object.
    expect(await readFile(path.join(archive.dataDir, 'received.log'), 'utf8').catch(() => '')).not.toContain(
      image.sopUid,
    );
    await until('nothing of it is left in the incoming folder', async () => (await incomingFiles()).length === 0);
  });

  it('applies a converter saved in dicom.ini to the next object, without a restart', async () => {
    await archive.setIni('ImportConverter6', 'set 0010,4000 to "added while running"');
    const image = makeImage({ rows: 8, columns: 8 });
    expect((await send('CT01', image)).code).toBe(0);
    const row = (await stored(image.sopUid))!;
    expect(await dumpDataSet(archive.server.store.absolutePath(row.location))).toContain(
      '(0010,4000) LT [added while running]',
    );
  });

  it('stores an object as received when the converters fail on it (here: its file cannot be read), and says so', async () => {
    const header = { sopInstanceUid: uid(), modality: 'CT' } as InstanceHeader;
    const decision = await convertArriving(
      archive.server.core,
      {
        file: path.join(work, 'gone.part'),
        header,
        callingAe: 'CT01',
        calledAe: 'TESTPACS',
        dropped: false,
        peerAddress: '127.0.0.1',
        association: 1,
        device: 0,
        replaceWith: async () => {
          throw new Error('not to be replaced');
        },
        held: () => undefined,
        replaceHeld: () => {
          throw new Error('not to be replaced');
        },
        headOnly: false,
      },
      archive.server.feature(importConverters).scripts,
    );
    expect(decision).toEqual({ outcome: 'store', header });
    expect(archive.logText()).toContain(
      `${header.sopInstanceUid}: the import converters failed, stored as received: ENOENT`,
    );
    expect(JSON.stringify(archive.server.core.activity.snapshot().errors)).toContain(
      `import converters failed on ${header.sopInstanceUid}`,
    );
  });
});
