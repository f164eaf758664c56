import { NUMBER_VRS, TEXT_VRS } from '../dicom/vr.ts';
import { open } from 'node:fs/promises';
import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, parseDataSet, textOf, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { keywordOf } from '../dicom/dictionary.ts';
import { encodingOf } from '../../common/uids.ts';
import { readFileMeta } from '../store/file-meta.ts';
import type { HeaderRow } from './contract.ts';
import { Tag } from '../dicom/tags.ts';

/** The header of a stored object as rows for the viewer's header panel: every element, sequences nested, values as text. */

/** Objects larger than this are read only up to here; elements after the cut (rare: after pixel data) are not shown. */
const READ_LIMIT = 64 << 20;
const MAX_TEXT = 256;
const MAX_NUMBERS = 16;

function tagText(tag: number): string {
  return `${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')}`.toUpperCase();
}

function valueText(e: DicomElement, charset: CharacterSet): string {
  if (!Buffer.isBuffer(e.value))
    return isSequence(e)
      ? `${e.value.length} item(s)`
      : `encapsulated, ${(e.value as { fragments: Buffer }).fragments.length} bytes`;
  const b = e.value;
  if (TEXT_VRS.has(e.vr)) {
    const s = textOf(
      e,
      e.vr === 'UI' || e.vr === 'CS' || e.vr === 'DA' || e.vr === 'TM' ? undefined : (v) => charset.decode(v),
    );
    return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
  }
  if (e.vr === 'AT') {
    const tags: string[] = [];
    for (let at = 0; at + 4 <= b.length; at += 4)
      tags.push(`(${tagText(((b.readUInt16LE(at) << 16) | b.readUInt16LE(at + 2)) >>> 0)})`);
    return tags.join('\\');
  }
  const number = NUMBER_VRS[e.vr];
  if (number && b.length <= number[0] * MAX_NUMBERS * 4) {
    const [size, read] = number;
    const values: string[] = [];
    for (let at = 0; at + size <= b.length && values.length < MAX_NUMBERS; at += size) values.push(String(read(b, at)));
    return values.join('\\') + (b.length / size > MAX_NUMBERS ? '\\…' : '');
  }
  return `${b.length} bytes`;
}

function rows(ds: DataSet, depth: number, charset: CharacterSet, out: HeaderRow[]): void {
  const cs = ds.get(Tag.SpecificCharacterSet);
  const set = cs ? new CharacterSet(textOf(cs)) : charset;
  for (const e of [...ds.values()].sort((a, b) => a.tag - b.tag)) {
    out.push({ depth, tag: tagText(e.tag), vr: e.vr, keyword: keywordOf(e.tag), value: valueText(e, set) });
    if (isSequence(e)) {
      e.value.forEach((item, i) => {
        out.push({ depth: depth + 1, tag: 'FFFE,E000', vr: '', keyword: `Item ${i + 1}`, value: '' });
        rows(item, depth + 2, set, out);
      });
    }
  }
}

/**
 * Read a stored object's header: the transfer syntax from its meta group, then each element of its data set. Of an
 * object larger than `readLimit`, what precedes its pixel data.
 */
export async function objectHeader(file: string, readLimit = READ_LIMIT): Promise<HeaderRow[]> {
  const handle = await open(file, 'r');
  let bytes: Buffer;
  try {
    const { size } = await handle.stat();
    bytes = Buffer.alloc(Math.min(size, readLimit));
    await handle.read(bytes, 0, bytes.length, 0);
  } finally {
    await handle.close();
  }
  const meta = readFileMeta(bytes.subarray(0, 64 * 1024));
  let body = bytes.subarray(meta.dataSetOffset);
  const encoding = encodingOf(meta.transferSyntaxUid);
  let ds: DataSet;
  try {
    ds = parseDataSet(body, encoding);
  } catch (err) {
    // Cut short by the read limit: show what precedes the pixel data.
    const at = pixelDataOffset(body, encoding.littleEndian);
    if (at < 0) throw err;
    body = body.subarray(0, at);
    ds = parseDataSet(body, encoding);
  }
  const out: HeaderRow[] = [
    { depth: 0, tag: '0002,0010', vr: 'UI', keyword: 'TransferSyntaxUID', value: meta.transferSyntaxUid },
  ];
  rows(ds, 0, new CharacterSet(''), out);
  return out;
}

/** Where the top-level Pixel Data element starts: its tag's first appearance (elements before it are short). */
function pixelDataOffset(body: Buffer, littleEndian: boolean): number {
  const tag = Buffer.alloc(4);
  if (littleEndian) {
    tag.writeUInt16LE(Tag.PixelData >>> 16, 0);
    tag.writeUInt16LE(Tag.PixelData & 0xffff, 2);
  } else tag.writeUInt32BE(Tag.PixelData, 0);
  return body.indexOf(tag);
}
