import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';

/** Test objects made in the test: a small explicit VR little endian Part-10 writer, enough for CT-like images. */

export const CT_IMAGE_STORAGE = StorageSopClass.CtImage;
export const EXPLICIT_LE = TransferSyntax.ExplicitLittleEndian;

export function uid(): string {
  return '2.25.' + BigInt('0x' + randomBytes(15).toString('hex')).toString();
}

type Value = string | Buffer | number[] | Element[][];
/** One element to write: text values in Latin-1 (already encoded Buffers as given), US as numbers, SQ as items. */
export interface Element {
  tag: number;
  vr: string;
  value: Value;
}

const LONG = new Set(['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR', 'OF', 'OD', 'OL']);

function valueBytes(vr: string, value: Value): Buffer {
  if (Buffer.isBuffer(value))
    return value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : value;
  if (typeof value === 'string') {
    const b = Buffer.from(value, 'latin1');
    return b.length % 2 ? Buffer.concat([b, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : b;
  }
  if (vr === 'US') {
    const b = Buffer.alloc(2 * (value as number[]).length);
    (value as number[]).forEach((n, i) => {
      b.writeUInt16LE(n, i * 2);
    });
    return b;
  }
  throw new Error(`no encoding for ${vr}`);
}

function encodeElement(e: Element): Buffer {
  if (e.vr === 'SQ') {
    const items = (e.value as Element[][]).map((item) => {
      const body = Buffer.concat(item.map(encodeElement));
      const head = Buffer.alloc(8);
      head.writeUInt16LE(0xfffe, 0);
      head.writeUInt16LE(0xe000, 2);
      head.writeUInt32LE(0xffffffff, 4);
      const end = Buffer.alloc(8);
      end.writeUInt16LE(0xfffe, 0);
      end.writeUInt16LE(0xe00d, 2);
      return Buffer.concat([head, body, end]);
    });
    const head = Buffer.alloc(12);
    head.writeUInt16LE(e.tag >>> 16, 0);
    head.writeUInt16LE(e.tag & 0xffff, 2);
    head.write('SQ', 4, 'latin1');
    head.writeUInt32LE(0xffffffff, 8);
    const end = Buffer.alloc(8);
    end.writeUInt16LE(0xfffe, 0);
    end.writeUInt16LE(0xe0dd, 2);
    return Buffer.concat([head, ...items, end]);
  }
  const v = valueBytes(e.vr, e.value);
  const long = LONG.has(e.vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(e.tag >>> 16, 0);
  head.writeUInt16LE(e.tag & 0xffff, 2);
  head.write(e.vr, 4, 'latin1');
  if (long) head.writeUInt32LE(v.length, 8);
  else head.writeUInt16LE(v.length, 6);
  return Buffer.concat([head, v]);
}

export interface ImageOptions {
  patientId?: string;
  /** Raw bytes of the name, already in the character set below. */
  patientName?: string | Buffer;
  specificCharacterSet?: string;
  studyUid?: string;
  seriesUid?: string;
  sopUid?: string;
  sopClassUid?: string;
  /** null: no Modality element at all (scanned documents, some secondary captures). */
  modality?: string | null;
  rows?: number;
  columns?: number;
  frames?: number;
  instanceNumber?: number;
  accessionNumber?: string;
  studyDate?: string;
  /** Default 'Head routine'. */
  studyDescription?: string;
  seriesNumber?: number;
  /** Pixel values by row, column and frame; the default is a sawtooth. */
  pixel?: (row: number, column: number, frame: number) => number;
  /** 8: one byte per pixel (as JPEG baseline needs); 32: all 32 bits stored (RT Dose); default 16 with 12 bits stored. */
  bitsAllocated?: 8 | 16 | 32;
  /** More elements (an RT Dose's grid scaling, ...). */
  extra?: Element[];
  /** Image Type's values joined by `\` (ORIGINAL\PRIMARY\AXIAL when not said). */
  imageType?: string;
  /** Colour by pixel (8 bits, RGB, planar configuration 0): each pixel's value v becomes (v, 255 - v, 3v mod 256). */
  rgb?: boolean;
  /** CT-style Rescale Intercept (and slope 1), so stored values map to Hounsfield units. */
  rescaleIntercept?: number;
  /** Signed 16-bit samples (all 16 bits stored, Pixel Representation 1), as CT scanners that store HU directly send. */
  signed?: boolean;
}

/**
 * A head-like test picture: a skull ring around soft tissue with two darker ventricles and a bright spot, on air;
 * 12-bit values with Rescale Intercept -1024 read as Hounsfield units. `slice` moves the spot, so images of a series
 * differ. For 8-bit images the values are scaled down to 0-255.
 */
export function phantom(rows: number, columns: number, slice = 0, bits: 8 | 16 = 16): (r: number, c: number) => number {
  return (r, c) => {
    const y = (r - rows / 2) / (rows / 2);
    const x = (c - columns / 2) / (columns / 2);
    const d = Math.hypot(x, y * 1.15);
    let hu = -1000;
    if (d < 0.82) hu = 1200; // bone
    if (d < 0.74) hu = 35 + Math.round(10 * Math.sin(8 * x) * Math.cos(6 * y)); // soft tissue with texture
    if (Math.hypot(x - 0.2, y + 0.1) < 0.12 || Math.hypot(x + 0.2, y + 0.1) < 0.12) hu = 5; // ventricles
    if (Math.hypot(x - 0.35 + slice * 0.05, y - 0.35) < 0.06) hu = 90; // a bleed, moving with the slice
    const stored = hu + 1024;
    return bits === 8 ? Math.max(0, Math.min(255, Math.round(stored / 9))) : stored;
  };
}

export interface MadeImage {
  bytes: Buffer;
  sopUid: string;
  studyUid: string;
  seriesUid: string;
}

/** A CT-like image as a Part-10 file in explicit VR little endian, with a sequence and a private element inside. */
export function makeImage(o: ImageOptions = {}): MadeImage {
  const rows = o.rows ?? 64;
  const columns = o.columns ?? 64;
  const frames = o.frames ?? 1;
  const sopUid = o.sopUid ?? uid();
  const studyUid = o.studyUid ?? uid();
  const seriesUid = o.seriesUid ?? uid();
  const sopClass = o.sopClassUid ?? CT_IMAGE_STORAGE;
  const bits = o.rgb ? 8 : (o.bitsAllocated ?? 16);
  const bytesPer = bits / 8;
  const samples = o.rgb ? 3 : 1;
  const pixels = Buffer.alloc(rows * columns * frames * bytesPer * samples);
  for (let i = 0; i < rows * columns * frames; i++) {
    const v = o.pixel
      ? o.pixel(Math.floor(i / columns) % rows, i % columns, Math.floor(i / (rows * columns)))
      : (i * 7) % 4096;
    if (o.rgb) {
      pixels[3 * i] = v & 0xff;
      pixels[3 * i + 1] = 255 - (v & 0xff);
      pixels[3 * i + 2] = (3 * v) & 0xff;
      continue;
    }
    if (bytesPer === 4) pixels.writeUInt32LE(v, i * 4);
    else if (bytesPer === 2 && o.signed) pixels.writeInt16LE(v, i * 2);
    else if (bytesPer === 2) pixels.writeUInt16LE(v, i * 2);
    else pixels[i] = v;
  }
  const elements: Element[] = [
    ...(o.specificCharacterSet ? [{ tag: 0x00080005, vr: 'CS', value: o.specificCharacterSet }] : []),
    { tag: 0x00080008, vr: 'CS', value: o.imageType ?? 'ORIGINAL\\PRIMARY\\AXIAL' },
    { tag: 0x00080016, vr: 'UI', value: sopClass },
    { tag: 0x00080018, vr: 'UI', value: sopUid },
    { tag: 0x00080020, vr: 'DA', value: o.studyDate ?? '20261125' },
    { tag: 0x00080030, vr: 'TM', value: '101500' },
    { tag: 0x00080050, vr: 'SH', value: o.accessionNumber ?? 'ACC001' },
    ...(o.modality === null ? [] : [{ tag: 0x00080060, vr: 'CS', value: o.modality ?? 'CT' }]),
    { tag: 0x00081030, vr: 'LO', value: o.studyDescription ?? 'Head routine' },
    {
      tag: 0x00081140,
      vr: 'SQ',
      value: [
        [
          { tag: 0x00081150, vr: 'UI', value: CT_IMAGE_STORAGE },
          { tag: 0x00081155, vr: 'UI', value: uid() },
        ],
      ],
    },
    { tag: 0x00090010, vr: 'LO', value: 'TEST PRIVATE' },
    { tag: 0x00091001, vr: 'LO', value: 'private value' },
    { tag: 0x00100010, vr: 'PN', value: o.patientName ?? 'Test^Patient' },
    { tag: 0x00100020, vr: 'LO', value: o.patientId ?? 'PID001' },
    { tag: 0x00100030, vr: 'DA', value: '19700101' },
    { tag: 0x00100040, vr: 'CS', value: 'O' },
    { tag: 0x0020000d, vr: 'UI', value: studyUid },
    { tag: 0x0020000e, vr: 'UI', value: seriesUid },
    { tag: 0x00200010, vr: 'SH', value: 'S1' },
    { tag: 0x00200011, vr: 'IS', value: String(o.seriesNumber ?? 1) },
    { tag: 0x00200013, vr: 'IS', value: String(o.instanceNumber ?? 1) },
    { tag: 0x00280002, vr: 'US', value: [samples] },
    { tag: 0x00280004, vr: 'CS', value: o.rgb ? 'RGB' : 'MONOCHROME2' },
    ...(o.rgb ? [{ tag: 0x00280006, vr: 'US', value: [0] }] : []),
    ...(frames > 1 ? [{ tag: 0x00280008, vr: 'IS', value: String(frames) }] : []),
    { tag: 0x00280010, vr: 'US', value: [rows] },
    { tag: 0x00280011, vr: 'US', value: [columns] },
    { tag: 0x00280100, vr: 'US', value: [bits] },
    { tag: 0x00280101, vr: 'US', value: [bits === 16 && !o.signed ? 12 : bits] },
    { tag: 0x00280102, vr: 'US', value: [bits === 16 && !o.signed ? 11 : bits - 1] },
    { tag: 0x00280103, vr: 'US', value: [o.signed ? 1 : 0] },
    ...(o.rescaleIntercept !== undefined
      ? [
          { tag: 0x00281052, vr: 'DS', value: String(o.rescaleIntercept) },
          { tag: 0x00281053, vr: 'DS', value: '1' },
        ]
      : []),
    ...(o.extra ?? []),
    { tag: 0x7fe00010, vr: bits === 8 ? 'OB' : 'OW', value: pixels },
  ];
  const dataSet = Buffer.concat(elements.sort((a, b) => a.tag - b.tag).map(encodeElement));
  return { bytes: Buffer.concat([fileMeta(sopClass, sopUid, EXPLICIT_LE), dataSet]), sopUid, studyUid, seriesUid };
}

/** Any object from its elements (sorted by tag here), as a Part-10 file in explicit VR little endian. */
export function part10(sopClass: string, sopUid: string, elements: Element[]): Buffer {
  const sorted = [...elements].sort((a, b) => a.tag - b.tag);
  return Buffer.concat([fileMeta(sopClass, sopUid, EXPLICIT_LE), ...sorted.map(encodeElement)]);
}

export function fileMeta(sopClass: string, sopUid: string, ts: string): Buffer {
  const body = Buffer.concat([
    encodeElement({ tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) }),
    encodeElement({ tag: 0x00020002, vr: 'UI', value: sopClass }),
    encodeElement({ tag: 0x00020003, vr: 'UI', value: sopUid }),
    encodeElement({ tag: 0x00020010, vr: 'UI', value: ts }),
    encodeElement({ tag: 0x00020012, vr: 'UI', value: '2.25.1' }),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM'),
    encodeElement({ tag: 0x00020000, vr: 'UL', value: len }),
    body,
  ]);
}

/** The data set part of a file made above (after the meta group). */
export function dataSetOf(file: Buffer): Buffer {
  const groupLength = file.readUInt32LE(132 + 8);
  return file.subarray(132 + 12 + groupLength);
}

export async function writeImages(dir: string, images: MadeImage[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const img of images) {
    const f = path.join(dir, `${img.sopUid}.dcm`);
    await writeFile(f, img.bytes);
    files.push(f);
  }
  return files;
}
