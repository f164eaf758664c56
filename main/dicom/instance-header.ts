import { CharacterSet } from './charset.ts';
import type { CapturedValue } from './dataset-scanner.ts';

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
  [0x00080005, 'specificCharacterSet', false],
  [0x00080016, 'sopClassUid', false],
  [0x00080018, 'sopInstanceUid', false],
  [0x00080020, 'studyDate', false],
  [0x00080021, 'seriesDate', false],
  [0x00080030, 'studyTime', false],
  [0x00080031, 'seriesTime', false],
  [0x00080050, 'accessionNumber', true],
  [0x00080060, 'modality', false],
  [0x00080090, 'referringPhysicianName', true],
  [0x00081030, 'studyDescription', true],
  [0x0008103e, 'seriesDescription', true],
  [0x00100010, 'patientName', true],
  [0x00100020, 'patientId', true],
  [0x00100030, 'patientBirthDate', false],
  [0x00100040, 'patientSex', false],
  [0x00180015, 'bodyPartExamined', true],
  [0x0020000d, 'studyInstanceUid', false],
  [0x0020000e, 'seriesInstanceUid', false],
  [0x00200010, 'studyId', true],
  [0x00200011, 'seriesNumber', false],
  [0x00200013, 'instanceNumber', false],
  [0x00280008, 'numberOfFrames', false],
];
const ROWS = 0x00280010;
const COLUMNS = 0x00280011;

export const INDEXED_TAGS: ReadonlySet<number> = new Set([...STRING_TAGS.map(([t]) => t), ROWS, COLUMNS]);

/** Build the header from captured values; `littleEndian` tells how US values were encoded. */
export function instanceHeaderFrom(captured: Map<number, CapturedValue>, littleEndian: boolean): InstanceHeader {
  const charsetBytes = captured.get(0x00080005)?.value;
  const charset = new CharacterSet(charsetBytes ? trimText(charsetBytes.toString('latin1')) : undefined);
  const header = { rows: readUS(captured.get(ROWS), littleEndian), columns: readUS(captured.get(COLUMNS), littleEndian) } as InstanceHeader;
  for (const [tag, key, text] of STRING_TAGS) {
    const v = captured.get(tag)?.value;
    if (!v) { header[key] = ''; continue; }
    header[key] = key.endsWith('Uid') ? v.toString('latin1').replace(/[\0 ]+$/, '') : trimText(text ? charset.decode(v) : v.toString('latin1'));
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
