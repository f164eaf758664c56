import { CharacterSet } from './charset.ts';
import type { CapturedValue } from './dataset-scanner.ts';
import { Tag } from './tags.ts';

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
}

type StringKey = Exclude<keyof InstanceHeader, 'rows' | 'columns'>;

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

export const INDEXED_TAGS: ReadonlySet<number> = new Set([...STRING_TAGS.map(([t]) => t), Tag.Rows, Tag.Columns]);

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
  return header;
}

/** Leading and trailing spaces (and NUL padding) are not significant in these VRs (PS3.5 6.2). */
function trimText(s: string): string {
  return s.replace(/^[ \0]+|[ \0]+$/g, '');
}

function readUS(v: CapturedValue | undefined, littleEndian: boolean): number | null {
  if (!v || v.value.length < 2) return null;
  return littleEndian ? v.value.readUInt16LE(0) : v.value.readUInt16BE(0);
}
