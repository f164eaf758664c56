import type { PixelModule } from './pixel-module.ts';

/**
 * RLE Lossless encoding (PS3.5 G.3): each byte plane of each sample (most significant first) PackBits-coded into its
 * own segment, each segment even-length, after a 64-byte header of segment offsets. Native input is sample-interleaved,
 * little endian.
 */
export function encodeRle(frame: Uint8Array, p: PixelModule): Uint8Array {
  const bytesPerSample = Math.ceil(p.bitsAllocated / 8);
  const planes = p.samplesPerPixel * bytesPerSample;
  if (planes > 15) throw new Error(`RLE holds at most 15 segments, ${planes} needed`);
  const pixels = p.rows * p.columns;
  const segments: Uint8Array[] = [];
  const plane = new Uint8Array(pixels);
  for (let sample = 0; sample < p.samplesPerPixel; sample++) {
    for (let b = bytesPerSample - 1; b >= 0; b--) {
      for (let i = 0, o = sample * bytesPerSample + b; i < pixels; i++, o += planes) plane[i] = frame[o]!;
      segments.push(packBits(plane, p.columns));
    }
  }
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((seg, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += seg.length;
  });
  const out = new Uint8Array(offset);
  out.set(header);
  let at = 64;
  for (const seg of segments) {
    out.set(seg, at);
    at += seg.length;
  }
  return out;
}

/** PackBits of one byte plane, row by row (a run never crosses a row, PS3.5 G.3.1); padded to an even length. */
function packBits(plane: Uint8Array, rowLength: number): Uint8Array {
  const out: number[] = [];
  for (let rowStart = 0; rowStart < plane.length; rowStart += rowLength) {
    const end = Math.min(rowStart + rowLength, plane.length);
    let i = rowStart;
    while (i < end) {
      let run = 1;
      while (i + run < end && run < 128 && plane[i + run] === plane[i]) run++;
      if (run >= 2) {
        out.push((257 - run) & 0xff, plane[i]!);
        i += run;
        continue;
      }
      // A literal run up to the next repeat (or 128 bytes).
      let n = 1;
      while (i + n < end && n < 128 && !(i + n + 1 < end && plane[i + n] === plane[i + n + 1])) n++;
      out.push(n - 1);
      for (let k = 0; k < n; k++) out.push(plane[i + k]!);
      i += n;
    }
  }
  if (out.length % 2) out.push(0x80); // the no-op byte pads the segment (PS3.5 G.3.1)
  return Uint8Array.from(out);
}
