import { DataSetError } from './dataset-scanner.ts';
import { vrOf } from './dictionary.ts';
import type { TransferSyntaxEncoding } from '../../common/uids.ts';
import { Tag } from './tags.ts';
import { CHARSET_VRS, LONG_VRS, NUMBER_VRS } from './vr.ts';

/**
 * A data set held in memory as elements (PS3.5 7): for identifiers (C-FIND, C-MOVE, worklist) and for re-encoding an
 * uncompressed object in another transfer syntax. Values are kept in little endian byte order whatever the source, so
 * the same tree encodes to any uncompressed transfer syntax. Large objects are streamed elsewhere, never parsed here.
 */
export interface DicomElement {
  tag: number;
  vr: string;
  /** Raw value bytes (little endian), the items of a sequence, or the raw fragment items of encapsulated pixel data. */
  value: Buffer | DataSet[] | EncapsulatedValue;
}

export interface EncapsulatedValue {
  fragments: Buffer;
}

export type DataSet = Map<number, DicomElement>;

const ITEM = Tag.Item;
const ITEM_DELIMITER = Tag.ItemDelimitationItem;
const SEQUENCE_DELIMITER = Tag.SequenceDelimitationItem;
const UNDEFINED = 0xffffffff;

/** Bytes per swapped unit for VRs whose values change with byte order. */
const SWAP: Record<string, number> = {
  US: 2,
  SS: 2,
  OW: 2,
  AT: 2,
  UL: 4,
  SL: 4,
  FL: 4,
  OF: 4,
  OL: 4,
  FD: 8,
  OD: 8,
  SV: 8,
  UV: 8,
  OV: 8,
};

export function isSequence(e: DicomElement): e is DicomElement & { value: DataSet[] } {
  return Array.isArray(e.value);
}

class Reader {
  readonly bytes: Buffer;
  readonly le: boolean;
  at: number;
  constructor(bytes: Buffer, le: boolean, at = 0) {
    this.bytes = bytes;
    this.le = le;
    this.at = at;
  }
  need(n: number, what: string): void {
    if (this.at + n > this.bytes.length)
      throw new DataSetError(
        `${what} at byte ${this.at} runs past the end of the data set (${this.bytes.length} bytes)`,
      );
  }
  u16(): number {
    this.need(2, 'value');
    const v = this.le ? this.bytes.readUInt16LE(this.at) : this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4, 'value');
    const v = this.le ? this.bytes.readUInt32LE(this.at) : this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  tag(): number {
    const g = this.u16();
    return ((g << 16) | this.u16()) >>> 0;
  }
}

/** Parse a whole data set; throws DataSetError naming the byte where it is malformed. */
export function parseDataSet(bytes: Buffer, encoding: TransferSyntaxEncoding): DataSet {
  if (encoding.deflated) throw new DataSetError('deflated data sets are not supported');
  const r = new Reader(bytes, encoding.littleEndian);
  const ds = readElements(r, encoding.explicitVR, bytes.length, false);
  return ds;
}

function readElements(r: Reader, explicit: boolean, end: number, inItem: boolean): DataSet {
  const ds: DataSet = new Map();
  let last = -1;
  while (r.at < end) {
    const start = r.at;
    const tag = r.tag();
    if (tag === ITEM_DELIMITER) {
      if (!inItem) throw new DataSetError(`item delimiter outside an item at byte ${start}`);
      r.u32();
      return ds;
    }
    if (tag === ITEM || tag === SEQUENCE_DELIMITER)
      throw new DataSetError(`unexpected (FFFE,${(tag & 0xffff).toString(16).toUpperCase()}) at byte ${start}`);
    if (tag <= last)
      throw new DataSetError(
        `element (${hex(tag >>> 16)},${hex(tag & 0xffff)}) at byte ${start} is out of ascending order`,
      );
    last = tag;
    let vr: string;
    let length: number;
    if (explicit) {
      r.need(2, 'VR');
      vr = r.bytes.toString('latin1', r.at, r.at + 2);
      r.at += 2;
      if (!/^[A-Z]{2}$/.test(vr)) throw new DataSetError(`invalid VR "${vr}" at byte ${start}`);
      if (LONG_VRS.has(vr)) {
        r.need(2, 'reserved field');
        r.at += 2;
        length = r.u32();
      } else length = r.u16();
    } else {
      vr = vrOf(tag);
      length = r.u32();
    }
    ds.set(tag, readValue(r, tag, vr, length, explicit, end, start));
  }
  if (inItem) throw new DataSetError('item without its delimiter at the end of the data set');
  return ds;
}

function readValue(
  r: Reader,
  tag: number,
  vr: string,
  length: number,
  explicit: boolean,
  end: number,
  start: number,
): DicomElement {
  if (length === UNDEFINED) {
    if (vr === 'SQ' || vr === 'UN' || !explicit) {
      // An undefined-length UN is a sequence in implicit VR little endian (PS3.5 6.2.2).
      const itemExplicit = vr === 'UN' ? false : explicit;
      return {
        tag,
        vr: 'SQ',
        value: readItems(new Reader(r.bytes, vr === 'UN' ? true : r.le, r.at), r, itemExplicit, end, UNDEFINED),
      };
    }
    return { tag, vr, value: { fragments: readFragments(r, start) } };
  }
  if (r.at + length > end)
    throw new DataSetError(
      `element (${hex(tag >>> 16)},${hex(tag & 0xffff)}) at byte ${start} has length ${length}, past the end of its container`,
    );
  if (vr === 'SQ') {
    return { tag, vr, value: readItems(new Reader(r.bytes, r.le, r.at), r, explicit, r.at + length, length) };
  }
  let value: Buffer = Buffer.from(r.bytes.subarray(r.at, r.at + length));
  r.at += length;
  if (!r.le && SWAP[vr]) value = swapped(value, SWAP[vr]!);
  return { tag, vr, value };
}

/** Items of a sequence; `outer` advances past them. */
function readItems(r: Reader, outer: Reader, explicit: boolean, end: number, length: number): DataSet[] {
  const items: DataSet[] = [];
  const limit = length === UNDEFINED ? r.bytes.length : end;
  while (r.at < limit) {
    const at = r.at;
    const tag = r.tag();
    const itemLength = r.u32();
    if (tag === SEQUENCE_DELIMITER) {
      if (length !== UNDEFINED) throw new DataSetError(`sequence delimiter in a defined-length sequence at byte ${at}`);
      break;
    }
    if (tag !== ITEM) throw new DataSetError(`expected an item tag in a sequence at byte ${at}`);
    if (itemLength === UNDEFINED) items.push(readElements(r, explicit, limit, true));
    else {
      if (r.at + itemLength > limit)
        throw new DataSetError(`item at byte ${at} has length ${itemLength}, past the end of its sequence`);
      items.push(readElements(r, explicit, r.at + itemLength, false));
    }
    if (length === UNDEFINED && r.at >= limit)
      throw new DataSetError('sequence without its delimiter at the end of the data set');
  }
  outer.at = r.at;
  return items;
}

function readFragments(r: Reader, start: number): Buffer {
  const from = r.at;
  for (;;) {
    const tag = r.tag();
    const length = r.u32();
    if (tag === SEQUENCE_DELIMITER) return Buffer.from(r.bytes.subarray(from, r.at - 8));
    if (tag !== ITEM || length === UNDEFINED)
      throw new DataSetError(`bad fragment item in encapsulated pixel data starting at byte ${start}`);
    r.need(length, 'fragment');
    r.at += length;
  }
}

function swapped(value: Buffer, unit: number): Buffer {
  const out = Buffer.from(value);
  if (out.length % unit !== 0) return out;
  if (unit === 2) out.swap16();
  else if (unit === 4) out.swap32();
  else out.swap64();
  return out;
}

function hex(n: number): string {
  return n.toString(16).padStart(4, '0').toUpperCase();
}

// ------------------------------------------------------------------ encoding

/** Encode a data set in an uncompressed transfer syntax; sequences and items get undefined lengths (valid in all). */
export function encodeDataSet(ds: DataSet, encoding: TransferSyntaxEncoding): Buffer {
  const parts: Buffer[] = [];
  writeElements(parts, ds, encoding);
  return Buffer.concat(parts);
}

function writeElements(parts: Buffer[], ds: DataSet, enc: TransferSyntaxEncoding): void {
  const tags = [...ds.keys()].sort((a, b) => a - b);
  for (const tag of tags) writeElement(parts, ds.get(tag)!, enc);
}

function header(tag: number, vr: string, length: number, enc: TransferSyntaxEncoding): Buffer {
  const le = enc.littleEndian;
  const long = !enc.explicitVR || LONG_VRS.has(vr);
  const b = Buffer.alloc(enc.explicitVR ? (long ? 12 : 8) : 8);
  const w16 = (v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const w32 = (v: number, at: number) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  w16(tag >>> 16, 0);
  w16(tag & 0xffff, 2);
  if (!enc.explicitVR) w32(length, 4);
  else {
    b.write(vr, 4, 'latin1');
    if (long) w32(length, 8);
    else {
      if (length > 0xffff)
        throw new DataSetError(
          `value of (${hex(tag >>> 16)},${hex(tag & 0xffff)}) is ${length} bytes, too long for VR ${vr}`,
        );
      w16(length, 6);
    }
  }
  return b;
}

function delimiter(tag: number, enc: TransferSyntaxEncoding): Buffer {
  const b = Buffer.alloc(8);
  if (enc.littleEndian) {
    b.writeUInt16LE(tag >>> 16, 0);
    b.writeUInt16LE(tag & 0xffff, 2);
  } else {
    b.writeUInt16BE(tag >>> 16, 0);
    b.writeUInt16BE(tag & 0xffff, 2);
  }
  if (tag === ITEM) b.writeUInt32LE(UNDEFINED, 4);
  return b;
}

function writeElement(parts: Buffer[], e: DicomElement, enc: TransferSyntaxEncoding): void {
  if (Array.isArray(e.value)) {
    if (e.value.length === 0) {
      parts.push(header(e.tag, 'SQ', 0, enc));
      return;
    } // an empty sequence: zero length
    parts.push(header(e.tag, 'SQ', UNDEFINED, enc));
    for (const item of e.value) {
      parts.push(delimiter(ITEM, enc));
      writeElements(parts, item, enc);
      parts.push(delimiter(ITEM_DELIMITER, enc));
    }
    parts.push(delimiter(SEQUENCE_DELIMITER, enc));
    return;
  }
  if (!Buffer.isBuffer(e.value)) {
    if (!enc.explicitVR || !enc.littleEndian)
      throw new DataSetError(
        'encapsulated pixel data can only be written in an explicit little endian transfer syntax',
      );
    parts.push(header(e.tag, e.vr, UNDEFINED, enc), e.value.fragments, delimiter(SEQUENCE_DELIMITER, enc));
    return;
  }
  let value = e.value;
  if (value.length % 2 === 1)
    value = Buffer.concat([value, Buffer.from([e.vr === 'UI' || e.vr === 'OB' || e.vr === 'UN' ? 0 : 0x20])]);
  if (!enc.littleEndian && SWAP[e.vr]) value = swapped(value, SWAP[e.vr]!);
  parts.push(header(e.tag, e.vr, value.length, enc), value);
}

// ------------------------------------------------------------------ values

/** A data set in ascending tag order, as it goes on the wire. */
export function byTag(ds: DataSet): DataSet {
  return new Map([...ds].sort((a, b) => a[0] - b[0]));
}

/** A text value without its padding (PS3.5 6.2); `decode` applies the Specific Character Set where the VR needs it. */
export function textOf(e: DicomElement | undefined, decode?: (b: Buffer) => string): string {
  if (!e || !Buffer.isBuffer(e.value)) return '';
  const s = decode ? decode(e.value) : e.value.toString('latin1');
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

/** An element's value as text: text VRs as they read, binary numbers as decimal numbers separated by `\`. */
export function valueText(e: DicomElement | undefined, decode: (b: Buffer) => string): string {
  if (!e || !Buffer.isBuffer(e.value)) return '';
  const number = NUMBER_VRS[e.vr];
  if (number) {
    const [size, read] = number;
    const b = e.value;
    return Array.from({ length: Math.floor(b.length / size) }, (_, k) => String(read(b, k * size))).join('\\');
  }
  return CHARSET_VRS.has(e.vr) ? textOf(e, decode) : textOf(e);
}

/** The items of a sequence element; none when it is absent or not a sequence. */
export function itemsOf(ds: DataSet, tag: number): DataSet[] {
  const e = ds.get(tag);
  return e && isSequence(e) ? e.value : [];
}

/** A text element; the bytes are already in the response's character set. */
export function textElement(tag: number, vr: string, bytes: Buffer | string): DicomElement {
  return { tag, vr, value: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1') };
}

export function uint16Element(tag: number, value: number): DicomElement {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value, 0);
  return { tag, vr: 'US', value: b };
}
