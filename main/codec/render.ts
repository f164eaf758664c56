import { crc32, deflateSync, inflateRawSync } from 'node:zlib';
import { parseDataSet, textOf, type DataSet } from '../dicom/dataset.ts';
import { TransferSyntax, UNCOMPRESSED_SYNTAXES, encodingOf } from '../../common/uids.ts';
import { transcode as convertNative } from '../dicom/transcode.ts';
import { decodeFrame } from './decoders.ts';
import { nativeEncode } from './native-codecs.ts';
import { framesOf } from './fragments.ts';
import { PixelTag, frameLength, pixelModuleOf, type PixelModule } from './pixel-module.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * One frame of an object as a picture (WADO-URI's image/jpeg and image/png, PS3.18 9.1): decoded if it is compressed,
 * the modality LUT (rescale slope and intercept) and a window applied — the one asked for, else the object's own,
 * else its range —, MONOCHROME1 inverted, palette colour looked up, YBR converted to RGB, a region cut and the
 * size asked for (nearest sample), then JPEG (libjpeg-turbo) or PNG (zlib). Runs in a codec worker.
 */

export interface RenderRequest {
  contentType: 'image/jpeg' | 'image/png';
  /** 0-based frame. */
  frame: number;
  windowCenter?: number;
  windowWidth?: number;
  rows?: number;
  columns?: number;
  /** Fractions of the image, left, top, right, bottom (0 to 1). */
  region?: [number, number, number, number];
  /** JPEG quality, 1-100. */
  quality?: number;
}

export class RenderError extends Error {}

function ds(tag: number, d: DataSet): number | undefined {
  const text = textOf(d.get(tag)).split('\\')[0];
  const n = text === undefined || text === '' ? NaN : Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The frame's samples as numbers (signed or not, any of 8/16/32 bits allocated). */
function samplesOf(frame: Uint8Array, p: PixelModule): ArrayLike<number> {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const count = p.rows * p.columns * p.samplesPerPixel;
  const out = new Float64Array(count);
  const signed = p.pixelRepresentation === 1;
  const shift = 32 - p.bitsStored;
  for (let i = 0; i < count; i++) {
    let v =
      p.bitsAllocated === 8
        ? view.getUint8(i)
        : p.bitsAllocated === 16
          ? view.getUint16(2 * i, true)
          : view.getUint32(4 * i, true);
    if (p.bitsStored < 32) v = signed ? (v << shift) >> shift : v & (2 ** p.bitsStored - 1);
    out[i] = v;
  }
  return out;
}

/** 8-bit display values, one (grey) or three (RGB) a pixel. */
function displayValues(
  frame: Uint8Array,
  p: PixelModule,
  d: DataSet,
  request: RenderRequest,
): { pixels: Uint8Array; components: number } {
  const samples = samplesOf(frame, p);
  const count = p.rows * p.columns;
  if (p.samplesPerPixel === 3) {
    if (p.bitsAllocated !== 8) throw new RenderError(`colour with ${p.bitsAllocated} bits allocated is not rendered`);
    const rgb = new Uint8Array(count * 3);
    const planar = p.planarConfiguration === 1;
    const ybr = p.photometricInterpretation.startsWith('YBR_FULL');
    for (let i = 0; i < count; i++) {
      const [a, b, c] = planar
        ? [samples[i]!, samples[count + i]!, samples[2 * count + i]!]
        : [samples[3 * i]!, samples[3 * i + 1]!, samples[3 * i + 2]!];
      if (ybr) {
        rgb[3 * i] = clamp(a + 1.402 * (c - 128));
        rgb[3 * i + 1] = clamp(a - 0.344136 * (b - 128) - 0.714136 * (c - 128));
        rgb[3 * i + 2] = clamp(a + 1.772 * (b - 128));
      } else {
        rgb[3 * i] = a;
        rgb[3 * i + 1] = b;
        rgb[3 * i + 2] = c;
      }
    }
    return { pixels: rgb, components: 3 };
  }
  if (p.samplesPerPixel !== 1) throw new RenderError(`${p.samplesPerPixel} samples per pixel are not rendered`);
  if (p.photometricInterpretation === 'PALETTE COLOR')
    return { pixels: paletteColour(samples, count, d), components: 3 };
  const slope = ds(Tag.RescaleSlope, d) ?? 1;
  const intercept = ds(Tag.RescaleIntercept, d) ?? 0;
  let center = request.windowCenter ?? ds(Tag.WindowCenter, d);
  let width = request.windowWidth ?? ds(Tag.WindowWidth, d);
  if (center === undefined || width === undefined || width <= 0) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < count; i++) {
      const v = samples[i]! * slope + intercept;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    center = (max + min) / 2;
    width = Math.max(max - min, 1);
  }
  const invert = p.photometricInterpretation === 'MONOCHROME1';
  const grey = new Uint8Array(count);
  // PS3.3 C.11.2.1.2.1: the linear VOI function.
  const low = center - 0.5 - (width - 1) / 2;
  const span = Math.max(width - 1, 1);
  for (let i = 0; i < count; i++) {
    const v = samples[i]! * slope + intercept;
    const g = v <= low ? 0 : v > low + span ? 255 : ((v - low) / span) * 255;
    grey[i] = invert ? 255 - Math.round(g) : Math.round(g);
  }
  return { pixels: grey, components: 1 };
}

/** PALETTE COLOR through its red, green and blue LUTs (PS3.3 C.7.6.3.1.5; 8- or 16-bit entries, not segmented). */
function paletteColour(samples: ArrayLike<number>, count: number, d: DataSet): Uint8Array {
  const rgb = new Uint8Array(count * 3);
  for (let c = 0; c < 3; c++) {
    const descriptor = d.get(Tag.RedPaletteColorLookupTableDescriptor + c)?.value;
    const data = d.get(Tag.RedPaletteColorLookupTableData + c)?.value;
    if (!Buffer.isBuffer(descriptor) || descriptor.length < 6 || !Buffer.isBuffer(data)) {
      throw new RenderError('palette colour without its LUT descriptor and data (segmented palettes are not rendered)');
    }
    const entries = descriptor.readUInt16LE(0) || 65536;
    const first = descriptor.readUInt16LE(2);
    const wide = descriptor.readUInt16LE(4) > 8;
    const last = Math.min(entries, wide ? data.length >> 1 : data.length) - 1;
    for (let i = 0; i < count; i++) {
      const index = Math.max(0, Math.min(last, samples[i]! - first));
      rgb[3 * i + c] = wide ? data.readUInt16LE(2 * index) >> 8 : data[index]!;
    }
  }
  return rgb;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Cut the region and scale to the size asked for (one of rows/columns keeps the aspect ratio). */
function resize(
  src: Uint8Array,
  width: number,
  height: number,
  components: number,
  request: RenderRequest,
): { pixels: Uint8Array; width: number; height: number } {
  const [l, t, r, b] = request.region ?? [0, 0, 1, 1];
  if (!(l >= 0 && t >= 0 && r <= 1 && b <= 1 && l < r && t < b))
    throw new RenderError(
      'region must be four fractions from 0 to 1: left, top, right, bottom, with left < right and top < bottom',
    );
  const x0 = Math.floor(l * width);
  const y0 = Math.floor(t * height);
  const cw = Math.max(1, Math.round((r - l) * width));
  const ch = Math.max(1, Math.round((b - t) * height));
  let ow = cw;
  let oh = ch;
  if (request.columns && request.rows) {
    const scale = Math.min(request.columns / cw, request.rows / ch);
    ow = Math.max(1, Math.round(cw * scale));
    oh = Math.max(1, Math.round(ch * scale));
  } else if (request.columns) {
    ow = request.columns;
    oh = Math.max(1, Math.round((ch * request.columns) / cw));
  } else if (request.rows) {
    oh = request.rows;
    ow = Math.max(1, Math.round((cw * request.rows) / ch));
  }
  if (ow === width && oh === height && x0 === 0 && y0 === 0) return { pixels: src, width, height };
  const out = new Uint8Array(ow * oh * components);
  for (let y = 0; y < oh; y++) {
    const sy = y0 + Math.min(ch - 1, Math.floor(((y + 0.5) * ch) / oh));
    for (let x = 0; x < ow; x++) {
      const sx = x0 + Math.min(cw - 1, Math.floor(((x + 0.5) * cw) / ow));
      for (let c = 0; c < components; c++)
        out[(y * ow + x) * components + c] = src[(sy * width + sx) * components + c]!;
    }
  }
  return { pixels: out, width: ow, height: oh };
}

function png(pixels: Uint8Array, width: number, height: number, components: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = components === 3 ? 2 : 0;
  const stride = width * components;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function jpeg(
  pixels: Uint8Array,
  width: number,
  height: number,
  components: number,
  quality: number,
): Promise<Buffer> {
  const picture = {
    rows: height,
    columns: width,
    samplesPerPixel: components,
    bitsAllocated: 8,
    bitsStored: 8,
    pixelRepresentation: 0,
    photometricInterpretation: components === 3 ? 'RGB' : 'MONOCHROME2',
    planarConfiguration: 0,
    frames: 1,
  };
  const out = await nativeEncode('encodeJpeg', pixels, picture, { lossy: true, quality });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Render one frame of a data set (in `transferSyntax`) as the request asks. */
export async function renderDataSet(
  dataSet: Uint8Array,
  transferSyntax: string,
  request: RenderRequest,
): Promise<Buffer> {
  let bytes = Buffer.from(dataSet.buffer, dataSet.byteOffset, dataSet.byteLength);
  if (transferSyntax === TransferSyntax.DeflatedExplicitLittleEndian) {
    bytes = inflateRawSync(bytes);
    transferSyntax = TransferSyntax.ExplicitLittleEndian;
  } else if (transferSyntax === TransferSyntax.ExplicitBigEndian) {
    bytes = convertNative(bytes, transferSyntax, TransferSyntax.ExplicitLittleEndian);
    transferSyntax = TransferSyntax.ExplicitLittleEndian;
  }
  const d = parseDataSet(bytes, encodingOf(transferSyntax));
  const element = d.get(PixelTag.PixelData);
  if (!element) throw new RenderError('the object has no pixel data');
  const p = pixelModuleOf(d);
  if (request.frame < 0 || request.frame >= p.frames)
    throw new RenderError(`frameNumber ${request.frame + 1} is outside the object's ${p.frames} frame(s)`);
  let frame: Uint8Array;
  if (Buffer.isBuffer(element.value)) {
    if (!UNCOMPRESSED_SYNTAXES.includes(transferSyntax))
      throw new RenderError(`pixel data in ${transferSyntax} is not rendered`);
    const size = frameLength(p);
    frame = element.value.subarray(request.frame * size, (request.frame + 1) * size);
  } else if (!Array.isArray(element.value)) {
    const frames = framesOf(element.value.fragments, p.frames);
    const decoded = await decodeFrame(transferSyntax, frames[request.frame]!, p);
    frame = decoded.data;
    if (decoded.photometricInterpretation) p.photometricInterpretation = decoded.photometricInterpretation;
    if (decoded.planarConfiguration !== undefined) p.planarConfiguration = decoded.planarConfiguration;
  } else {
    throw new RenderError('pixel data is a sequence');
  }
  const { pixels, components } = displayValues(frame, p, d, request);
  const out = resize(pixels, p.columns, p.rows, components, request);
  return request.contentType === 'image/png'
    ? png(out.pixels, out.width, out.height, components)
    : jpeg(out.pixels, out.width, out.height, components, request.quality ?? 90);
}
