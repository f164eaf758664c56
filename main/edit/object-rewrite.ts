import { CHARSET_VRS } from '../dicom/vr.ts';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { renameHeld } from '../store/held-files.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { UTF8_TERM, encodeText } from '../dicom/charset-encode.ts';
import { DataSetScanner } from '../dicom/dataset-scanner.ts';
import { encodeDataSet, isSequence, parseDataSet, textElement, textOf, type DataSet } from '../dicom/dataset.ts';
import { vrOf } from '../dicom/dictionary.ts';
import { encodingOf } from '../../common/uids.ts';
import { readFileMeta } from '../store/file-meta.ts';
import { encodeFileMeta } from '../store/part10.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * Rewriting a stored object with new attribute values (patient, study and series attributes; UIDs of a moved series):
 * the elements before Pixel Data are read, changed and encoded again in the object's transfer syntax, and everything from
 * Pixel Data on is copied from the old file in chunks, never held whole. The new file is written beside the old one,
 * flushed, and renamed over it: at any moment the file is the old object or the new one, never a mix.
 */

/** Attribute changes by tag: a text value to set (as a string; '' empties it), or null to remove the element. */
export type AttributeChanges = Map<number, string | null>;

const CHUNK = 1 << 20;
/** The attributes before Pixel Data are read in steps of this size. */
const HEAD_READ = 64 * 1024;
/** Before Pixel Data an object holds its attributes; more than this there is not a header but something to refuse. */
const MAX_HEADER = 64 << 20;

export class RewriteError extends Error {}

/** Rewrite `file` with `changes` applied, through `temp` (a file on the same device); returns the object's new size. */
export async function rewriteObject(file: string, changes: AttributeChanges, temp: string): Promise<number> {
  const size = await transformObject(file, temp, (ds) => applyChanges(ds, changes));
  await renameHeld(temp, file);
  return size;
}

/**
 * Write `file`'s object to `target` with its elements before Pixel Data passed through `transform` (which may change,
 * add or remove any of them, UIDs included); Pixel Data and what follows are copied in chunks. The target is flushed
 * before this resolves; on failure it is removed. Returns its size.
 */
export async function transformObject(
  file: string,
  target: string,
  transform: (dataSet: DataSet) => DataSet,
): Promise<number> {
  const source = await open(file, 'r');
  try {
    const head = await readHead(source, file);
    return await writeObject(source, file, head, transform(head.dataSet), target);
  } finally {
    await source.close();
  }
}

/** The elements of `file` before Pixel Data, as a data set (what converters look at), with where they end. */
export async function readObjectHead(file: string): Promise<ObjectHead> {
  const source = await open(file, 'r');
  try {
    return await readHead(source, file);
  } finally {
    await source.close();
  }
}

/**
 * Write `file`'s object to `target` with `dataSet` (its head, read by readObjectHead, changed) in place of its elements
 * before Pixel Data; flushed before this resolves unless `flush` is false (the archive runs without DurableWrites),
 * removed on failure. Returns its size.
 */
export async function writeObjectWith(
  file: string,
  head: ObjectHead,
  dataSet: DataSet,
  target: string,
  flush = true,
): Promise<number> {
  const source = await open(file, 'r');
  try {
    return await writeObject(source, file, head, dataSet, target, flush);
  } finally {
    await source.close();
  }
}

export interface ObjectHead {
  size: number;
  meta: ReturnType<typeof readFileMeta>;
  encoding: ReturnType<typeof encodingOf>;
  /** Bytes of the data set before Pixel Data (or all of it). */
  headerLength: number;
  dataSet: DataSet;
}

/**
 * The same as readObjectHead, from an object held in memory as the chunks it arrived in (incoming-object.ts): only
 * the chunks up to Pixel Data are looked at, and only the head is copied.
 */
export function objectHeadOf(chunks: readonly Uint8Array[], name: string): Promise<ObjectHead> {
  const size = chunks.reduce((n, c) => n + c.length, 0);
  return scanHead(size, (start, end) => bytesOf(chunks, start, end), name);
}

/** A held object with `dataSet` in place of its elements before Pixel Data: the new object's chunks (the rest shared). */
export function objectBytesWith(chunks: readonly Uint8Array[], head: ObjectHead, dataSet: DataSet): Uint8Array[] {
  const out: Uint8Array[] = [encodedHead(head, dataSet)];
  let from = head.meta.dataSetOffset + head.headerLength;
  for (const c of chunks) {
    if (from < c.length) out.push(from > 0 ? c.subarray(from) : c);
    from = Math.max(0, from - c.length);
  }
  return out;
}

/** Bytes [start, end) of an object held as chunks: a view when one chunk holds them, else a copy of just those. */
function bytesOf(chunks: readonly Uint8Array[], start: number, end: number): Buffer {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const c of chunks) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end - offset, c.length);
    if (to > from) parts.push(c.subarray(from, to));
    offset += c.length;
    if (offset >= end) break;
  }
  if (parts.length === 1) return Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength);
  return Buffer.concat(parts);
}

/** A Part-10 file's start: its meta information and `dataSet`, in the object's transfer syntax. */
function encodedHead(head: ObjectHead, dataSet: DataSet): Buffer {
  const { meta, encoding } = head;
  // Always a Part-10 file after an edit, even from a bare data set (a Conquest .v2 file): every reader here takes both.
  return Buffer.concat([
    encodeFileMeta({
      sopClassUid: textOf(dataSet.get(Tag.SOPClassUID)) || meta.sopClassUid,
      sopInstanceUid: textOf(dataSet.get(Tag.SOPInstanceUID)) || meta.sopInstanceUid,
      transferSyntaxUid: meta.transferSyntaxUid,
    }),
    encodeDataSet(dataSet, encoding),
  ]);
}

async function readHead(source: FileHandle, file: string): Promise<ObjectHead> {
  const { size } = await source.stat();
  return scanHead(
    size,
    async (start, end) => {
      const buf = Buffer.allocUnsafe(end - start);
      const { bytesRead } = await source.read(buf, 0, buf.length, start);
      return buf.subarray(0, bytesRead);
    },
    file,
  );
}

/**
 * An object's head from its bytes as `read` gives them (a file's or held chunks'), HEAD_READ at a time: the meta
 * information, then where Pixel Data starts (or the end): the scanner walks the elements, nested sequences included,
 * and stops there. What the first read holds is scanned first; most objects' attributes end inside it, and Pixel Data
 * is never read.
 */
async function scanHead(
  size: number,
  read: (start: number, end: number) => Buffer | Promise<Buffer>,
  name: string,
): Promise<ObjectHead> {
  const first = await read(0, Math.min(size, HEAD_READ));
  const meta = readFileMeta(first);
  const encoding = encodingOf(meta.transferSyntaxUid);
  if (encoding.deflated) throw new RewriteError('deflated objects cannot be edited');
  const scanner = new DataSetScanner(encoding, new Set());
  const headerParts: Buffer[] = [first.subarray(meta.dataSetOffset)];
  scanner.push(headerParts[0]!);
  let at = first.length;
  while (at < size && scanner.pixelDataOffset === undefined) {
    const step = await read(at, Math.min(size, at + HEAD_READ));
    if (!step.length) break;
    scanner.push(step);
    headerParts.push(step);
    at += step.length;
    if (at - meta.dataSetOffset > MAX_HEADER && scanner.pixelDataOffset === undefined)
      throw new RewriteError(`${name}: more than ${MAX_HEADER >> 20} MB before Pixel Data`);
  }
  const headerLength = scanner.pixelDataOffset ?? size - meta.dataSetOffset;
  const dataSet = parseDataSet(Buffer.concat(headerParts).subarray(0, headerLength), encoding);
  return { size, meta, encoding, headerLength, dataSet };
}

async function writeObject(
  source: FileHandle,
  file: string,
  head: ObjectHead,
  dataSet: DataSet,
  target: string,
  flush = true,
): Promise<number> {
  const { size, meta, headerLength } = head;
  try {
    const newHead = encodedHead(head, dataSet);
    const out = await open(target, 'w');
    let written = 0;
    try {
      await out.write(newHead, 0, newHead.length, 0);
      written = newHead.length;
      for (let from = meta.dataSetOffset + headerLength; from < size; from += CHUNK) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - from));
        const { bytesRead } = await source.read(buf, 0, buf.length, from);
        if (!bytesRead) throw new RewriteError(`${file} ended at byte ${from} of ${size}`);
        await out.write(buf, 0, bytesRead, written);
        written += bytesRead;
      }
      if (flush) await out.datasync();
    } finally {
      await out.close();
    }
    return written;
  } catch (err) {
    await unlink(target).catch(() => undefined);
    throw err;
  }
}

/**
 * The data set with the changes made. Values go in the object's character set when they fit; when one does not (a Czech
 * name in a Latin-1 object), every text value is written again in UTF-8 (ISO_IR 192) so the object stays one character set.
 */
export function applyChanges(dataSet: DataSet, changes: AttributeChanges): DataSet {
  let charset = textOf(dataSet.get(Tag.SpecificCharacterSet));
  const values = [...changes.values()].filter((v): v is string => typeof v === 'string');
  const fits = values.every((v) => encodeText(v, charset || 'ISO_IR 6') !== undefined);
  const out: DataSet = new Map(dataSet);
  if (!fits) {
    reencode(out, new CharacterSet(charset || undefined));
    charset = UTF8_TERM;
    out.set(Tag.SpecificCharacterSet, textElement(Tag.SpecificCharacterSet, 'CS', UTF8_TERM));
  }
  // Elements stay in tag order: a new one after the last keeps it (a changed value keeps its place), else they are sorted.
  let last = -1;
  let ordered = true;
  for (const tag of out.keys()) {
    if (tag < last) ordered = false;
    last = tag;
  }
  for (const [tag, value] of changes) {
    if (value === null) {
      out.delete(tag);
      continue;
    }
    const vr = vrOf(tag);
    const bytes = CHARSET_VRS.has(vr) ? encodeText(value, charset || 'ISO_IR 6')! : Buffer.from(value, 'latin1');
    if (!out.has(tag)) {
      if (tag < last) ordered = false;
      else last = tag;
    }
    out.set(tag, textElement(tag, vr, bytes));
  }
  return ordered ? out : new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** The data set with every text value in UTF-8 (and Specific Character Set saying so). */
export function toUtf8(dataSet: DataSet): DataSet {
  const out: DataSet = new Map(dataSet);
  reencode(out, new CharacterSet(textOf(dataSet.get(Tag.SpecificCharacterSet)) || undefined));
  out.set(Tag.SpecificCharacterSet, textElement(Tag.SpecificCharacterSet, 'CS', UTF8_TERM));
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** Every text value of a data set (items included) decoded from `from` and written in UTF-8. */
function reencode(ds: DataSet, from: CharacterSet): void {
  for (const [tag, e] of ds) {
    if (isSequence(e)) {
      const items = e.value.map((item) => {
        const copy: DataSet = new Map(item);
        reencode(copy, from);
        return copy;
      });
      ds.set(tag, { ...e, value: items });
    } else if (CHARSET_VRS.has(e.vr) && Buffer.isBuffer(e.value)) {
      ds.set(tag, { ...e, value: Buffer.from(from.decode(e.value), 'utf8') });
    }
  }
}
