import { CharacterSet } from './charset.ts';
import type { CapturedValue } from './dataset-scanner.ts';
import { Tag } from './tags.ts';
import { vrOf } from './dictionary.ts';
import { NUMBER_VRS } from './vr.ts';
import { valueText } from './dataset.ts';

/** The attributes of one object that the archive indexes, decoded to text (PS3.4 C.6 keys and a few more). */
export interface InstanceHeader {
  specificCharacterSet: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patientId: string;
  patientName: string;
  patientBirthDate: string;
  patientSex: string;
  studyDate: string;
  studyTime: string;
  accessionNumber: string;
  studyId: string;
  studyDescription: string;
  referringPhysicianName: string;
  modality: string;
  seriesNumber: string;
  seriesDescription: string;
  seriesDate: string;
  seriesTime: string;
  bodyPartExamined: string;
  instanceNumber: string;
  rows: number | null;
  columns: number | null;
  numberOfFrames: string;
  /** Values of the attributes dicom.sql added to the index (indexMoreTags), by tag, as text (`\` between values). */
  more?: Map<number, string>;
}

type StringKey = Exclude<keyof InstanceHeader, 'rows' | 'columns' | 'more'>;

/** Tag -> field; `text` says the value is in the Specific Character Set (PS3.5 6.1.2.3). */
const STRING_TAGS: [number, StringKey, boolean][] = [
  [Tag.SpecificCharacterSet, 'specificCharacterSet', false],
  [Tag.SOPClassUID, 'sopClassUid', false],
  [Tag.SOPInstanceUID, 'sopInstanceUid', false],
  [Tag.StudyDate, 'studyDate', false],
  [Tag.SeriesDate, 'seriesDate', false],
  [Tag.StudyTime, 'studyTime', false],
  [Tag.SeriesTime, 'seriesTime', false],
  [Tag.AccessionNumber, 'accessionNumber', true],
  [Tag.Modality, 'modality', false],
  [Tag.ReferringPhysicianName, 'referringPhysicianName', true],
  [Tag.StudyDescription, 'studyDescription', true],
  [Tag.SeriesDescription, 'seriesDescription', true],
  [Tag.PatientName, 'patientName', true],
  [Tag.PatientID, 'patientId', true],
  [Tag.PatientBirthDate, 'patientBirthDate', false],
  [Tag.PatientSex, 'patientSex', false],
  [Tag.BodyPartExamined, 'bodyPartExamined', true],
  [Tag.StudyInstanceUID, 'studyInstanceUid', false],
  [Tag.SeriesInstanceUID, 'seriesInstanceUid', false],
  [Tag.StudyID, 'studyId', true],
  [Tag.SeriesNumber, 'seriesNumber', false],
  [Tag.InstanceNumber, 'instanceNumber', false],
  [Tag.NumberOfFrames, 'numberOfFrames', false],
];

const indexed = new Set([...STRING_TAGS.map(([t]) => t), Tag.Rows, Tag.Columns]);
/** The tags a stored object's header is read for: ours, and those indexMoreTags added. */
export const INDEXED_TAGS: ReadonlySet<number> = indexed;
/** Tags dicom.sql added to the index (index-schema.ts), read into `more`. */
const moreTags = new Set<number>();

/**
 * Read these tags too, into each header's `more` (dicom.sql's added columns). For the whole process: two archives in
 * one process (tests) read the union, and each writes only its own columns.
 */
export function indexMoreTags(tags: Iterable<number>): void {
  for (const tag of tags) {
    if (indexed.has(tag) && !moreTags.has(tag)) continue;
    moreTags.add(tag);
    indexed.add(tag);
  }
}

/** Build the header from captured values; `littleEndian` tells how US values were encoded. */
export function instanceHeaderFrom(captured: Map<number, CapturedValue>, littleEndian: boolean): InstanceHeader {
  const charsetBytes = captured.get(Tag.SpecificCharacterSet)?.value;
  const charset = new CharacterSet(charsetBytes ? trimText(charsetBytes.toString('latin1')) : undefined);
  const header = {
    rows: readUS(captured.get(Tag.Rows), littleEndian),
    columns: readUS(captured.get(Tag.Columns), littleEndian),
  } as InstanceHeader;
  for (const [tag, key, text] of STRING_TAGS) {
    const v = captured.get(tag)?.value;
    if (!v) {
      header[key] = '';
      continue;
    }
    header[key] = key.endsWith('Uid')
      ? v.toString('latin1').replace(/[\0 ]+$/, '')
      : trimText(text ? charset.decode(v) : v.toString('latin1'));
  }
  if (moreTags.size) {
    header.more = new Map();
    for (const tag of moreTags) {
      const v = captured.get(tag);
      if (v) header.more.set(tag, moreText(v.vr || vrOf(tag), v.value, charset, littleEndian));
    }
  }
  return header;
}

/**
 * Any attribute's value as text (valueText: binary numbers written out, values separated by `\`, each trimmed);
 * binary numbers of a big endian data set are turned little endian first, as data sets are held in memory.
 */
function moreText(vr: string, value: Buffer, charset: CharacterSet, littleEndian: boolean): string {
  const size = NUMBER_VRS[vr]?.[0];
  const bytes = size && size > 1 && !littleEndian ? swapped(value, size) : value;
  return valueText({ tag: 0, vr, value: bytes }, (b) => charset.decode(b))
    .split('\\')
    .map((part) => part.trim())
    .join('\\');
}

/** Each value of `size` bytes in the other byte order (a copy; a trailing partial value dropped). */
function swapped(value: Buffer, size: number): Buffer {
  const copy = Buffer.from(value.subarray(0, value.length - (value.length % size)));
  if (size === 2) copy.swap16();
  else if (size === 4) copy.swap32();
  else copy.swap64();
  return copy;
}

/** Leading and trailing spaces (and NUL padding) are not significant in these VRs (PS3.5 6.2). */
function trimText(s: string): string {
  return s.replace(/^[ \0]+|[ \0]+$/g, '');
}

function readUS(v: CapturedValue | undefined, littleEndian: boolean): number | null {
  if (!v || v.value.length < 2) return null;
  return littleEndian ? v.value.readUInt16LE(0) : v.value.readUInt16BE(0);
}
