import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import type { KeyAttribute } from '../query/attributes.ts';
import { Tag } from '../dicom/tags.ts';
import { CHARSET_VRS, NUMBER_VRS } from '../dicom/vr.ts';

/**
 * The DICOM JSON Model (PS3.18 F.2): attributes keyed by their tag as eight upper-case hex digits, each with its VR and
 * its values — person names as { Alphabetic, Ideographic, Phonetic }, numbers as numbers, sequences as arrays of
 * objects, binary values inline in base64 or, for the large ones, as a BulkDataURI to fetch.
 */

export interface JsonAttribute {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
export type JsonDataSet = Record<string, JsonAttribute>;

export const tagKey = (tag: number): string => tag.toString(16).toUpperCase().padStart(8, '0');

const NUMBER_TEXT = new Set(['DS', 'IS']);
const BINARY = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
/** Single-valued text VRs: a backslash in them is a character, not a separator. */
const SINGLE = new Set(['ST', 'LT', 'UT', 'UR']);

/** A person name's value as the model writes it: its component groups by name. */
function personName(value: string): { Alphabetic?: string; Ideographic?: string; Phonetic?: string } {
  const [alphabetic, ideographic, phonetic] = value.split('=');
  const out: { Alphabetic?: string; Ideographic?: string; Phonetic?: string } = {};
  if (alphabetic) out.Alphabetic = alphabetic;
  if (ideographic) out.Ideographic = ideographic;
  if (phonetic) out.Phonetic = phonetic;
  return out;
}

/** Values of a text VR from their text (already decoded), as the model types them; undefined when empty. */
function textValues(vr: string, text: string): unknown[] | undefined {
  const trimmed = vr === 'UI' ? text.replace(/[\0 ]+$/, '') : text.replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (trimmed === '') return undefined;
  const parts = SINGLE.has(vr) ? [trimmed] : trimmed.split('\\').map((v) => v.trim());
  if (vr === 'PN') return parts.map(personName);
  if (NUMBER_TEXT.has(vr)) return parts.map((v) => (v === '' ? null : Number(v)));
  return parts.map((v) => (v === '' ? null : v));
}

/** One attribute of an index row (QIDO-RS answers): its text as the index keeps it. */
export function attributeFromText(vr: string, text: string): JsonAttribute {
  if (vr === 'US' || vr === 'UL' || vr === 'SS' || vr === 'SL') {
    const values =
      text === ''
        ? []
        : text
            .split('\\')
            .map(Number)
            .filter((n) => Number.isFinite(n));
    return values.length ? { vr, Value: values } : { vr };
  }
  const values = textValues(vr, text);
  return values ? { vr, Value: values } : { vr };
}

/** An answer row (by keyword) of the index as a JSON data set, with the attributes given and extra ones. */
export function jsonFromRow(
  row: Record<string, string | number | null>,
  attributes: readonly KeyAttribute[],
  extra: JsonDataSet = {},
): JsonDataSet {
  const out: JsonDataSet = { ...extra };
  for (const a of attributes) {
    const v = row[a.keyword];
    out[tagKey(a.tag)] = attributeFromText(a.vr, v === null || v === undefined ? '' : String(v));
  }
  return sortedByTag(out);
}

export function sortedByTag(ds: JsonDataSet): JsonDataSet {
  return Object.fromEntries(Object.entries(ds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface JsonOptions {
  /** Where a large binary value (and encapsulated pixel data) of a top-level attribute can be fetched; inline otherwise. */
  bulkDataUri?: (tag: number) => string;
  /** Binary values longer than this go by BulkDataURI when there is one (default 1024 bytes). */
  inlineLimit?: number;
}

/** A parsed data set (values little endian, as dataset.ts keeps them) in the JSON model. */
export function jsonFromDataSet(
  ds: DataSet,
  options: JsonOptions = {},
  charset?: CharacterSet,
  depth = 0,
): JsonDataSet {
  const cs = charset ?? new CharacterSet(textOfRaw(ds.get(Tag.SpecificCharacterSet)));
  const out: JsonDataSet = {};
  for (const e of [...ds.values()].sort((a, b) => a.tag - b.tag)) {
    // Group lengths are retired and carry nothing a client needs (PS3.18 F.2: they should not be sent).
    if ((e.tag & 0xffff) === 0) continue;
    out[tagKey(e.tag)] = attribute(e, options, cs, depth);
  }
  return out;
}

function textOfRaw(e: DicomElement | undefined): string {
  return e && Buffer.isBuffer(e.value) ? e.value.toString('latin1').trim() : '';
}

function attribute(e: DicomElement, options: JsonOptions, cs: CharacterSet, depth: number): JsonAttribute {
  const vr = e.vr;
  if (isSequence(e)) {
    // An item may change the character set for itself (PS3.5 7.5.2).
    return e.value.length
      ? {
          vr: 'SQ',
          Value: e.value.map((item) =>
            jsonFromDataSet(item, {}, item.has(Tag.SpecificCharacterSet) ? undefined : cs, depth + 1),
          ),
        }
      : { vr: 'SQ' };
  }
  if (!Buffer.isBuffer(e.value)) {
    // Encapsulated pixel data: only by reference.
    return options.bulkDataUri && depth === 0 ? { vr, BulkDataURI: options.bulkDataUri(e.tag) } : { vr };
  }
  const bytes = e.value;
  if (BINARY.has(vr)) {
    if (bytes.length === 0) return { vr };
    if (options.bulkDataUri && depth === 0 && bytes.length > (options.inlineLimit ?? 1024))
      return { vr, BulkDataURI: options.bulkDataUri(e.tag) };
    return { vr, InlineBinary: bytes.toString('base64') };
  }
  const numeric = NUMBER_VRS[vr];
  if (numeric) {
    const [size, read] = numeric;
    const values: unknown[] = [];
    for (let at = 0; at + size <= bytes.length; at += size) {
      const v = read(bytes, at);
      values.push(
        typeof v === 'bigint'
          ? v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(v)
            : v.toString()
          : v,
      );
    }
    return values.length ? { vr, Value: values } : { vr };
  }
  if (vr === 'AT') {
    const values: string[] = [];
    for (let at = 0; at + 4 <= bytes.length; at += 4)
      values.push(tagKey(((bytes.readUInt16LE(at) << 16) | bytes.readUInt16LE(at + 2)) >>> 0));
    return values.length ? { vr, Value: values } : { vr };
  }
  const text = CHARSET_VRS.has(vr) ? cs.decode(bytes) : bytes.toString('latin1');
  const values = textValues(vr, text);
  return values ? { vr, Value: values } : { vr };
}
