import { encodeDataSet, parseDataSet, textElement, uint16Element } from '../dicom/dataset.ts';
import { encodingOf } from '../../common/uids.ts';
import { decodeFrame } from './decoders.ts';
import { framesOf } from './fragments.ts';
import { PixelTag, pixelModuleOf } from './pixel-module.ts';

/**
 * A compressed data set to an uncompressed one, whole (runs in a codec worker: parsing, decoding and writing stay off
 * the event loop): each frame decoded, the pixel data made native (OB up to 8 bits, OW above), the Photometric
 * Interpretation and Planar Configuration set to what the decoder delivered, the result written in `to`.
 */
export async function decodeDataSet(dataSet: Uint8Array, from: string, to: string): Promise<Buffer> {
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
  return encodeDataSet(ds, encodingOf(to));
}
