import { TransferSyntax } from '../../common/uids.ts';
import { copyOut, wasmModule } from './decoders.ts';
import type { PixelModule } from './pixel-module.ts';
import { encodeRle } from './rle-encode.ts';

/**
 * One native frame to a compressed one, lossless: JPEG-LS (CharLS), JPEG 2000 (OpenJPEG) and RLE. Colour goes to
 * JPEG-LS and RLE as it is (sample-interleaved); JPEG 2000 would apply its colour transform and change the Photometric
 * Interpretation, so it takes grayscale only for now.
 */

interface WasmEncoder {
  getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean }): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  setNearLossless?(n: number): void;
  setInterleaveMode?(mode: number): void;
  setQuality?(lossless: boolean, quantizationStep: number): void;
  delete(): void;
}

export const ENCODABLE: ReadonlySet<string> = new Set([TransferSyntax.JpegLsLossless, TransferSyntax.Jpeg2000Lossless, TransferSyntax.Rle]);

export async function encodeFrame(transferSyntax: string, frame: Uint8Array, p: PixelModule): Promise<Uint8Array> {
  if (transferSyntax === TransferSyntax.Rle) return encodeRle(frame, p);
  const jpegLs = transferSyntax === TransferSyntax.JpegLsLossless;
  if (!jpegLs && transferSyntax !== TransferSyntax.Jpeg2000Lossless) throw new Error(`no encoder for transfer syntax ${transferSyntax}`);
  if (!jpegLs && p.samplesPerPixel > 1) throw new Error('JPEG 2000 encoding takes grayscale images only for now');
  if (p.samplesPerPixel > 1 && p.planarConfiguration !== 0) throw new Error('colour by plane is not encoded yet');
  const module = await wasmModule(jpegLs ? '@cornerstonejs/codec-charls/wasmjs' : '@cornerstonejs/codec-openjpeg/wasmjs');
  const encoder = new (module as unknown as Record<string, new () => WasmEncoder>)[jpegLs ? 'JpegLSEncoder' : 'J2KEncoder']!();
  try {
    const info = { width: p.columns, height: p.rows, bitsPerSample: p.bitsStored, componentCount: p.samplesPerPixel, isSigned: p.pixelRepresentation === 1 };
    encoder.getDecodedBuffer(info).set(frame);
    if (jpegLs) {
      encoder.setNearLossless?.(0);
      if (p.samplesPerPixel > 1) encoder.setInterleaveMode?.(2); // sample-interleaved, as the native pixels are
    } else {
      encoder.setQuality?.(true, 0);
    }
    encoder.encode();
    return copyOut(encoder.getEncodedBuffer());
  } finally {
    encoder.delete();
  }
}
