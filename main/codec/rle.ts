import type { PixelModule } from './pixel-module.ts';

/**
 * RLE Lossless (PS3.5 Annex G): a 64-byte header of up to 15 segment offsets, each segment one byte plane of one sample
 * (most significant byte first) run-length coded as PackBits. Decoded to native order: samples interleaved by pixel
 * (Planar Configuration 0), little-endian bytes.
 */
export function decodeRle(frame: Uint8Array, p: PixelModule): Uint8Array {
  const bytesPerSample = Math.ceil(p.bitsAllocated / 8);
  const planes = p.samplesPerPixel * bytesPerSample;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 64) throw new Error(`RLE frame of ${frame.length} bytes has no header`);
  const segments = view.getUint32(0, true);
  if (segments !== planes)
    throw new Error(
      `RLE frame has ${segments} segment(s), ${planes} expected for ${p.samplesPerPixel} sample(s) of ${p.bitsAllocated} bits`,
    );
  const pixels = p.rows * p.columns;
  const out = new Uint8Array(pixels * planes);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || start > end || end > frame.length) throw new Error(`RLE segment ${s} lies outside the frame`);
    const sample = Math.floor(s / bytesPerSample);
    // Segment order within a sample is most significant byte first; native order is little endian.
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = planes;
    let o = sample * bytesPerSample + byte;
    let written = 0;
    let i = start;
    while (i < end && written < pixels) {
      const n = (frame[i++]! << 24) >> 24; // signed header byte
      if (n >= 0) {
        for (let k = 0; k <= n && i < end && written < pixels; k++, written++, o += stride) out[o] = frame[i++]!;
      } else if (n !== -128) {
        const value = frame[i++]!;
        for (let k = 0; k < 1 - n && written < pixels; k++, written++, o += stride) out[o] = value;
      }
    }
    if (written < pixels) throw new Error(`RLE segment ${s} holds ${written} of ${pixels} values`);
  }
  return out;
}
