import { encodeDataSet, parseDataSet, textElement, textOf, uint16Element, type DataSet } from '../dicom/dataset.ts';
import { encodingOf } from '../../common/uids.ts';
import { LOSSY_SYNTAXES } from '../../common/compression-code.ts';
import { decodeFrame } from './decoders.ts';
import { ENCODABLE, LOSSY_ENCODABLE, encodeFrame, lossyMethod, type EncodeOptions } from './encoders.ts';
import { encapsulate, framesOf } from './fragments.ts';
import { PixelTag, frameLength, pixelModuleOf, type PixelModule } from './pixel-module.ts';

/**
 * A data set from one transfer syntax to another, whole (runs in a codec worker: parsing, decoding, encoding and
 * writing stay off the event loop). Compressed pixel data is decoded frame by frame to native (OB up to 8 bits, OW
 * above), the Photometric Interpretation and Planar Configuration set to what the decoder delivered; for a compressed
 * target each native frame is then encoded and encapsulated. The result is written in `to`.
 *
 * Lossy compression (only where an admin asked for it: `options.quality`) keeps the SOP Instance UID, as Conquest and
 * dcm4chee do, and records what was done as PS3.3 C.7.6.1.1.5 asks: Lossy Image Compression 01, the ratio and the
 * method appended to those already there. Decoding an object that was sent lossy keeps (or sets) its 01.
 */
export async function convertDataSet(
  dataSet: Uint8Array,
  from: string,
  to: string,
  options: EncodeOptions = {},
): Promise<Buffer> {
  const ds = parseDataSet(Buffer.from(dataSet.buffer, dataSet.byteOffset, dataSet.byteLength), encodingOf(from));
  const element = ds.get(PixelTag.PixelData);
  if (element && !Buffer.isBuffer(element.value) && !Array.isArray(element.value)) {
    const pixels = pixelModuleOf(ds);
    const decoded = [];
    for (const frame of framesOf(element.value.fragments, pixels.frames))
      decoded.push(await decodeFrame(from, frame, pixels));
    ds.set(PixelTag.PixelData, {
      tag: PixelTag.PixelData,
      vr: pixels.bitsAllocated <= 8 ? 'OB' : 'OW',
      value: Buffer.concat(decoded.map((d) => Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength))),
    });
    const photometric = decoded[0]?.photometricInterpretation;
    if (photometric && photometric !== pixels.photometricInterpretation)
      setText(ds, PixelTag.PhotometricInterpretation, photometric);
    const planar = decoded[0]?.planarConfiguration;
    if (pixels.samplesPerPixel > 1 && planar !== undefined)
      ds.set(PixelTag.PlanarConfiguration, uint16Element(PixelTag.PlanarConfiguration, planar));
    if (LOSSY_SYNTAXES.has(from)) setText(ds, PixelTag.LossyImageCompression, '01');
  }
  if (ENCODABLE.has(to) || LOSSY_ENCODABLE.has(to)) await encodePixels(ds, to, options);
  return encodeDataSet(ds, encodingOf(to));
}

function setText(ds: DataSet, tag: number, value: string): void {
  ds.set(tag, textElement(tag, 'CS', value.length % 2 ? `${value} ` : value));
}

/** A multi-valued text attribute with one more value. */
function appendValue(ds: DataSet, tag: number, vr: string, value: string): void {
  const before = textOf(ds.get(tag)).trim();
  const text = before ? `${before}\\${value}` : value;
  ds.set(tag, textElement(tag, vr, text.length % 2 ? `${text} ` : text));
}

/** Native pixel data to encapsulated frames of `transferSyntax`. */
async function encodePixels(ds: DataSet, transferSyntax: string, options: EncodeOptions): Promise<void> {
  const element = ds.get(PixelTag.PixelData);
  if (!element || !Buffer.isBuffer(element.value)) return;
  const pixels = pixelModuleOf(ds);
  const size = frameLength(pixels);
  if (element.value.length < size * pixels.frames)
    throw new Error(`pixel data holds ${element.value.length} bytes, ${size * pixels.frames} expected`);
  const planar = pixels.samplesPerPixel > 1 && pixels.planarConfiguration === 1;
  const layout = planar ? { ...pixels, planarConfiguration: 0 } : pixels;
  const frames = [];
  for (let f = 0; f < pixels.frames; f++) {
    const native = element.value.subarray(f * size, (f + 1) * size);
    frames.push(await encodeFrame(transferSyntax, planar ? interleave(native, pixels) : native, layout, options));
  }
  if (planar) ds.set(PixelTag.PlanarConfiguration, uint16Element(PixelTag.PlanarConfiguration, 0));
  ds.set(PixelTag.PixelData, {
    tag: PixelTag.PixelData,
    vr: 'OB',
    value: { fragments: encapsulate(frames.map((f) => f.data)) },
  });
  const photometric = frames[0]?.photometricInterpretation;
  if (photometric) setText(ds, PixelTag.PhotometricInterpretation, photometric);
  const method = lossyMethod(transferSyntax, options);
  if (method) {
    const ratio = (size * pixels.frames) / frames.reduce((n, f) => n + f.data.length, 0);
    setText(ds, PixelTag.LossyImageCompression, '01');
    appendValue(ds, PixelTag.LossyImageCompressionRatio, 'DS', ratio.toFixed(2));
    appendValue(ds, PixelTag.LossyImageCompressionMethod, 'CS', method);
  }
}

/** Colour by plane (RRR...GGG...BBB...) to colour by pixel, which the encoders take. */
function interleave(frame: Uint8Array, p: PixelModule): Uint8Array {
  const bytes = Math.ceil(p.bitsAllocated / 8);
  const count = p.rows * p.columns;
  const out = new Uint8Array(frame.length);
  for (let s = 0; s < p.samplesPerPixel; s++) {
    for (let i = 0; i < count; i++) {
      for (let b = 0; b < bytes; b++)
        out[(i * p.samplesPerPixel + s) * bytes + b] = frame[(s * count + i) * bytes + b]!;
    }
  }
  return out;
}
