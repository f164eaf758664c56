import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { encodeDataSet, parseDataSet, textElement, uint16Element, type DataSet } from '../dicom/dataset.ts';
import { canTranscode as canConvertNative, transcode as convertNative } from '../dicom/transcode.ts';
import { TransferSyntax, UNCOMPRESSED_SYNTAXES, encodingOf } from '../../common/uids.ts';
import { CodecPool } from './codec-pool.ts';
import { DECODABLE } from './decoders.ts';
import { framesOf } from './fragments.ts';
import { PixelTag, pixelModuleOf } from './pixel-module.ts';

/**
 * Data sets from one transfer syntax to another (as Orthanc's IDicomTranscoder): uncompressed to uncompressed by
 * re-encoding (dicom/transcode.ts), compressed to uncompressed by decoding each frame in the codec workers, and
 * Deflated Explicit VR Little Endian (PS3.5 A.5) in and out with zlib. Lossless syntaxes decode bit for bit.
 */
export interface Transcoder {
  canTranscode(from: string, to: string): boolean;
  transcode(dataSet: Buffer, from: string, to: string): Promise<Buffer>;
}

const DEFLATED = TransferSyntax.DeflatedExplicitLittleEndian;
const NATIVE = new Set(UNCOMPRESSED_SYNTAXES);

export class DicomTranscoder implements Transcoder {
  private pool: CodecPool | undefined;

  canTranscode(from: string, to: string): boolean {
    if (from === to) return true;
    const source = from === DEFLATED || NATIVE.has(from) || DECODABLE.has(from);
    const target = to === DEFLATED || NATIVE.has(to);
    return source && target;
  }

  async transcode(dataSet: Buffer, from: string, to: string): Promise<Buffer> {
    if (from === to) return dataSet;
    if (!this.canTranscode(from, to)) throw new Error(`cannot convert ${from} to ${to}`);
    if (to === DEFLATED) return deflateRawSync(await this.transcode(dataSet, from, TransferSyntax.ExplicitLittleEndian));
    if (from === DEFLATED) return this.transcode(inflateRawSync(dataSet), TransferSyntax.ExplicitLittleEndian, to);
    if (canConvertNative(from, to)) return convertNative(dataSet, from, to);
    const ds = parseDataSet(dataSet, encodingOf(from));
    await this.decodePixels(ds, from);
    return convertNative(encodeDataSet(ds, encodingOf(TransferSyntax.ExplicitLittleEndian)), TransferSyntax.ExplicitLittleEndian, to);
  }

  /** Replace encapsulated pixel data with the decoded native frames, and say what the pixels now are. */
  private async decodePixels(ds: DataSet, transferSyntax: string): Promise<void> {
    const element = ds.get(PixelTag.PixelData);
    if (!element || Buffer.isBuffer(element.value) || Array.isArray(element.value)) return; // no pixels, or native already
    const pixels = pixelModuleOf(ds);
    const frames = framesOf(element.value.fragments, pixels.frames);
    this.pool ??= new CodecPool();
    const decoded = await this.pool.decode(transferSyntax, frames, pixels);
    ds.set(PixelTag.PixelData, { tag: PixelTag.PixelData, vr: pixels.bitsAllocated <= 8 ? 'OB' : 'OW', value: Buffer.concat(decoded.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength))) });
    if (decoded.photometricInterpretation && decoded.photometricInterpretation !== pixels.photometricInterpretation) {
      ds.set(PixelTag.PhotometricInterpretation, textElement(PixelTag.PhotometricInterpretation, 'CS', evenText(decoded.photometricInterpretation)));
    }
    if (pixels.samplesPerPixel > 1 && decoded.planarConfiguration !== undefined) {
      ds.set(PixelTag.PlanarConfiguration, uint16Element(PixelTag.PlanarConfiguration, decoded.planarConfiguration));
    }
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}

function evenText(text: string): string {
  return text.length % 2 ? `${text} ` : text;
}

/** The archive's transcoder: its codec workers start with the first compressed object it converts. */
export const transcoder = new DicomTranscoder();
