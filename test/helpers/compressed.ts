import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeDataSet, parseDataSet, textOf } from '../../main/dicom/dataset.ts';
import { encodingOf, TransferSyntax } from '../../common/uids.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { run } from './dcmtk.ts';
import { fileMeta, type MadeImage } from './fixtures.ts';
import { encapsulate } from '../../main/codec/fragments.ts';
import { transcoder } from '../../main/codec/transcoder.ts';

/**
 * Test objects in compressed transfer syntaxes, made by real encoders: DCMTK's dcmcrle, dcmcjpeg and dcmcjpls (and
 * dcmconv for big endian), OpenJPEG's opj_compress for JPEG 2000 (DCMTK has no JPEG 2000 codec), whose codestream is
 * wrapped here. HTJ2K has no encoder among Debian's tools: our own (OpenJPH), which codecs-reference.test.ts checks
 * against OpenJPEG's decoder, makes it.
 */

export const TS = {
  rle: TransferSyntax.Rle,
  jpegBaseline: TransferSyntax.JpegBaseline,
  jpegExtended: TransferSyntax.JpegExtended,
  jpegLossless: TransferSyntax.JpegLosslessSV1,
  jpegLs: TransferSyntax.JpegLsLossless,
  jpeg2000: TransferSyntax.Jpeg2000Lossless,
  htj2k: TransferSyntax.HtJpeg2000Lossless,
  bigEndian: TransferSyntax.ExplicitBigEndian,
} as const;

/** storescu's option that proposes each syntax (it proposes a compressed one only when told which). */
export const PROPOSE: Record<string, string> = {
  [TS.rle]: '-xr',
  [TS.jpegLossless]: '-xs',
  [TS.jpegLs]: '-xt',
  [TS.jpeg2000]: '-xv',
  [TS.jpegBaseline]: '-xy',
  [TS.jpegExtended]: '-xx',
  [TS.bigEndian]: '-xb',
};

const DCMTK_ENCODER: Record<string, [string, string[]]> = {
  [TS.rle]: ['dcmcrle', []],
  // +un: keep the SOP Instance UID (DCMTK makes a new one for lossy compression by default).
  [TS.jpegBaseline]: ['dcmcjpeg', ['+eb', '+un']],
  [TS.jpegExtended]: ['dcmcjpeg', ['+ee', '+un']],
  [TS.jpegLossless]: ['dcmcjpeg', ['+e1']],
  [TS.jpegLs]: ['dcmcjpls', []],
  [TS.bigEndian]: ['dcmconv', ['+tb']],
};

async function must(tool: string, args: string[]): Promise<void> {
  const r = await run(tool, args);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** Write `image` compressed into `transferSyntax` in `dir`; returns the file. */
export async function compressedFile(
  dir: string,
  image: MadeImage,
  transferSyntax: string,
  rows: number,
  columns: number,
): Promise<string> {
  const source = path.join(dir, `${image.sopUid}.source.dcm`);
  const target = path.join(dir, `${image.sopUid}.dcm`);
  await writeFile(source, image.bytes);
  const encoder = DCMTK_ENCODER[transferSyntax];
  if (encoder) {
    await must(encoder[0], [...encoder[1], source, target]);
    return target;
  }
  const meta = readFileMeta(image.bytes);
  if (transferSyntax === TS.htj2k) {
    const body = await transcoder.transcode(image.bytes.subarray(meta.dataSetOffset), meta.transferSyntaxUid, TS.htj2k);
    await writeFile(target, Buffer.concat([fileMeta(meta.sopClassUid, image.sopUid, TS.htj2k), body]));
    return target;
  }
  if (transferSyntax !== TS.jpeg2000) throw new Error(`no encoder for ${transferSyntax}`);
  const ds = parseDataSet(image.bytes.subarray(meta.dataSetOffset), encodingOf(meta.transferSyntaxUid));
  const pixels = ds.get(0x7fe00010)!.value as Buffer;
  // 16-bit samples (12 used) as a big-endian PGM, which opj_compress encodes losslessly by default.
  const pgm = path.join(dir, `${image.sopUid}.pgm`);
  const samples = Buffer.from(pixels);
  samples.swap16();
  await writeFile(pgm, Buffer.concat([Buffer.from(`P5\n${columns} ${rows}\n4095\n`, 'latin1'), samples]));
  const j2k = path.join(dir, `${image.sopUid}.j2k`);
  await must('opj_compress', ['-i', pgm, '-o', j2k]);
  const codestream = await readFile(j2k);
  ds.set(0x7fe00010, { tag: 0x7fe00010, vr: 'OB', value: { fragments: encapsulate([codestream]) } });
  const body = encodeDataSet(ds, encodingOf(transferSyntax));
  await writeFile(target, Buffer.concat([fileMeta(meta.sopClassUid, image.sopUid, transferSyntax), body]));
  return target;
}

/** The native pixel data bytes and a few attributes of a Part-10 file (as a reference decoder wrote it). */
export async function pixelsOf(
  file: string,
): Promise<{ pixels: Buffer; photometric: string; ts: string; text: (tag: number) => string }> {
  const bytes = await readFile(file);
  const meta = readFileMeta(bytes);
  const ds = parseDataSet(bytes.subarray(meta.dataSetOffset), encodingOf(meta.transferSyntaxUid));
  const e = ds.get(0x7fe00010)!;
  if (!Buffer.isBuffer(e.value)) throw new Error(`${file}: pixel data is not native`);
  return {
    pixels: e.value,
    photometric: textOf(ds.get(0x00280004)),
    ts: meta.transferSyntaxUid,
    text: (tag) => textOf(ds.get(tag)).trim(),
  };
}
