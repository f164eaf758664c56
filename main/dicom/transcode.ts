import { encodeDataSet, parseDataSet, type DataSet } from './dataset.ts';
import { encodingOf, UNCOMPRESSED_SYNTAXES } from '../../common/uids.ts';
import { Tag } from './tags.ts';

/** True when a data set in `from` can be re-encoded in `to` without a codec (both native pixel data). */
export function canTranscode(from: string, to: string): boolean {
  return UNCOMPRESSED_SYNTAXES.includes(from) && UNCOMPRESSED_SYNTAXES.includes(to);
}

/**
 * Re-encode an uncompressed data set in another uncompressed transfer syntax (PS3.5 A.1-A.3): implicit VRs come from
 * the data dictionary, byte order follows each VR, and native pixel data is OB up to 8 bits allocated, OW above.
 */
export function transcode(dataSet: Buffer, from: string, to: string): Buffer {
  if (from === to) return dataSet;
  if (!canTranscode(from, to)) throw new Error(`cannot convert ${from} to ${to} without a codec`);
  const ds = parseDataSet(dataSet, encodingOf(from));
  fixPixelDataVr(ds);
  return encodeDataSet(ds, encodingOf(to));
}

function fixPixelDataVr(ds: DataSet): void {
  const pixels = ds.get(Tag.PixelData);
  const bits = ds.get(Tag.BitsAllocated);
  if (!pixels || !bits || !Buffer.isBuffer(bits.value) || bits.value.length < 2) return;
  pixels.vr = bits.value.readUInt16LE(0) <= 8 ? 'OB' : 'OW';
}
