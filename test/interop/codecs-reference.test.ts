import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../helpers/dcmtk.ts';
import { pixelsOf } from '../helpers/compressed.ts';
import { fileMeta, makeImage, phantom, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { DicomTranscoder } from '../../main/codec/transcoder.ts';
import { framesOf } from '../../main/codec/fragments.ts';
import { parseDataSet, textOf } from '../../main/dicom/dataset.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { TransferSyntax as TS, encodingOf } from '../../common/uids.ts';

const SIZE = 80;
const LOSSY_IMAGE_COMPRESSION = 0x00282110;
const RATIO = 0x00282112;
const METHOD = 0x00282114;
const SOP_INSTANCE_UID = 0x00080018;

/**
 * Our encoders and decoders against the reference codecs of the field (issue 21): what we encode, DCMTK's decoders
 * and GDCM's (`gdcmconv --raw`) decode back to the source bit for bit (lossless) or within the loss asked for (lossy);
 * what GDCM encodes, we decode to the pixels GDCM itself decodes. Every file we write passes dcmdump.
 */
describe('codecs against DCMTK and GDCM', () => {
  const transcoder = new DicomTranscoder();
  let work: string;
  const ct = makeImage({ rows: SIZE, columns: SIZE, pixel: phantom(SIZE, SIZE, 2), rescaleIntercept: -1024 });
  const frames = makeImage({ rows: SIZE, columns: SIZE, frames: 2, pixel: (r, c, f) => phantom(SIZE, SIZE, f)(r, c) });
  const gray8 = makeImage({ rows: SIZE, columns: SIZE, bitsAllocated: 8, pixel: phantom(SIZE, SIZE, 1, 8) });
  const rgb = makeImage({ rows: SIZE, columns: SIZE, rgb: true, pixel: phantom(SIZE, SIZE, 4, 8) });
  // Hounsfield units stored directly: air at -1000, signed.
  const signed = makeImage({
    rows: SIZE,
    columns: SIZE,
    signed: true,
    pixel: (r, c) => phantom(SIZE, SIZE, 3)(r, c) - 1024,
  });

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-codecs-'));
  });
  afterAll(async () => {
    await transcoder.close();
    await rm(work, { recursive: true, force: true });
  });

  /** `image` encoded by us into `ts`, written as a Part-10 file that dcmdump reads without complaint. */
  async function encodeWithUs(image: MadeImage, ts: string, quality?: number): Promise<string> {
    const meta = readFileMeta(image.bytes);
    const body = await transcoder.transcode(
      image.bytes.subarray(meta.dataSetOffset),
      TS.ExplicitLittleEndian,
      ts,
      quality === undefined ? undefined : { quality },
    );
    const file = path.join(work, `${image.sopUid}.${ts}.${quality ?? 'lossless'}.dcm`);
    await writeFile(file, Buffer.concat([fileMeta(meta.sopClassUid, image.sopUid, ts), body]));
    const dump = await run('dcmdump', ['-q', file]);
    expect(dump.code, `dcmdump ${ts}: ${dump.stderr}`).toBe(0);
    expect(dump.stderr, `dcmdump ${ts}`).toBe('');
    return file;
  }

  /** The native pixels a reference tool decodes from `file`. */
  async function decodeWith(
    tool: 'dcmdjpeg' | 'dcmdjpls' | 'gdcmconv',
    file: string,
  ): Promise<Awaited<ReturnType<typeof pixelsOf>>> {
    const out = `${file}.${tool}.dcm`;
    const r =
      tool === 'gdcmconv' ? await run('gdcmconv', ['--raw', '-i', file, '-o', out]) : await run(tool, [file, out]);
    expect(r.code, `${tool}: ${r.stderr}`).toBe(0);
    return pixelsOf(out);
  }

  const source = async (image: MadeImage) => pixelsOf((await writeImages(path.join(work, 'src'), [image]))[0]!);

  it('encodes losslessly what DCMTK and GDCM decode back bit for bit', async () => {
    const plan: [string, MadeImage[], ('dcmdjpeg' | 'dcmdjpls' | 'gdcmconv')[]][] = [
      [TS.JpegLosslessSV1, [ct, frames, gray8, rgb, signed], ['dcmdjpeg', 'gdcmconv']],
      [TS.JpegLossless, [ct], ['dcmdjpeg', 'gdcmconv']],
      [TS.JpegLsLossless, [ct, frames, rgb, signed], ['dcmdjpls', 'gdcmconv']],
      [TS.Jpeg2000Lossless, [ct, frames, gray8, rgb, signed], ['gdcmconv']],
      [TS.Rle, [signed], ['gdcmconv']],
    ];
    for (const [ts, images, tools] of plan) {
      for (const image of images) {
        const ours = await encodeWithUs(image, ts);
        const original = await source(image);
        for (const tool of tools) {
          const back = await decodeWith(tool, ours);
          expect(back.pixels.equals(original.pixels), `${ts} decoded by ${tool}`).toBe(true);
          expect(back.photometric, `${ts} decoded by ${tool}`).toBe(original.photometric);
        }
      }
    }
  });

  it('encodes colour by plane (planar configuration 1) as colour by pixel, the pixels unchanged', async () => {
    const interleaved = (await writeImages(path.join(work, 'planar'), [rgb]))[0]!;
    const planarFile = path.join(work, 'planar', 'planar.dcm');
    expect(
      (await run('gdcmconv', ['--raw', '--planar-configuration', '1', '-i', interleaved, '-o', planarFile])).code,
    ).toBe(0);
    // The planes really are apart: the same samples, in another order.
    expect((await pixelsOf(planarFile)).pixels.equals((await source(rgb)).pixels)).toBe(false);
    for (const ts of [TS.JpegLsLossless, TS.Jpeg2000Lossless, TS.JpegLosslessSV1]) {
      const bytes = await readFile(planarFile);
      const meta = readFileMeta(bytes);
      const body = await transcoder.transcode(bytes.subarray(meta.dataSetOffset), meta.transferSyntaxUid, ts);
      const file = path.join(work, `planar.${ts}.dcm`);
      await writeFile(file, Buffer.concat([fileMeta(meta.sopClassUid, rgb.sopUid, ts), body]));
      const back = await decodeWith('gdcmconv', file);
      expect(back.pixels.equals((await source(rgb)).pixels), ts).toBe(true);
    }
  });

  it('keeps signed 12-bit samples (sign-extended in 16 bits) through every lossless codec', async () => {
    const file = (await writeImages(path.join(work, 'signed12'), [signed]))[0]!;
    expect((await run('dcmodify', ['-nb', '-m', 'BitsStored=12', '-m', 'HighBit=11', file])).code).toBe(0);
    const bytes = await readFile(file);
    const meta = readFileMeta(bytes);
    const original = (await pixelsOf(file)).pixels;
    for (const ts of [TS.JpegLsLossless, TS.Jpeg2000Lossless, TS.JpegLosslessSV1, TS.Rle, TS.HtJpeg2000Lossless]) {
      const body = await transcoder.transcode(bytes.subarray(meta.dataSetOffset), meta.transferSyntaxUid, ts);
      const back = parseDataSet(
        await transcoder.transcode(body, ts, TS.ExplicitLittleEndian),
        encodingOf(TS.ExplicitLittleEndian),
      );
      expect((back.get(0x7fe00010)!.value as Buffer).equals(original), ts).toBe(true);
      if (ts === TS.HtJpeg2000Lossless) continue;
      // GDCM agrees on the 12 stored bits (it leaves CharLS's output without the sign extension).
      const encoded = path.join(work, 'signed12', `${ts}.dcm`);
      await writeFile(encoded, Buffer.concat([fileMeta(meta.sopClassUid, signed.sopUid, ts), body]));
      const reference = (await decodeWith('gdcmconv', encoded)).pixels;
      for (let i = 0; i < original.length; i += 2) {
        if ((reference.readUInt16LE(i) & 0xfff) !== (original.readUInt16LE(i) & 0xfff))
          expect.fail(`${ts}: sample ${i / 2} differs`);
      }
    }
  });

  it('encodes HTJ2K losslessly, which OpenJPEG decodes back bit for bit', async () => {
    const ours = await encodeWithUs(ct, TS.HtJpeg2000Lossless);
    const bytes = await readFile(ours);
    const ds = parseDataSet(bytes.subarray(readFileMeta(bytes).dataSetOffset), encodingOf(TS.HtJpeg2000Lossless));
    const [frame] = framesOf((ds.get(0x7fe00010)!.value as { fragments: Buffer }).fragments, 1);
    await writeFile(path.join(work, 'ht.j2k'), frame!);
    const r = await run('opj_decompress', ['-i', path.join(work, 'ht.j2k'), '-o', path.join(work, 'ht.pgm')]);
    expect(r.code, r.stderr).toBe(0);
    const pgm = await readFile(path.join(work, 'ht.pgm'));
    const samples = Buffer.from(pgm.subarray(pgm.length - SIZE * SIZE * 2));
    samples.swap16(); // PGM is big endian
    expect(samples.equals((await source(ct)).pixels)).toBe(true);
  });

  it('decodes what GDCM encodes to the pixels GDCM decodes', async () => {
    const made: [string, string[], MadeImage][] = [
      ['JPEG 2000 (GDCM)', ['-K'], ct],
      ['JPEG 2000, colour (GDCM)', ['-K'], rgb],
      ['JPEG-LS (GDCM)', ['-L'], ct],
      ['JPEG lossless (GDCM)', ['-J'], ct],
      ['JPEG 2000 lossy (GDCM)', ['-K', '--lossy', '-q', '30'], ct],
      ['JPEG-LS near-lossless (GDCM)', ['-L', '--lossy', '-e', '3'], ct],
    ];
    for (const [name, options, image] of made) {
      const plain = (await writeImages(path.join(work, 'gdcm-src'), [image]))[0]!;
      const encoded = path.join(work, `${image.sopUid}.gdcm${options.join('')}.dcm`);
      const r = await run('gdcmconv', [...options, '-i', plain, '-o', encoded]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const bytes = await readFile(encoded);
      const meta = readFileMeta(bytes);
      const ours = await transcoder.transcode(
        bytes.subarray(meta.dataSetOffset),
        meta.transferSyntaxUid,
        TS.ExplicitLittleEndian,
      );
      const ds = parseDataSet(ours, encodingOf(TS.ExplicitLittleEndian));
      const reference = await decodeWith('gdcmconv', encoded);
      expect((ds.get(0x7fe00010)!.value as Buffer).equals(reference.pixels), name).toBe(true);
      expect(textOf(ds.get(0x00280004)).trim(), name).toBe(reference.photometric.trim());
    }
  });

  it('compresses lossy only within the loss asked for, and records it (PS3.3 C.7.6.1.1.5), keeping the SOP Instance UID', async () => {
    /** The largest and the mean difference of two native pixel buffers. */
    const error = (a: Buffer, b: Buffer, bytes: 1 | 2) => {
      let worst = 0;
      let sum = 0;
      for (let i = 0; i < a.length; i += bytes) {
        const d = Math.abs(bytes === 2 ? a.readUInt16LE(i) - b.readUInt16LE(i) : a[i]! - b[i]!);
        worst = Math.max(worst, d);
        sum += d;
      }
      return { worst, mean: sum / (a.length / bytes) };
    };
    // JPEG-LS near-lossless at Conquest's quality 80: NEAR 2, so no sample may move by more than 2.
    const near = await decodeWith('dcmdjpls', await encodeWithUs(ct, TS.JpegLsNearLossless, 80));
    expect(error(near.pixels, (await source(ct)).pixels, 2).worst).toBeLessThanOrEqual(2);
    expect(near.text(LOSSY_IMAGE_COMPRESSION)).toBe('01');
    expect(near.text(METHOD)).toBe('ISO_14495_1');
    expect(near.text(SOP_INSTANCE_UID)).toBe(ct.sopUid);

    // Lossy JPEG and JPEG 2000 ring at the phantom's hard edges: the mean error is what stays small.
    const cases: [MadeImage, string, 'dcmdjpeg' | 'gdcmconv', string, number][] = [
      [gray8, TS.JpegBaseline, 'dcmdjpeg', 'ISO_10918_1', 2],
      // The test colour's blue channel wraps from 255 to 0 (3v mod 256): 4:2:2 chroma blurs those jumps.
      [rgb, TS.JpegBaseline, 'dcmdjpeg', 'ISO_10918_1', 10],
      [ct, TS.Jpeg2000, 'gdcmconv', 'ISO_15444_1', 16],
    ];
    for (const [image, ts, tool, method, bound] of cases) {
      const file = await encodeWithUs(image, ts, 85);
      const encoded = await decodeWith(tool, file);
      const original = await source(image);
      const e = error(encoded.pixels, original.pixels, image === ct ? 2 : 1);
      expect(e.mean, `${ts}`).toBeLessThanOrEqual(bound);
      expect(e.worst, `${ts}`).toBeGreaterThan(0);
      expect(encoded.text(LOSSY_IMAGE_COMPRESSION), ts).toBe('01');
      expect(encoded.text(METHOD), ts).toBe(method);
      expect(Number(encoded.text(RATIO)), ts).toBeGreaterThan(1);
      expect(encoded.text(SOP_INSTANCE_UID), ts).toBe(image.sopUid);
    }
    // Colour JPEG baseline is YBR_FULL_422 as stored, as DICOM has it (PS3.5 8.2.1).
    const stored = await readFile(await encodeWithUs(rgb, TS.JpegBaseline, 85));
    const ds = parseDataSet(stored.subarray(readFileMeta(stored).dataSetOffset), encodingOf(TS.JpegBaseline));
    expect(textOf(ds.get(0x00280004)).trim()).toBe('YBR_FULL_422');
  });

  it('never compresses lossy without a quality an admin chose, and refuses 12-bit lossy JPEG with the reason', async () => {
    expect(transcoder.canTranscode(TS.ExplicitLittleEndian, TS.JpegBaseline)).toBe(false);
    expect(transcoder.canTranscode(TS.ExplicitLittleEndian, TS.JpegBaseline, { quality: 90 })).toBe(true);
    const meta = readFileMeta(ct.bytes);
    await expect(
      transcoder.transcode(ct.bytes.subarray(meta.dataSetOffset), TS.ExplicitLittleEndian, TS.JpegBaseline, {
        quality: 90,
      }),
    ).rejects.toThrow(/lossy JPEG is made of 8-bit images only; this one has 12 bits/);
  });
});
