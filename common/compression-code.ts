import { TransferSyntax } from './uids.ts';
import { SaidError, msg, type Message } from './message.ts';

/**
 * Conquest's compression codes (its manual's "Compression Configuration"), as dicom.ini's IncomingCompression and
 * DroppedFileCompression and acrnema.map's fourth column write them: what the archive does with an object's pixels.
 * The settings screen offers them as choices with these words.
 */
export type CompressionPlan =
  /** as, is: keep the object as it came */
  | { kind: 'keep' }
  /** un: uncompressed; uj: uncompressed, but JPEG left as it is */
  | { kind: 'uncompressed'; keepJpeg: boolean }
  /**
   * js JPEG-LS lossless, jk JPEG 2000 lossless, j1 JPEG lossless SV1, j2 JPEG lossless (process 14); lossy, with the
   * quality NN of jNN (1-100, 90 when not written): j3/j4 JPEG baseline (8-bit images), j7 JPEG-LS near-lossless,
   * jl JPEG 2000.
   */
  | { kind: 'compress'; transferSyntax: string; quality?: number };

/** The codes the settings and nodes screens offer, in words. Lossy ones take a quality: j385 is j3 at quality 85. */
export const COMPRESSION_CHOICES: { code: string; words: string }[] = [
  { code: 'as', words: 'keep as received' },
  { code: 'un', words: 'uncompressed (decompress what arrives compressed)' },
  { code: 'uj', words: 'uncompressed, but keep JPEG as received' },
  { code: 'js', words: 'JPEG-LS lossless (about half the disk)' },
  { code: 'jk', words: 'JPEG 2000 lossless' },
  { code: 'j1', words: 'JPEG lossless (SV1)' },
  { code: 'j2', words: 'JPEG lossless (process 14)' },
  { code: 'j3', words: 'LOSSY: JPEG baseline, 8-bit images only, quality 90' },
  { code: 'j7', words: 'LOSSY: JPEG-LS near-lossless, quality 90 (each pixel within 1)' },
  { code: 'jl', words: 'LOSSY: JPEG 2000, quality 90' },
];

export const JPEG_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLosslessSV1,
]);

/** Syntaxes whose pixels lost information to compression. */
export const LOSSY_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.JpegLsNearLossless,
  TransferSyntax.Jpeg2000,
  TransferSyntax.HtJpeg2000,
]);

const LOSSLESS_CODES: Record<string, string> = {
  js: TransferSyntax.JpegLsLossless,
  jk: TransferSyntax.Jpeg2000Lossless,
  j1: TransferSyntax.JpegLosslessSV1,
  j2: TransferSyntax.JpegLossless,
};
const LOSSY_CODES: Record<string, string> = {
  j3: TransferSyntax.JpegBaseline,
  j4: TransferSyntax.JpegExtended,
  j7: TransferSyntax.JpegLsNearLossless,
  jl: TransferSyntax.Jpeg2000,
};
const CODES = 'as, un, uj, js, jk, j1, j2, j3NN, j4NN, j7NN, jlNN';

/** The plan for a code the configuration already accepted (it throws on one it would have refused). */
export function compressionPlan(code: string): CompressionPlan {
  const plan = parseCompressionCode(code);
  if ('error' in plan) throw new SaidError(plan.error);
  return plan;
}

/** The plan for a code, or why it cannot be followed (for the configuration's refusal, with its line). */
export function parseCompressionCode(raw: string): CompressionPlan | { error: Message } {
  const code = raw.trim().toLowerCase();
  if (code === '' || code === 'as' || code === 'is') return { kind: 'keep' };
  if (code === 'un' || code === 'uj') return { kind: 'uncompressed', keepJpeg: code === 'uj' };
  const lossless = LOSSLESS_CODES[code];
  if (lossless) return { kind: 'compress', transferSyntax: lossless };
  const lossy = /^(j[347l])(\d{1,3})?$/.exec(code);
  if (lossy) {
    const quality = lossy[2] === undefined ? 90 : Number(lossy[2]);
    if (quality < 1 || quality > 100)
      return { error: msg('"{code}": the quality after {kind} goes from 1 to 100', { code: raw, kind: lossy[1]! }) };
    return { kind: 'compress', transferSyntax: LOSSY_CODES[lossy[1]!]!, quality };
  }
  if (/^j[56](\d\d)?$/.test(code))
    return {
      error: msg(
        '"{code}": spectral selection and progressive JPEG are retired from DICOM (PS3.5 since 2011); use j3 for lossy JPEG',
        { code: raw },
      ),
    };
  if (/^(n[1-5j])$/.test(code))
    return { error: msg('"{code}": NKI private compression is not supported', { code: raw }) };
  if (/^k[1-9a-c]$/.test(code)) return { error: msg('"{code}": downsizing images is not supported', { code: raw }) };
  if (/^s\d$/.test(code))
    return { error: msg('"{code}": compression converters (s0-s9) are not supported', { code: raw }) };
  if (/^v/.test(code)) return { error: msg('"{code}": "do not store" is not supported', { code: raw }) };
  return { error: msg('"{code}" is not a compression code ({codes})', { code: raw, codes: CODES }) };
}

/** The transfer syntax an object in `transferSyntax` is to be stored in under `plan`; undefined to keep it. */
export function targetSyntax(
  plan: CompressionPlan,
  transferSyntax: string,
  uncompressed: readonly string[],
): string | undefined {
  if (plan.kind === 'keep') return undefined;
  if (plan.kind === 'compress') {
    // Lossy compression is never applied to pixels already compressed lossy: the losses would add up.
    if (plan.transferSyntax === transferSyntax || (plan.quality !== undefined && LOSSY_SYNTAXES.has(transferSyntax)))
      return undefined;
    return plan.transferSyntax;
  }
  if (uncompressed.includes(transferSyntax) || (plan.keepJpeg && JPEG_SYNTAXES.has(transferSyntax))) return undefined;
  return TransferSyntax.ExplicitLittleEndian;
}
