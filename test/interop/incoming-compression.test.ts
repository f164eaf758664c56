import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { retrieveResponses } from '../helpers/qr-tools.ts';
import { PROPOSE, TS, compressedFile } from '../helpers/compressed.ts';
import { makeImage, phantom, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { parseDataSet } from '../../main/dicom/dataset.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { importPath } from '../../main/archive/importer.ts';
import { TransferSyntax, encodingOf, StorageSopClass } from '../../common/uids.ts';

const SIZE = 80;

async function pixelsOf(file: string): Promise<Buffer> {
  const bytes = await readFile(file);
  const meta = readFileMeta(bytes);
  const e = parseDataSet(bytes.subarray(meta.dataSetOffset), encodingOf(meta.transferSyntaxUid)).get(0x7fe00010)!;
  if (!Buffer.isBuffer(e.value)) throw new Error(`${file}: pixel data is not native`);
  return e.value;
}

/**
 * Conquest's IncomingCompression and DroppedFileCompression (issue 21): objects received (or imported) are stored in the
 * syntax the admin chose — JPEG-LS or JPEG 2000 lossless to save disk, or uncompressed — and come back out bit for bit;
 * what cannot be stored so is kept as received, never lost.
 */
describe('storing received objects compressed or uncompressed', () => {
  let archive: TestArchive;
  let plain: RunningStorescp;
  let work: string;
  const grey = (n: number, study = uid()) =>
    makeImage({
      patientId: 'INCOMING',
      studyUid: study,
      instanceNumber: n,
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, n),
      rescaleIntercept: -1024,
    });
  const multi = (study: string) =>
    makeImage({
      patientId: 'INCOMING',
      studyUid: study,
      instanceNumber: 9,
      rows: SIZE,
      columns: SIZE,
      frames: 3,
      pixel: (r, c, f) => phantom(SIZE, SIZE, f)(r, c),
    });
  const colour = (study: string) =>
    makeImage({
      patientId: 'INCOMING',
      studyUid: study,
      instanceNumber: 10,
      rows: SIZE,
      columns: SIZE,
      rgb: true,
      sopClassUid: StorageSopClass.SecondaryCapture,
      pixel: phantom(SIZE, SIZE, 2, 8),
    });

  beforeAll(async () => {
    plain = await startStorescp('PLAIN');
    archive = await startArchive({ IncomingCompression: 'js' }, [`PLAIN 127.0.0.1 ${plain.port} un`]);
    work = await mkdtemp(path.join(tmpdir(), 'pacs-incoming-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await plain?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const store = async (images: MadeImage[], options: string[] = []) => {
    const files = await writeImages(path.join(work, uid()), images);
    const r = await run('storescu', [...options, '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
    expect(r.code, r.stderr).toBe(0);
    return files;
  };
  /** Where an object is once its re-encoding (after the sender heard success) is done. */
  const storedFile = async (sop: string) => {
    await archive.server.core.ingest.recodingIdle();
    const inst = (await archive.server.index.findInstance(sop))!;
    return { file: archive.server.store.absolutePath(inst.location), ts: inst.transferSyntaxUid };
  };

  it('stores uncompressed objects as JPEG-LS lossless (IncomingCompression = js), which DCMTK decodes to the same pixels', async () => {
    const study = uid();
    const images = [grey(1, study), grey(2, study), multi(study), colour(study)];
    const originals = await store(images);
    for (const [i, img] of images.entries()) {
      const { file, ts } = await storedFile(img.sopUid);
      expect(ts).toBe(TS.jpegLs);
      expect(await transferSyntaxOf(file)).toBe(TS.jpegLs);
      const decoded = path.join(work, `${img.sopUid}.dcmdjpls.dcm`);
      const r = await run('dcmdjpls', [file, decoded]);
      expect(r.code, r.stderr).toBe(0);
      expect((await pixelsOf(decoded)).equals(await pixelsOf(originals[i]!)), `object ${i}`).toBe(true);
    }
    // And out again, decoded for a peer that takes only uncompressed syntaxes, bit for bit.
    const m = await run('movescu', [
      '-d',
      '-S',
      '-aet',
      'MOVER',
      '-aem',
      'PLAIN',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
    ]);
    expect(retrieveResponses(m.stdout + m.stderr, 'Move').at(-1)).toMatchObject({
      status: '0x0000',
      completed: images.length,
    });
    const got = new Map((await plain.files()).map((f) => [path.basename(f).replace(/^[A-Z]{2}\./, ''), f]));
    for (const [i, img] of images.entries())
      expect((await pixelsOf(got.get(img.sopUid)!)).equals(await pixelsOf(originals[i]!)), `moved ${i}`).toBe(true);
  });

  it('stores as JPEG 2000 lossless (jk), keeping as received what it cannot encode', async () => {
    await archive.setIni('IncomingCompression', 'jk');
    const study = uid();
    const g = grey(3, study);
    const c = colour(study);
    // An RT Dose grid with all 32 bits stored: no JPEG codec takes more than 16.
    const dose = makeImage({
      patientId: 'INCOMING',
      studyUid: study,
      instanceNumber: 11,
      rows: 16,
      columns: 16,
      bitsAllocated: 32,
      sopClassUid: StorageSopClass.RtDose,
      pixel: (r, col) => r * 100_000 + col,
    });
    await store([g, c, dose]);
    expect((await storedFile(g.sopUid)).ts).toBe(TS.jpeg2000);
    expect((await storedFile(c.sopUid)).ts).toBe(TS.jpeg2000);
    expect((await storedFile(dose.sopUid)).ts).toBe(TransferSyntax.ExplicitLittleEndian);
    expect(archive.logText()).toMatch(
      new RegExp(
        `${dose.sopUid.replace(/\./g, '\\.')} from STORESCU kept as received .*32-bit samples are not compressed`,
      ),
    );
  });

  it('decompresses what arrives compressed (un), and applies DroppedFileCompression to imports', async () => {
    await archive.setIni('IncomingCompression', 'un');
    const img = grey(4);
    const jls = await compressedFile(path.join(work), img, TS.jpegLs, SIZE, SIZE);
    const r = await run('storescu', [
      PROPOSE[TS.jpegLs]!,
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      jls,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { file, ts } = await storedFile(img.sopUid);
    expect(ts).toBe(TransferSyntax.ExplicitLittleEndian);
    expect(
      (await pixelsOf(file)).equals(await pixelsOf((await writeImages(path.join(work, 'orig4'), [img]))[0]!)),
    ).toBe(true);

    await archive.setIni('DroppedFileCompression', 'js');
    const dropped = grey(5);
    const result = await importPath(
      (await writeImages(path.join(work, 'drop'), [dropped]))[0]!,
      archive.server.core.importTarget(),
      'copy',
    );
    expect(result.imported).toBe(1);
    expect((await storedFile(dropped.sopUid)).ts).toBe(TS.jpegLs);
  });

  it("sends a file re-encoded behind a reader's back right: the file's own header names its syntax, not the index row read before", async () => {
    await archive.setIni('IncomingCompression', 'js');
    const study = uid();
    const img = grey(6, study);
    const [original] = await store([img]);
    const { ts } = await storedFile(img.sopUid);
    expect(ts).toBe(TS.jpegLs);
    // The index row as a C-MOVE read it just before the re-encoding swapped the file: uncompressed.
    const inst = (await archive.server.index.findInstance(img.sopUid))!;
    expect(
      await archive.server.index.recodedInstance(
        img.sopUid,
        { location: inst.location, transferSyntaxUid: TS.jpegLs },
        { location: inst.location, transferSyntaxUid: TransferSyntax.ExplicitLittleEndian, size: inst.size },
      ),
    ).toBe(true);
    const m = await run('movescu', [
      '-d',
      '-S',
      '-aet',
      'MOVER',
      '-aem',
      'PLAIN',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
    ]);
    expect(retrieveResponses(m.stdout + m.stderr, 'Move').at(-1)).toMatchObject({ status: '0x0000', completed: 1 });
    const got = (await plain.files()).find((f) => f.endsWith(img.sopUid))!;
    expect((await pixelsOf(got)).equals(await pixelsOf(original!))).toBe(true);
  });

  it('never lets the re-encoding of an earlier copy replace a newer copy of the same object', async () => {
    await archive.setIni('IncomingCompression', 'jk');
    const sopUid = uid();
    // Large enough that the first copy is still being encoded when the second arrives on the same association.
    const first = makeImage({
      patientId: 'INCOMING',
      sopUid,
      rows: 512,
      columns: 512,
      pixel: phantom(512, 512, 1),
      rescaleIntercept: -1024,
    });
    const second = makeImage({
      patientId: 'INCOMING',
      sopUid,
      studyUid: first.studyUid,
      seriesUid: first.seriesUid,
      rows: 512,
      columns: 512,
      pixel: phantom(512, 512, 8),
      rescaleIntercept: -1024,
    });
    const files = [
      ...(await writeImages(path.join(work, 'v1'), [first])),
      ...(await writeImages(path.join(work, 'v2'), [second])),
    ];
    const r = await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
    expect(r.code, r.stderr).toBe(0);
    const { file, ts } = await storedFile(sopUid);
    expect(ts).toBe(TS.jpeg2000);
    const back = path.join(work, 'v2-back.dcm');
    expect((await run('gdcmconv', ['--raw', '-i', file, '-o', back])).code).toBe(0);
    expect((await pixelsOf(back)).equals(await pixelsOf(files[1]!))).toBe(true);
  });
});
