import { TransferSyntax } from '../../common/uids.ts';
import { LONG_VRS } from '../dicom/vr.ts';

/**
 * What the start of a stored file says about it: where the data set begins and in which transfer syntax (PS3.10 7.1).
 * Files without the "DICM" preamble are bare data sets, as Conquest's `.v2` files are: implicit VR little endian
 * unless their first element carries an explicit VR.
 */
export interface FileMetaInfo {
  dataSetOffset: number;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  /** False for a bare data set (no Part-10 header). */
  part10: boolean;
}

const EXPLICIT_VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FL',
  'FD',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OW',
  'OV',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);

function text(head: Buffer, at: number, length: number): string {
  return head.toString('latin1', at, at + length).replace(/[\0 ]+$/, '');
}

/** A file that is no DICOM object at all (a CD's README, its viewer program), as opposed to a damaged one. */
export class NotDicom extends Error {}

/** Read the meta group from a file's first bytes (64 KB is plenty); throws when the header itself is cut short. */
export function readFileMeta(head: Buffer): FileMetaInfo {
  if (head.length >= 132 && head.toString('latin1', 128, 132) === 'DICM') {
    const meta: FileMetaInfo = {
      dataSetOffset: 132,
      transferSyntaxUid: '',
      sopClassUid: '',
      sopInstanceUid: '',
      part10: true,
    };
    let at = 132;
    while (at + 8 <= head.length && head.readUInt16LE(at) === 0x0002) {
      const element = head.readUInt16LE(at + 2);
      const vr = head.toString('latin1', at + 4, at + 6);
      const long = LONG_VRS.has(vr);
      if (long && at + 12 > head.length) break;
      const length = long ? head.readUInt32LE(at + 8) : head.readUInt16LE(at + 6);
      const valueAt = at + (long ? 12 : 8);
      if (valueAt + length > head.length) throw new Error('the file meta information is longer than its first 64 KB');
      if (element === 0x0002) meta.sopClassUid = text(head, valueAt, length);
      if (element === 0x0003) meta.sopInstanceUid = text(head, valueAt, length);
      if (element === 0x0010) meta.transferSyntaxUid = text(head, valueAt, length);
      at = valueAt + length;
    }
    meta.dataSetOffset = at;
    if (!meta.transferSyntaxUid) throw new Error('the file meta information has no Transfer Syntax UID (0002,0010)');
    return meta;
  }
  if (head.length < 8) throw new NotDicom(`only ${head.length} bytes: not a DICOM file`);
  // A bare data set (old Conquest .v2) starts with a low even group, in practice 0008 (or a group length, 0002, 0004).
  if (![0x0000, 0x0002, 0x0004, 0x0008].includes(head.readUInt16LE(0))) {
    throw new NotDicom('not a DICOM file: no "DICM" at byte 128, and it does not begin like a data set');
  }
  const explicit = EXPLICIT_VRS.has(head.toString('latin1', 4, 6));
  return {
    dataSetOffset: 0,
    transferSyntaxUid: explicit ? TransferSyntax.ExplicitLittleEndian : TransferSyntax.ImplicitLittleEndian,
    sopClassUid: '',
    sopInstanceUid: '',
    part10: false,
  };
}
