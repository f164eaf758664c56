import { createRequire } from 'node:module';
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { TransferSyntax } from '../../common/uids.ts';
import { frameLength, type PixelModule } from './pixel-module.ts';
import { decodeRle } from './rle.ts';

/**
 * One compressed frame to native pixels, with the maintained codecs of the field: CharLS (JPEG-LS), OpenJPEG
 * (JPEG 2000), OpenJPH (HTJ2K) and libjpeg-turbo (JPEG baseline) in their WebAssembly builds published for cornerstone,
 * the JPEG lossless decoder cornerstone uses, and RLE (PS3.5 Annex G, a few lines of PackBits). Runs in the codec
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
  [TransferSyntax.JpegBaseline]: ['@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', 'JPEGDecoder'],
  [TransferSyntax.JpegExtended]: ['@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', 'JPEGDecoder'],
};

/** The transfer syntaxes whose pixel data this archive decodes. */
export const DECODABLE: ReadonlySet<string> = new Set([...Object.keys(WASM_DECODERS), TransferSyntax.JpegLossless, TransferSyntax.JpegLosslessSV1, TransferSyntax.Rle]);

export async function decodeFrame(transferSyntax: string, frame: Uint8Array, p: PixelModule): Promise<DecodedFrame> {
  if (transferSyntax === TransferSyntax.Rle) return { data: decodeRle(frame, p), planarConfiguration: p.samplesPerPixel > 1 ? 0 : undefined };
  if (transferSyntax === TransferSyntax.JpegLossless || transferSyntax === TransferSyntax.JpegLosslessSV1) return { data: decodeJpegLossless(frame, p) };
  const spec = WASM_DECODERS[transferSyntax];
  if (!spec) throw new Error(`no decoder for transfer syntax ${transferSyntax}`);
  if ((transferSyntax === TransferSyntax.JpegBaseline || transferSyntax === TransferSyntax.JpegExtended) && p.bitsStored > 8) {
    throw new Error(`${p.bitsStored}-bit JPEG extended (12-bit lossy) is not decoded yet`);
  }
  const decoder = new (await wasmModule(spec[0]))[spec[1]]!();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== p.columns || info.height !== p.rows || info.componentCount !== p.samplesPerPixel) {
      throw new Error(`the codestream is ${info.width}x${info.height}x${info.componentCount}, the object says ${p.columns}x${p.rows}x${p.samplesPerPixel}`);
    }
    const data = fitSamples(copyOut(decoder.getDecodedBuffer()), info.bitsPerSample, p);
    if (p.samplesPerPixel === 1) return { data };
    // JPEG-LS keeps the encoder's interleave: 0 is one plane a component; JPEG and JPEG 2000 decoders give RGB by pixel.
    if (spec[1] === 'JpegLSDecoder') return { data, planarConfiguration: decoder.getInterleaveMode?.() === 0 ? 1 : 0 };
    return { data, photometricInterpretation: 'RGB', planarConfiguration: 0 };
  } finally {
    decoder.delete();
  }
}

function decodeJpegLossless(frame: Uint8Array, p: PixelModule): Uint8Array {
  const bytes = Math.ceil(p.bitsAllocated / 8);
  // The decoder reads an ArrayBuffer from its start: a copy of exactly the frame (a Buffer's slice would share its pool).
  const copy = new Uint8Array(frame);
  const decoded = new JpegLosslessDecoder().decode(copy.buffer, 0, copy.length, bytes > 1 ? 2 : 1);
  const out = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  if (out.length !== frameLength(p)) throw new Error(`JPEG lossless frame decoded to ${out.length} bytes, ${frameLength(p)} expected`);
  return out;
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
