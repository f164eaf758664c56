import { createRequire } from 'node:module';
import type { PixelModule } from './pixel-module.ts';

/**
 * dcmjs-codecs' one WebAssembly build of libjpeg-turbo 3 (JPEG baseline, extended 12-bit and lossless process 14,
 * decode and encode), OpenJPEG and OpenJPH, loaded once per codec worker. We use it where the cornerstone builds stop:
 * JPEG lossless and 12-bit JPEG, colour and lossy JPEG 2000, HTJ2K encoding (see docs/features.md, "Codecs").
 */

interface CodecContext {
  getEncodedBuffer(): Uint8Array | undefined;
  getDecodedBuffer(): Uint8Array | undefined;
  getPhotometricInterpretation(): string;
}
interface ContextAttrs {
  width: number;
  height: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometricInterpretation: string;
  encodedBuffer?: Uint8Array;
  decodedBuffer?: Uint8Array;
}
export interface EncodeParameters {
  lossy?: boolean;
  quality?: number;
  predictor?: number;
  pointTransform?: number;
  sampleFactor?: number;
  allowedLossyError?: number;
  rate?: number;
  allowMct?: boolean;
  progressionOrder?: number;
}
type Method = 'decodeJpeg' | 'encodeJpeg' | 'decodeJpeg2000' | 'encodeJpeg2000' | 'encodeHtJpeg2000';
interface Library {
  Context: new (attrs: ContextAttrs) => CodecContext;
  NativeCodecs: Record<
    Method,
    (c: CodecContext, p?: EncodeParameters & { convertColorspaceToRgb?: boolean }) => CodecContext
  > & {
    initializeAsync(o?: { logCodecsInfo?: boolean; logCodecsTrace?: boolean }): Promise<void>;
  };
  log: { setLevel(level: string): void };
}

/** libjpeg's subsampling choice for colour: 4:2:2, written as YBR_FULL_422 (what JPEG baseline colour is in DICOM). */
export const SAMPLE_FACTOR_422 = 1;

let library: Promise<Library> | undefined;

function load(): Promise<Library> {
  library ??= (async () => {
    const lib = createRequire(import.meta.url)('dcmjs-codecs') as Library;
    // Its logger would print every codec failure to the console; they reach us as exceptions.
    lib.log.setLevel('silent');
    await lib.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
    return lib;
  })();
  return library;
}

function attrs(p: PixelModule, photometric = p.photometricInterpretation): ContextAttrs {
  return {
    width: p.columns,
    height: p.rows,
    bitsAllocated: p.bitsAllocated,
    bitsStored: p.bitsStored,
    samplesPerPixel: p.samplesPerPixel,
    pixelRepresentation: p.pixelRepresentation,
    planarConfiguration: p.planarConfiguration,
    photometricInterpretation: photometric,
  };
}

/** One compressed frame decoded; the buffers it returns are its own (copied out of the module's memory). */
export async function nativeDecode(
  method: 'decodeJpeg' | 'decodeJpeg2000',
  frame: Uint8Array,
  p: PixelModule,
  toRgb = false,
): Promise<{ data: Uint8Array; photometricInterpretation: string }> {
  const lib = await load();
  const out = lib.NativeCodecs[method](new lib.Context({ ...attrs(p), encodedBuffer: frame }), {
    convertColorspaceToRgb: toRgb,
  });
  const data = out.getDecodedBuffer();
  if (!data) throw new Error('the codec gave no pixels');
  return { data, photometricInterpretation: out.getPhotometricInterpretation() };
}

/** One native frame encoded. */
export async function nativeEncode(
  method: 'encodeJpeg' | 'encodeJpeg2000' | 'encodeHtJpeg2000',
  frame: Uint8Array,
  p: PixelModule,
  params: EncodeParameters,
): Promise<Uint8Array> {
  const lib = await load();
  const out = lib.NativeCodecs[method](new lib.Context({ ...attrs(p), decodedBuffer: frame }), params);
  const data = out.getEncodedBuffer();
  if (!data) throw new Error('the codec gave no codestream');
  return data;
}
