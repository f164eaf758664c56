import { TransferSyntax } from '../../common/uids.ts';
import { copyOut, wasmModule } from './decoders.ts';
import { SAMPLE_FACTOR_422, nativeEncode } from './native-codecs.ts';
import type { PixelModule } from './pixel-module.ts';
import { encodeRle } from './rle-encode.ts';

/**
 * One native frame to a compressed one. Lossless: JPEG-LS (CharLS), JPEG 2000 (OpenJPEG; colour without the colour
 * transform, so RGB stays RGB), JPEG lossless process 14 with predictor 1 (libjpeg-turbo), HTJ2K (OpenJPH) and RLE.
 * Lossy, only when an admin chose it: JPEG baseline 8-bit, JPEG-LS near-lossless and JPEG 2000, at a quality of 1-100
 * read as Conquest reads its j3NN, j7NN and jlNN codes.
 */

export interface EncodeOptions {
  /** 1-100, Conquest's NN: given only where an admin chose a lossy code, and needed for LOSSY_ENCODABLE targets. */
  quality?: number;
}

/** What an encoded frame became beside its bytes. */
export interface EncodedFrame {
  data: Uint8Array;
  /** Set when the encoder changed the colour space (JPEG baseline colour is YBR_FULL_422). */
  photometricInterpretation?: string;
}

interface WasmEncoder {
  getDecodedBuffer(info: {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  setNearLossless?(n: number): void;
  setInterleaveMode?(mode: number): void;
  setQuality?(lossless: boolean, quantizationStep: number): void;
  delete(): void;
}

/** Syntaxes encoded without loss: any conversion may choose them. */
export const ENCODABLE: ReadonlySet<string> = new Set([
  TransferSyntax.JpegLsLossless,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLosslessSV1,
  TransferSyntax.HtJpeg2000Lossless,
  TransferSyntax.Rle,
]);

/** Syntaxes that lose information: encoded only when an admin's compression code asks for them (with a quality). */
export const LOSSY_ENCODABLE: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.JpegLsNearLossless,
  TransferSyntax.Jpeg2000,
]);

/** The method (0028,2114) a lossy encoding into `transferSyntax` at `options` records, or undefined when it loses nothing. */
export function lossyMethod(transferSyntax: string, options: EncodeOptions): string | undefined {
  switch (transferSyntax) {
    case TransferSyntax.JpegBaseline:
    case TransferSyntax.JpegExtended:
      return 'ISO_10918_1';
    case TransferSyntax.JpegLsNearLossless:
      return nearFor(options) > 0 ? 'ISO_14495_1' : undefined;
    case TransferSyntax.Jpeg2000:
      return 'ISO_15444_1';
    default:
      return undefined;
  }
}

const quality = (o: EncodeOptions): number => Math.min(100, Math.max(1, Math.round(o.quality ?? 100)));
/** JPEG-LS's NEAR (largest error a sample may have) from a quality, as Conquest maps it: 90 gives 1, 80 gives 2. */
const nearFor = (o: EncodeOptions): number => 10 - Math.floor((quality(o) + 9) / 10);
/** JPEG 2000's compression ratio from a quality: 100 gives 2:1, 90 gives 7:1, 50 gives 27:1. */
const ratioFor = (o: EncodeOptions): number => 2 + (100 - quality(o)) / 2;

export async function encodeFrame(
  transferSyntax: string,
  frame: Uint8Array,
  p: PixelModule,
  options: EncodeOptions = {},
): Promise<EncodedFrame> {
  if (p.bitsAllocated > 16)
    throw new Error(`${p.bitsAllocated}-bit samples are not compressed: the codecs take up to 16 bits`);
  if (p.samplesPerPixel > 1 && p.planarConfiguration !== 0)
    throw new Error('colour by plane reaches the encoders interleaved (convert-data-set.ts)');
  const colour = p.samplesPerPixel > 1;
  switch (transferSyntax) {
    case TransferSyntax.Rle:
      return { data: encodeRle(frame, p) };
    case TransferSyntax.JpegLsLossless:
      return { data: await encodeCharls(frame, p, 0) };
    case TransferSyntax.JpegLsNearLossless:
      return { data: await encodeCharls(frame, p, nearFor(options)) };
    case TransferSyntax.Jpeg2000Lossless:
      if (!colour) return { data: await encodeOpenJpeg(frame, p) };
      return { data: await nativeEncode('encodeJpeg2000', frame, p, { lossy: false, allowMct: false }) };
    case TransferSyntax.Jpeg2000:
      return {
        data: await nativeEncode('encodeJpeg2000', frame, p, { lossy: true, rate: ratioFor(options), allowMct: false }),
      };
    case TransferSyntax.HtJpeg2000Lossless:
      return { data: await nativeEncode('encodeHtJpeg2000', frame, p, { lossy: false, allowMct: false }) };
    case TransferSyntax.JpegLossless:
    case TransferSyntax.JpegLosslessSV1:
      return { data: await nativeEncode('encodeJpeg', frame, p, { lossy: false, predictor: 1, pointTransform: 0 }) };
    case TransferSyntax.JpegBaseline:
    case TransferSyntax.JpegExtended:
      return encodeJpegLossy(frame, p, options);
    default:
      throw new Error(`no encoder for transfer syntax ${transferSyntax}`);
  }
}

async function encodeJpegLossy(frame: Uint8Array, p: PixelModule, options: EncodeOptions): Promise<EncodedFrame> {
  if (p.bitsAllocated !== 8 || p.bitsStored > 8) {
    throw new Error(
      `lossy JPEG is made of 8-bit images only; this one has ${p.bitsStored} bits (use JPEG 2000 lossy, jl, or JPEG-LS near-lossless, j7, for 12 and 16 bits)`,
    );
  }
  const colour = p.samplesPerPixel > 1;
  if (colour && p.photometricInterpretation !== 'RGB' && p.photometricInterpretation !== 'YBR_FULL') {
    throw new Error(`lossy JPEG takes RGB or YBR_FULL colour, not ${p.photometricInterpretation}`);
  }
  const data = await nativeEncode('encodeJpeg', frame, p, {
    lossy: true,
    quality: quality(options),
    ...(colour ? { sampleFactor: SAMPLE_FACTOR_422 } : {}),
  });
  return colour ? { data, photometricInterpretation: 'YBR_FULL_422' } : { data };
}

async function encodeCharls(frame: Uint8Array, p: PixelModule, near: number): Promise<Uint8Array> {
  return withWasmEncoder('@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder', frame, p, (encoder) => {
    encoder.setNearLossless?.(near);
    if (p.samplesPerPixel > 1) encoder.setInterleaveMode?.(2); // sample-interleaved, as the native pixels are
  });
}

async function encodeOpenJpeg(frame: Uint8Array, p: PixelModule): Promise<Uint8Array> {
  return withWasmEncoder('@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder', frame, p, (encoder) =>
    encoder.setQuality?.(true, 0),
  );
}

async function withWasmEncoder(
  pkg: string,
  name: string,
  frame: Uint8Array,
  p: PixelModule,
  configure: (e: WasmEncoder) => void,
): Promise<Uint8Array> {
  const module = await wasmModule(pkg);
  const encoder = new (module as unknown as Record<string, new () => WasmEncoder>)[name]!();
  try {
    const info = {
      width: p.columns,
      height: p.rows,
      bitsPerSample: p.bitsStored,
      componentCount: p.samplesPerPixel,
      isSigned: p.pixelRepresentation === 1,
    };
    encoder.getDecodedBuffer(info).set(frame);
    configure(encoder);
    encoder.encode();
    return copyOut(encoder.getEncodedBuffer());
  } finally {
    encoder.delete();
  }
}
