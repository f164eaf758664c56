import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { retrieveResponses } from '../helpers/qr-tools.ts';
import { PROPOSE, TS, compressedFile, pixelsOf } from '../helpers/compressed.ts';
import { fileMeta, makeImage, phantom, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { transcoder } from '../../main/codec/transcoder.ts';
import { framesOf } from '../../main/codec/fragments.ts';
import { parseDataSet } from '../../main/dicom/dataset.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { TransferSyntax, encodingOf, StorageSopClass } from '../../common/uids.ts';

const SIZE = 96;

/** DCMTK's own decoder for each syntax, to compare with (OpenJPEG's for JPEG 2000 is the original itself). */
const DCMTK_DECODER: Record<string, string> = {
  [TS.rle]: 'dcmdrle',
  [TS.jpegLossless]: 'dcmdjpeg',
  [TS.jpegLs]: 'dcmdjpls',
  [TS.jpegBaseline]: 'dcmdjpeg',
  [TS.jpegExtended]: 'dcmdjpeg',
};

/**
 * Compressed objects reach a peer that takes only uncompressed syntaxes (issue 21): a C-MOVE to DCMTK's storescp with
 * its default settings receives every object decoded — the same bytes DCMTK's own decoders make for lossless syntaxes —
 * and a storescp that accepts the compressed syntax receives it unchanged. A syntax we cannot decode is a failure that
 * names the object and the reason.
 */
describe('decoding compressed objects for peers that take only uncompressed ones', () => {
  let archive: TestArchive;
  let plain: RunningStorescp;
  let all: RunningStorescp;
  let work: string;
  const study = uid();
  const cases: { name: string; ts: string; image: MadeImage; file?: string; lossy?: boolean }[] = [];

  beforeAll(async () => {
    plain = await startStorescp('PLAIN');
    all = await startStorescp('ALLSYNTAX', ['+xa']);
    archive = await startArchive({}, [`PLAIN 127.0.0.1 ${plain.port} un`, `ALLSYNTAX 127.0.0.1 ${all.port} as`]);
    work = await mkdtemp(path.join(tmpdir(), 'pacs-transcode-'));
    const wide = (n: number) =>
      makeImage({
        patientId: 'CODEC',
        studyUid: study,
        instanceNumber: n,
        rows: SIZE,
        columns: SIZE,
        pixel: phantom(SIZE, SIZE, n),
        rescaleIntercept: -1024,
      });
    const frames = (n: number) =>
      makeImage({
        patientId: 'CODEC',
        studyUid: study,
        instanceNumber: n,
        rows: SIZE,
        columns: SIZE,
        frames: 3,
        pixel: (r, c, f) => phantom(SIZE, SIZE, f)(r, c),
        rescaleIntercept: -1024,
      });
    const colour = (n: number) =>
      makeImage({
        patientId: 'CODEC',
        studyUid: study,
        instanceNumber: n,
        rows: SIZE,
        columns: SIZE,
        rgb: true,
        sopClassUid: StorageSopClass.SecondaryCapture,
        pixel: phantom(SIZE, SIZE, n, 8),
      });
    const narrow = (n: number) =>
      makeImage({
        patientId: 'CODEC',
        studyUid: study,
        instanceNumber: n,
        rows: SIZE,
        columns: SIZE,
        pixel: phantom(SIZE, SIZE, n, 8),
        bitsAllocated: 8,
      });
    cases.push(
      { name: 'RLE lossless', ts: TS.rle, image: wide(1) },
      { name: 'JPEG lossless SV1', ts: TS.jpegLossless, image: wide(2) },
      { name: 'JPEG-LS lossless', ts: TS.jpegLs, image: wide(3) },
      { name: 'JPEG 2000 lossless', ts: TS.jpeg2000, image: wide(4) },
      { name: 'JPEG baseline (8 bits)', ts: TS.jpegBaseline, image: narrow(5), lossy: true },
      { name: 'RLE, 3 frames', ts: TS.rle, image: frames(6) },
      { name: 'JPEG baseline, colour (YBR_FULL_422 in, RGB out)', ts: TS.jpegBaseline, image: colour(8), lossy: true },
      { name: 'RLE, colour', ts: TS.rle, image: colour(9) },
      { name: 'JPEG-LS, colour', ts: TS.jpegLs, image: colour(10) },
      { name: 'JPEG-LS, 3 frames', ts: TS.jpegLs, image: frames(7) },
      { name: 'JPEG extended (12 bits)', ts: TS.jpegExtended, image: wide(11), lossy: true },
    );
    for (const c of cases) {
      c.file = await compressedFile(work, c.image, c.ts, SIZE, SIZE);
      const stored = await run('storescu', [
        PROPOSE[c.ts]!,
        '-aec',
        archive.aeTitle,
        '127.0.0.1',
        String(archive.port),
        c.file,
      ]);
      expect(stored.code, stored.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await archive?.stop();
    await plain?.stop();
    await all?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const move = (dest: string) =>
    run('movescu', [
      '-d',
      '-S',
      '-aet',
      'MOVER',
      '-aem',
      dest,
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
    ]);
  const received = async (scp: RunningStorescp) =>
    new Map((await scp.files()).map((f) => [path.basename(f).replace(/^[A-Z]{2}\./, ''), f]));

  it('sends each compressed object decoded to a storescp with default settings, bit for bit as DCMTK decodes it', async () => {
    const r = await move('PLAIN');
    expect(retrieveResponses(r.stdout + r.stderr, 'Move').at(-1)).toMatchObject({
      final: true,
      status: '0x0000',
      completed: cases.length,
      failed: 0,
    });
    const got = await received(plain);
    for (const c of cases) {
      const file = got.get(c.image.sopUid);
      expect(file, c.name).toBeDefined();
      const ours = await pixelsOf(file!);
      expect([TransferSyntax.ImplicitLittleEndian, TransferSyntax.ExplicitLittleEndian]).toContain(ours.ts);
      // DCMTK's own decoding of the same file (the original itself for JPEG 2000: DCMTK has no JPEG 2000 codec).
      const decoder = DCMTK_DECODER[c.ts];
      let referenceFile = (await writeImages(path.join(work, 'originals'), [c.image]))[0]!;
      if (decoder) {
        referenceFile = path.join(work, `${c.image.sopUid}.dcmtk.dcm`);
        expect((await run(decoder, [c.file!, referenceFile])).code).toBe(0);
      }
      const reference = await pixelsOf(referenceFile);
      expect(ours.pixels.length, c.name).toBe(reference.pixels.length);
      if (!c.lossy) {
        expect(ours.pixels.equals(reference.pixels), `${c.name}: decoded pixels differ from the reference`).toBe(true);
      } else {
        // Two JPEG decoders (libjpeg-turbo, DCMTK's IJG) may round a sample differently by one.
        let worst = 0;
        for (let i = 0; i < reference.pixels.length; i++)
          worst = Math.max(worst, Math.abs(ours.pixels[i]! - reference.pixels[i]!));
        expect(worst, c.name).toBeLessThanOrEqual(2);
      }
      // Colour JPEG is YBR_FULL_422 as stored and RGB decoded, for DCMTK and for us.
      expect(ours.photometric, c.name).toBe(reference.photometric);
    }
  });

  it('sends each object unchanged to a storescp that accepts its syntax', async () => {
    const r = await move('ALLSYNTAX');
    expect(retrieveResponses(r.stdout + r.stderr, 'Move').at(-1)).toMatchObject({
      final: true,
      status: '0x0000',
      completed: cases.length,
    });
    const got = await received(all);
    for (const c of cases) {
      expect(await transferSyntaxOf(got.get(c.image.sopUid)!), c.name).toBe(c.ts);
      const sent = await readFile(c.file!);
      const arrived = await readFile(got.get(c.image.sopUid)!);
      // The pixel data went as stored: its encapsulated bytes are found whole in what arrived.
      const tail = sent.subarray(sent.length - 256);
      expect(arrived.includes(tail), c.name).toBe(true);
    }
  });

  it('encodes RLE, JPEG-LS and JPEG 2000 that DCMTK and OpenJPEG decode back to the same pixels', async () => {
    const images = [
      makeImage({ rows: SIZE, columns: SIZE, pixel: phantom(SIZE, SIZE, 3), rescaleIntercept: -1024 }),
      makeImage({ rows: SIZE, columns: SIZE, frames: 2, pixel: (r, c, f) => phantom(SIZE, SIZE, f)(r, c) }),
      makeImage({ rows: SIZE, columns: SIZE, rgb: true, pixel: phantom(SIZE, SIZE, 4, 8) }),
    ];
    const decoders: [string, string][] = [
      [TS.rle, 'dcmdrle'],
      [TS.jpegLs, 'dcmdjpls'],
      [TS.jpeg2000, ''],
    ];
    for (const [index, img] of images.entries()) {
      const source = (await writeImages(path.join(work, 'encode-src'), [img]))[0]!;
      const meta = readFileMeta(img.bytes);
      for (const [ts, decoder] of decoders) {
        if (ts === TS.jpeg2000 && index === 2) continue; // opj_decompress writes colour as PPM: colour JPEG 2000 is checked with GDCM (codecs-reference.test.ts)
        const body = await transcoder.transcode(
          img.bytes.subarray(meta.dataSetOffset),
          TransferSyntax.ExplicitLittleEndian,
          ts,
        );
        const encoded = path.join(work, `${img.sopUid}.${ts}.dcm`);
        await writeFile(encoded, Buffer.concat([fileMeta(meta.sopClassUid, img.sopUid, ts), body]));
        expect(await transferSyntaxOf(encoded)).toBe(ts);
        let back: string;
        if (decoder) {
          back = path.join(work, `${img.sopUid}.${ts}.back.dcm`);
          const r = await run(decoder, [encoded, back]);
          expect(r.code, `${decoder}: ${r.stderr}`).toBe(0);
        } else {
          // DCMTK has no JPEG 2000 codec: OpenJPEG's own decompressor reads our codestream.
          const bytes = await readFile(encoded);
          const ds = parseDataSet(bytes.subarray(readFileMeta(bytes).dataSetOffset), encodingOf(ts));
          const [frame] = framesOf((ds.get(0x7fe00010)!.value as { fragments: Buffer }).fragments, 1);
          const j2k = path.join(work, `${img.sopUid}.j2k`);
          await writeFile(j2k, frame!);
          const pgm = path.join(work, `${img.sopUid}.pgm`);
          expect((await run('opj_decompress', ['-i', j2k, '-o', pgm])).code).toBe(0);
          const raw = await readFile(pgm);
          const samples = Buffer.from(raw.subarray(raw.length - SIZE * SIZE * 2));
          samples.swap16(); // PGM is big endian
          expect(
            samples.equals((await pixelsOf(source)).pixels.subarray(0, SIZE * SIZE * 2)),
            `${ts} object ${index}`,
          ).toBe(true);
          continue;
        }
        expect((await pixelsOf(back)).pixels.equals((await pixelsOf(source)).pixels), `${ts} object ${index}`).toBe(
          true,
        );
      }
    }
  });

  it('names the object and the reason when it cannot be decoded for the peer', async () => {
    // A JPEG-LS object whose Rows no longer match its codestream (an edit gone wrong): nothing can decode it honestly.
    const broken = makeImage({
      patientId: 'CODECBAD',
      studyUid: uid(),
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, 7),
      rescaleIntercept: -1024,
    });
    const file = await compressedFile(path.join(work), broken, TS.jpegLs, SIZE, SIZE);
    expect((await run('dcmodify', ['-nb', '-m', 'Rows=64', file])).code).toBe(0);
    expect(
      (await run('storescu', ['-xt', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file])).code,
    ).toBe(0);
    const r = await run('movescu', [
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
      'QueryRetrieveLevel=IMAGE',
      '-k',
      `StudyInstanceUID=${broken.studyUid}`,
      '-k',
      `SOPInstanceUID=${broken.sopUid}`,
    ]);
    expect(retrieveResponses(r.stdout + r.stderr, 'Move').at(-1)).toMatchObject({
      final: true,
      failed: 1,
      completed: 0,
    });
    expect(archive.logText()).toMatch(
      new RegExp(
        `sub-operation ${broken.sopUid.replace(/\./g, '\\.')} failed: .*the codestream is 96x96x1, the object says 96x64x1`,
      ),
    );
  });
});
