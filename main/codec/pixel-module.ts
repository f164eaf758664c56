import { textOf, type DataSet } from '../dicom/dataset.ts';
import { Tag } from '../dicom/tags.ts';

/** The Image Pixel module's description of the pixels (PS3.3 C.7.6.3), what a codec needs to know of a frame. */
export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  photometricInterpretation: string;
  /** 0 colour-by-pixel (R1G1B1R2...), 1 colour-by-plane (RRR...GGG...BBB...). */
  planarConfiguration: number;
  frames: number;
}

export const PixelTag = {
  SamplesPerPixel: Tag.SamplesPerPixel,
  PhotometricInterpretation: Tag.PhotometricInterpretation,
  PlanarConfiguration: Tag.PlanarConfiguration,
  NumberOfFrames: Tag.NumberOfFrames,
  Rows: Tag.Rows,
  Columns: Tag.Columns,
  BitsAllocated: Tag.BitsAllocated,
  BitsStored: Tag.BitsStored,
  HighBit: Tag.HighBit,
  PixelRepresentation: Tag.PixelRepresentation,
  LossyImageCompression: Tag.LossyImageCompression,
  LossyImageCompressionRatio: Tag.LossyImageCompressionRatio,
  LossyImageCompressionMethod: Tag.LossyImageCompressionMethod,
  PixelData: Tag.PixelData,
} as const;

function us(ds: DataSet, tag: number): number | undefined {
  const e = ds.get(tag);
  return e && Buffer.isBuffer(e.value) && e.value.length >= 2 ? e.value.readUInt16LE(0) : undefined;
}

export class PixelModuleError extends Error {}

/** The pixel description of a data set (little endian), or why it cannot be decoded. */
export function pixelModuleOf(ds: DataSet): PixelModule {
  const rows = us(ds, PixelTag.Rows);
  const columns = us(ds, PixelTag.Columns);
  const bitsAllocated = us(ds, PixelTag.BitsAllocated);
  if (!rows || !columns || !bitsAllocated)
    throw new PixelModuleError('the object has no Rows, Columns or Bits Allocated: no image to decode');
  const frames = Number(textOf(ds.get(PixelTag.NumberOfFrames)) || '1');
  return {
    rows,
    columns,
    bitsAllocated,
    samplesPerPixel: us(ds, PixelTag.SamplesPerPixel) ?? 1,
    bitsStored: us(ds, PixelTag.BitsStored) ?? bitsAllocated,
    pixelRepresentation: us(ds, PixelTag.PixelRepresentation) ?? 0,
    photometricInterpretation: textOf(ds.get(PixelTag.PhotometricInterpretation)) || 'MONOCHROME2',
    planarConfiguration: us(ds, PixelTag.PlanarConfiguration) ?? 0,
    frames: Number.isInteger(frames) && frames > 0 ? frames : 1,
  };
}

/** Bytes of one native frame. */
export function frameLength(p: PixelModule): number {
  return p.rows * p.columns * p.samplesPerPixel * Math.ceil(p.bitsAllocated / 8);
}
