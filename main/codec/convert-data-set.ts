import { encodeDataSet, parseDataSet, textElement, uint16Element, type DataSet } from '../dicom/dataset.ts';
import { encodingOf } from '../../common/uids.ts';
import { decodeFrame } from './decoders.ts';
import { ENCODABLE, encodeFrame } from './encoders.ts';
import { encapsulate, framesOf } from './fragments.ts';
import { PixelTag, frameLength, pixelModuleOf } from './pixel-module.ts';

/**
 * A data set from one transfer syntax to another, whole (runs in a codec worker: parsing, decoding, encoding and
 * writing stay off the event loop). Compressed pixel data is decoded frame by frame to native (OB up to 8 bits, OW
 * above), the Photometric Interpretation and Planar Configuration set to what the decoder delivered; for a compressed
 * target each native frame is then encoded and encapsulated. The result is written in `to`.
 */
export async function convertDataSet(dataSet: Uint8Array, from: string, to: string): Promise<Buffer> {
  const ds = parseDataSet(Buffer.from(dataSet.buffer, dataSet.byteOffset, dataSet.byteLength), encodingOf(from));
  const element = ds.get(PixelTag.PixelData);
  if (element && !Buffer.isBuffer(element.value) && !Array.isArray(element.value)) {
    const pixels = pixelModuleOf(ds);
    const decoded = [];
    for (const frame of framesOf(element.value.fragments, pixels.frames)) decoded.push(await decodeFrame(from, frame, pixels));
    ds.set(PixelTag.PixelData, {
      tag: PixelTag.PixelData, vr: pixels.bitsAllocated <= 8 ? 'OB' : 'OW',
      value: Buffer.concat(decoded.map((d) => Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength))),
    });
    const photometric = decoded[0]?.photometricInterpretation;
    if (photometric && photometric !== pixels.photometricInterpretation) {
      ds.set(PixelTag.PhotometricInterpretation, textElement(PixelTag.PhotometricInterpretation, 'CS', photometric.length % 2 ? `${photometric} ` : photometric));
    }
    const planar = decoded[0]?.planarConfiguration;
    if (pixels.samplesPerPixel > 1 && planar !== undefined) ds.set(PixelTag.PlanarConfiguration, uint16Element(PixelTag.PlanarConfiguration, planar));
  }
  if (ENCODABLE.has(to)) await encodePixels(ds, to);
  return encodeDataSet(ds, encodingOf(to));
}

/** Native pixel data to encapsulated frames of `transferSyntax` (lossless only: no attribute of the image changes). */
async function encodePixels(ds: DataSet, transferSyntax: string): Promise<void> {
  const element = ds.get(PixelTag.PixelData);
  if (!element || !Buffer.isBuffer(element.value)) return;
  const pixels = pixelModuleOf(ds);
  const size = frameLength(pixels);
  if (element.value.length < size * pixels.frames) throw new Error(`pixel data holds ${element.value.length} bytes, ${size * pixels.frames} expected`);
  const frames: Uint8Array[] = [];
  for (let f = 0; f < pixels.frames; f++) frames.push(await encodeFrame(transferSyntax, element.value.subarray(f * size, (f + 1) * size), pixels));
  ds.set(PixelTag.PixelData, { tag: PixelTag.PixelData, vr: 'OB', value: { fragments: encapsulate(frames) } });
}
