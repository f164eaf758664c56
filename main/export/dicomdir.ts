import { byTag, encodeDataSet, textElement, uint16Element, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { encodeFileMeta } from '../store/part10.ts';
import { TransferSyntax, MEDIA_STORAGE_DIRECTORY_SOP_CLASS } from '../../common/uids.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * The DICOMDIR of a media set (PS3.10 8, PS3.3 F.3): one directory record per patient, study, series and image, linked
 * by byte offsets: each record names its next sibling and its first child. Offsets count from the first byte of the file
 * (the preamble is part of the File Meta Information, PS3.10 7.1), so the records are encoded once to learn their
 * sizes, then again with the offsets filled in (they are UL, so their values do not change the sizes).
 */

const EXPLICIT_LE = { explicitVR: true, littleEndian: true, deflated: false };

export type RecordType = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** A directory record: its type, its key attributes (already encoded elements), and the records below it. */
export interface DirectoryRecord {
  type: RecordType;
  attributes: DicomElement[];
  children: DirectoryRecord[];
}

function ul(tag: number, value: number): DicomElement {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value, 0);
  return { tag, vr: 'UL', value: b };
}

function recordDataSet(r: DirectoryRecord, next: number, lower: number): DataSet {
  const ds: DataSet = new Map([
    [Tag.OffsetOfTheNextDirectoryRecord, ul(Tag.OffsetOfTheNextDirectoryRecord, next)],
    [Tag.RecordInUseFlag, uint16Element(Tag.RecordInUseFlag, 0xffff)],
    [Tag.OffsetOfReferencedLowerLevelDirectoryEntity, ul(Tag.OffsetOfReferencedLowerLevelDirectoryEntity, lower)],
    [Tag.DirectoryRecordType, textElement(Tag.DirectoryRecordType, 'CS', r.type)],
  ]);
  for (const e of r.attributes) ds.set(e.tag, e);
  return byTag(ds);
}

/** The records depth first, as they are written: each with its parent's list of siblings. */
function flatten(records: DirectoryRecord[]): { record: DirectoryRecord; siblings: DirectoryRecord[] }[] {
  return records.flatMap((record) => [{ record, siblings: records }, ...flatten(record.children)]);
}

/** The DICOMDIR file's bytes for `roots` (the patients), with File-set ID `fileSetId` (CS, 16 characters at most). */
export function encodeDicomDir(roots: DirectoryRecord[], fileSetId: string, sopInstanceUid: string): Buffer {
  const meta = encodeFileMeta({
    sopClassUid: MEDIA_STORAGE_DIRECTORY_SOP_CLASS,
    sopInstanceUid,
    transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
  });
  const head = (first: number, last: number) =>
    encodeDataSet(
      new Map<number, DicomElement>([
        [Tag.FileSetID, textElement(Tag.FileSetID, 'CS', fileSetId)],
        [
          Tag.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity,
          ul(Tag.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, first),
        ],
        [
          Tag.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity,
          ul(Tag.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity, last),
        ],
        [Tag.FileSetConsistencyFlag, uint16Element(Tag.FileSetConsistencyFlag, 0)],
      ]),
      EXPLICIT_LE,
    );
  const order = flatten(roots);
  // Pass 1: where each record's item starts (an item is its 8-byte header and its data set).
  const sizes = order.map(({ record }) => 8 + encodeDataSet(recordDataSet(record, 0, 0), EXPLICIT_LE).length);
  const sequenceStart = meta.length + head(0, 0).length + 12; // SQ header: tag, VR, reserved, length
  const position = new Map<DirectoryRecord, number>();
  let at = sequenceStart;
  order.forEach(({ record }, i) => {
    position.set(record, at);
    at += sizes[i]!;
  });
  // Pass 2: the records with their offsets.
  const items = order.map(({ record, siblings }) => {
    const next = siblings[siblings.indexOf(record) + 1];
    const body = encodeDataSet(
      recordDataSet(record, next ? position.get(next)! : 0, record.children[0] ? position.get(record.children[0])! : 0),
      EXPLICIT_LE,
    );
    const itemHead = Buffer.alloc(8);
    itemHead.writeUInt16LE(0xfffe, 0);
    itemHead.writeUInt16LE(0xe000, 2);
    itemHead.writeUInt32LE(body.length, 4);
    return Buffer.concat([itemHead, body]);
  });
  const content = Buffer.concat(items);
  const sq = Buffer.alloc(12);
  sq.writeUInt16LE(Tag.DirectoryRecordSequence >>> 16, 0);
  sq.writeUInt16LE(Tag.DirectoryRecordSequence & 0xffff, 2);
  sq.write('SQ', 4, 'latin1');
  sq.writeUInt32LE(content.length, 8);
  const first = roots[0] ? position.get(roots[0])! : 0;
  const last = roots.length ? position.get(roots[roots.length - 1]!)! : 0;
  return Buffer.concat([meta, head(first, last), sq, content]);
}
