import type { ReadObject } from '../protocol/services/store-scu.ts';
import { DataSetScanner } from '../dicom/dataset-scanner.ts';
import { Tag } from '../dicom/tags.ts';
import { encodingOf } from '../../common/uids.ts';
import { filterMatches } from '../config/import-converters.ts';
import { wholeBytes } from '../util/whole-bytes.ts';

/**
 * A delayed forward's `imagetype` clause (Conquest's filter on Image Type): each object is read as it is to be sent and
 * left out (the job counts it done, nothing goes to the peer) when its Image Type does not match. It matches as
 * Conquest's index does: the values joined by `\` ("ORIGINAL\PRIMARY\AXIAL"), `*` and `?` as wildcards, case ignored.
 */
export async function matchingImageType(read: ReadObject, pattern: string, syntax: string): Promise<ReadObject> {
  const bytes = await wholeBytes(read.bytes);
  const value = imageTypeOf(bytes, read.transferSyntaxUid ?? syntax);
  if (value !== undefined && filterMatches(pattern, value)) return { ...read, bytes, length: bytes.length };
  const said = value === undefined ? 'its Image Type cannot be read (deflated)' : `its Image Type is "${value}"`;
  return { bytes: Buffer.alloc(0), length: 0, skipped: `${said}: not imagetype ${pattern}` };
}

/** The top-level Image Type of a data set ('' when it has none), undefined when it cannot be read in place. */
function imageTypeOf(bytes: Buffer, syntax: string): string | undefined {
  const encoding = encodingOf(syntax);
  if (encoding.deflated) return undefined;
  const scanner = new DataSetScanner(encoding, new Set([Tag.ImageType]));
  scanner.push(bytes);
  return (scanner.captured.get(Tag.ImageType)?.value.toString('latin1') ?? '').replace(/[\0 ]+$/, '');
}
