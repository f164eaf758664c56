import { createRequire } from 'node:module';
import { TransferSyntax } from '../../common/uids.ts';
import { JPEG_SYNTAXES } from '../../common/compression-code.ts';
import { nativeDecode } from './native-codecs.ts';
import { frameLength, type PixelModule } from './pixel-module.ts';
import { decodeRle } from './rle.ts';

/**
 * One compressed frame to native pixels, with the maintained codecs of the field: CharLS (JPEG-LS), OpenJPEG
 * (JPEG 2000) and OpenJPH (HTJ2K) in their WebAssembly builds published for cornerstone, libjpeg-turbo 3 in dcmjs-codecs'
 * build for every JPEG process (baseline, 12-bit extended, lossless: 3.5x faster than the pure-JavaScript lossless
 * decoder cornerstone uses), and RLE (PS3.5 Annex G, a few lines of PackBits). Runs in the codec
 * workers (codec-worker.ts); loading a WebAssembly module happens once per worker, on first use.
 */

/** A decoded frame and what it became: colour decoders may deliver RGB by pixel whatever the object said. */
export interface DecodedFrame {
  data: Uint8Array;
  photometricInterpretation?: string;
  planarConfiguration?: number;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  getInterleaveMode?(): number;
  readHeader?(): void;
  delete(): void;
}
type WasmModule = Record<string, new () => WasmDecoder>;

const require = createRequire(import.meta.url);
const modules = new Map<string, Promise<WasmModule>>();

/** Bytes out of a codec's memory: its buffers are views (Uint8ClampedArray) that the next call may overwrite. */
export function copyOut(view: Uint8Array): Uint8Array {
  return new Uint8Array(view);
}

/** A codec's WebAssembly module, loaded once per thread. */
export function wasmModule(pkg: string): Promise<WasmModule> {
  let m = modules.get(pkg);
  if (!m) {
    const factory = require(pkg) as (options: { print: () => void; printErr: () => void }) => Promise<WasmModule>;
    // The codecs' own progress lines ("[INFO] Main header has been correctly decoded") would flood the log; their
    // failures reach us as exceptions.
    m = factory({ print: () => undefined, printErr: () => undefined });
    modules.set(pkg, m);
  }
  return m;
}

const WASM_DECODERS: Record<string, [string, string]> = {
  [TransferSyntax.JpegLsLossless]: ['@cornerstonejs/codec-charls/wasmjs', 'JpegLSDecoder'],
  [TransferSyntax.JpegLsNearLossless]: ['@cornerstonejs/codec-charls/wasmjs', 'JpegLSDecoder'],
  [TransferSyntax.Jpeg2000Lossless]: ['@cornerstonejs/codec-openjpeg/wasmjs', 'J2KDecoder'],
  [TransferSyntax.Jpeg2000]: ['@cornerstonejs/codec-openjpeg/wasmjs', 'J2KDecoder'],
  [TransferSyntax.HtJpeg2000Lossless]: ['@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder'],
  [TransferSyntax.HtJpeg2000LosslessRpcl]: ['@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder'],
  [TransferSyntax.HtJpeg2000]: ['@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder'],
};

/** The transfer syntaxes whose pixel data this archive decodes. */
export const DECODABLE: ReadonlySet<string> = new Set([
  ...Object.keys(WASM_DECODERS),
  ...JPEG_SYNTAXES,
  TransferSyntax.Rle,
]);

export async function decodeFrame(transferSyntax: string, frame: Uint8Array, p: PixelModule): Promise<DecodedFrame> {
  if (transferSyntax === TransferSyntax.Rle)
    return { data: decodeRle(frame, p), planarConfiguration: p.samplesPerPixel > 1 ? 0 : undefined };
  if (JPEG_SYNTAXES.has(transferSyntax)) return decodeJpeg(transferSyntax, frame, p);
  const spec = WASM_DECODERS[transferSyntax];
  if (!spec) throw new Error(`no decoder for transfer syntax ${transferSyntax}`);
  const decoder = new (await wasmModule(spec[0]))[spec[1]]!();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== p.columns || info.height !== p.rows || info.componentCount !== p.samplesPerPixel) {
      throw new Error(
        `the codestream is ${info.width}x${info.height}x${info.componentCount}, the object says ${p.columns}x${p.rows}x${p.samplesPerPixel}`,
      );
    }
    const data = fitSamples(copyOut(decoder.getDecodedBuffer()), info.bitsPerSample, p);
    if (p.samplesPerPixel === 1) return { data: signExtended(data, p) };
    // JPEG-LS keeps the encoder's interleave: 0 is one plane a component; JPEG and JPEG 2000 decoders give RGB by pixel.
    if (spec[1] === 'JpegLSDecoder') return { data, planarConfiguration: decoder.getInterleaveMode?.() === 0 ? 1 : 0 };
    return { data, photometricInterpretation: 'RGB', planarConfiguration: 0 };
  } finally {
    decoder.delete();
  }
}

/**
 * Any JPEG process. Lossy colour (YBR_FULL_422, YBR_FULL) comes out as RGB by pixel; lossless colour has no colour
 * transform and keeps its photometric interpretation.
 */
async function decodeJpeg(transferSyntax: string, frame: Uint8Array, p: PixelModule): Promise<DecodedFrame> {
  const lossy = transferSyntax === TransferSyntax.JpegBaseline || transferSyntax === TransferSyntax.JpegExtended;
  const colour = p.samplesPerPixel > 1;
  const decoded = await nativeDecode('decodeJpeg', frame, p, lossy && colour);
  const data = fitSamples(decoded.data, decoded.data.length === p.rows * p.columns * p.samplesPerPixel ? 8 : 16, p);
  if (data.length !== frameLength(p))
    throw new Error(
      `the JPEG frame decoded to ${data.length} bytes, ${frameLength(p)} expected: its size or precision differs from the object's`,
    );
  if (!colour) return { data };
  return { data, planarConfiguration: 0, photometricInterpretation: lossy ? 'RGB' : undefined };
}

/**
 * Signed samples narrower than their 16 bits, sign-extended as they are written natively (CharLS returns the stored
 * bits only: -1000 in 12 bits would come back as 3096). Other decoders already extend; for them this changes nothing.
 */
function signExtended(data: Uint8Array, p: PixelModule): Uint8Array {
  if (p.pixelRepresentation !== 1 || p.bitsAllocated !== 16 || p.bitsStored >= 16) return data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const shift = 32 - p.bitsStored;
  for (let i = 0; i + 1 < data.length; i += 2) view.setInt16(i, (view.getUint16(i, true) << shift) >> shift, true);
  return data;
}

/** Samples as Bits Allocated lays them out: a decoder gives 1 byte a sample up to 8 bits, 2 above. */
function fitSamples(data: Uint8Array, bitsPerSample: number, p: PixelModule): Uint8Array {
  const given = bitsPerSample <= 8 ? 1 : 2;
  const wanted = Math.ceil(p.bitsAllocated / 8);
  if (given === wanted) return data;
  if (given === 1 && wanted === 2) {
    const wide = new Uint8Array(data.length * 2);
    for (let i = 0; i < data.length; i++) wide[2 * i] = data[i]!;
    return wide;
  }
  throw new Error(`the codestream has ${bitsPerSample}-bit samples, the object allocates ${p.bitsAllocated} bits`);
}
