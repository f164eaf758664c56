import { TransferSyntax } from './uids.ts';

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
  /** js: JPEG-LS lossless; jk: JPEG 2000 lossless */
  | { kind: 'compress'; transferSyntax: string };

export const COMPRESSION_CHOICES: { code: string; words: string }[] = [
  { code: 'as', words: 'keep as received' },
  { code: 'un', words: 'uncompressed (decompress what arrives compressed)' },
  { code: 'uj', words: 'uncompressed, but keep JPEG as received' },
  { code: 'js', words: 'JPEG-LS lossless (about half the disk)' },
  { code: 'jk', words: 'JPEG 2000 lossless' },
];

/** The plan for a code, or why it cannot be followed (for the configuration's refusal, with its line). */
export function parseCompressionCode(raw: string): CompressionPlan | { error: string } {
  const code = raw.trim().toLowerCase();
  if (code === '' || code === 'as' || code === 'is') return { kind: 'keep' };
  if (code === 'un' || code === 'uj') return { kind: 'uncompressed', keepJpeg: code === 'uj' };
  if (code === 'js') return { kind: 'compress', transferSyntax: TransferSyntax.JpegLsLossless };
  if (code === 'jk') return { kind: 'compress', transferSyntax: TransferSyntax.Jpeg2000Lossless };
  if (/^j[1-6](\d\d)?$/.test(code)) return { error: `"${raw}" (JPEG ${code[1] === '1' || code[1] === '2' ? 'lossless' : 'lossy'}) is not produced by this version yet: use as, un, uj, js or jk` };
  if (/^(j7|jl)(\d+)?$/.test(code)) return { error: `"${raw}" (lossy JPEG-LS / JPEG 2000) is not produced by this version yet: use as, un, uj, js or jk` };
  if (/^(n[1-5j])$/.test(code)) return { error: `"${raw}": NKI private compression is not supported` };
  if (/^k[1-9a-c]$/.test(code)) return { error: `"${raw}": downsizing images is not supported` };
  if (/^s\d$/.test(code)) return { error: `"${raw}": compression converters (s0-s9) are not supported` };
  if (/^v/.test(code)) return { error: `"${raw}": "do not store" is not supported` };
  return { error: `"${raw}" is not a compression code (as, un, uj, js, jk)` };
}

const JPEG = new Set<string>([TransferSyntax.JpegBaseline, TransferSyntax.JpegExtended, TransferSyntax.JpegLossless, TransferSyntax.JpegLosslessSV1]);

/** The transfer syntax an object in `transferSyntax` is to be stored in under `plan`; undefined to keep it. */
export function targetSyntax(plan: CompressionPlan, transferSyntax: string, uncompressed: readonly string[]): string | undefined {
  if (plan.kind === 'keep') return undefined;
  if (plan.kind === 'compress') return plan.transferSyntax === transferSyntax ? undefined : plan.transferSyntax;
  if (uncompressed.includes(transferSyntax) || (plan.keepJpeg && JPEG.has(transferSyntax))) return undefined;
  return TransferSyntax.ExplicitLittleEndian;
}
