import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { canTranscode as canConvertNative, transcode as convertNative } from '../dicom/transcode.ts';
import { TransferSyntax, UNCOMPRESSED_SYNTAXES } from '../../common/uids.ts';
import { CodecPool } from './codec-pool.ts';
import { DECODABLE } from './decoders.ts';
import { ENCODABLE, LOSSY_ENCODABLE, type EncodeOptions } from './encoders.ts';
import type { RenderRequest } from './render.ts';

/**
 * Data sets from one transfer syntax to another (as Orthanc's IDicomTranscoder): uncompressed to uncompressed by
 * re-encoding (dicom/transcode.ts), to and from compressed syntaxes by decoding and encoding each frame in the codec
 * workers (encoders.ts: lossy ones only at a quality an admin chose), and Deflated Explicit VR Little Endian (PS3.5 A.5)
 * in and out with zlib. Lossless syntaxes decode bit for bit.
 */
export interface Transcoder {
  /** Whether `from` converts to `to`; to a lossy syntax only with `options.quality` (an admin's choice). */
  canTranscode(from: string, to: string, options?: EncodeOptions): boolean;
  transcode(dataSet: Buffer, from: string, to: string, options?: EncodeOptions): Promise<Buffer>;
}

const DEFLATED = TransferSyntax.DeflatedExplicitLittleEndian;
const NATIVE = new Set(UNCOMPRESSED_SYNTAXES);

export class DicomTranscoder implements Transcoder {
  private pool: CodecPool | undefined;

  canTranscode(from: string, to: string, options?: EncodeOptions): boolean {
    if (from === to) return true;
    const source = from === DEFLATED || NATIVE.has(from) || DECODABLE.has(from);
    const target =
      to === DEFLATED ||
      NATIVE.has(to) ||
      ENCODABLE.has(to) ||
      (options?.quality !== undefined && LOSSY_ENCODABLE.has(to));
    return source && target;
  }

  async transcode(dataSet: Buffer, from: string, to: string, options?: EncodeOptions): Promise<Buffer> {
    if (from === to) return dataSet;
    if (!this.canTranscode(from, to, options)) throw new Error(`cannot convert ${from} to ${to}`);
    if (to === DEFLATED)
      return deflateRawSync(await this.transcode(dataSet, from, TransferSyntax.ExplicitLittleEndian));
    if (from === DEFLATED)
      return this.transcode(inflateRawSync(dataSet), TransferSyntax.ExplicitLittleEndian, to, options);
    if (canConvertNative(from, to)) return convertNative(dataSet, from, to);
    this.pool ??= new CodecPool();
    return this.pool.convert(dataSet, from, to, options);
  }

  /** One frame of a stored data set as a picture (WADO-URI image/jpeg and image/png), in the codec workers. */
  render(dataSet: Buffer, transferSyntax: string, request: RenderRequest): Promise<Buffer> {
    this.pool ??= new CodecPool();
    return this.pool.render(dataSet, transferSyntax, request);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}

/** The archive's transcoder: its codec workers start with the first compressed object it converts. */
export const transcoder = new DicomTranscoder();
