import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDataSet, textOf, isSequence } from '../dicom/dataset.ts';
import { Status } from '../dicom/status.ts';
import { encodingOf } from '../../common/uids.ts';
import type { DuplicatePolicy } from '../config/server-settings.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { ArchiveIngest } from './ingest.ts';
import type { InstanceHeader } from '../dicom/instance-header.ts';
import { sameLocation, type FileStore } from '../store/file-store.ts';
import { NotDicom, readFileMeta, type FileMetaInfo } from '../store/file-meta.ts';
import { objectHeaderOfStream, readObjectHeader, type DataSetCopy, type ObjectOnDisk } from '../store/object-header.ts';
import type { ImportResult } from './import-result.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * Import objects from a folder or a DICOMDIR (a CD, a USB disk) into the archive: copied through the same ingest as
 * received objects (so the duplicate policy applies), or linked in place. A DICOM object that cannot be read is
 * reported and skipped; a file that is not DICOM at all (a CD's README, its viewer) is counted and left aside.
 */
export type { ImportResult } from './import-result.ts';

export interface ImportTarget {
  ingest: ArchiveIngest;
  store: FileStore;
  index: ArchiveIndex;
  policy: DuplicatePolicy;
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile() && e.name.toUpperCase() !== 'DICOMDIR') yield full;
  }
}

/** Find a DICOMDIR file ID on disk; CDs are often mounted with lower-case names while the IDs are upper case. */
async function resolveFileId(root: string, components: string[]): Promise<string | undefined> {
  let current = root;
  for (const c of components) {
    const entries = await readdir(current).catch(() => [] as string[]);
    const match = entries.find((e) => e === c) ?? entries.find((e) => e.toUpperCase() === c.toUpperCase());
    if (!match) return undefined;
    current = path.join(current, match);
  }
  return current;
}

/** The files a DICOMDIR references (PS3.10 8.6, PS3.3 F.5: Referenced File ID in each directory record). */
export async function dicomdirFiles(dicomdir: string): Promise<{ files: string[]; missing: string[] }> {
  const bytes = await readFile(dicomdir);
  const meta = readFileMeta(bytes.subarray(0, 64 * 1024));
  const ds = parseDataSet(bytes.subarray(meta.dataSetOffset), encodingOf(meta.transferSyntaxUid));
  const records = ds.get(Tag.DirectoryRecordSequence);
  const files: string[] = [];
  const missing: string[] = [];
  if (!records || !isSequence(records)) return { files, missing };
  for (const item of records.value) {
    const id = textOf(item.get(Tag.ReferencedFileID));
    if (!id) continue;
    const found = await resolveFileId(path.dirname(dicomdir), id.split('\\'));
    if (found) files.push(found);
    else missing.push(id);
  }
  return { files, missing };
}

export async function importPath(
  source: string,
  target: ImportTarget,
  mode: 'copy' | 'link',
  onProgress?: (r: ImportResult) => void,
): Promise<ImportResult> {
  const result: ImportResult = { files: 0, imported: 0, duplicates: 0, skipped: [], other: [] };
  let files: AsyncIterable<string> | string[];
  const info = await stat(source);
  if (info.isDirectory()) {
    const dicomdir = (await readdir(source)).find((n) => n.toUpperCase() === 'DICOMDIR');
    files = dicomdir ? await fromDicomdir(path.join(source, dicomdir), result) : walk(source);
  } else if (path.basename(source).toUpperCase() === 'DICOMDIR') {
    files = await fromDicomdir(source, result);
  } else {
    files = [source];
  }
  for await (const file of files) {
    result.files++;
    try {
      const outcome = mode === 'copy' ? await copyOne(file, target) : await linkOne(file, target, result);
      if (outcome === 'duplicate') result.duplicates++;
      else result.imported++;
    } catch (err) {
      if (err instanceof NotDicom) result.other.push(file);
      else result.skipped.push({ file, reason: (err as Error).message });
    }
    onProgress?.(result);
  }
  return result;
}

async function fromDicomdir(dicomdir: string, result: ImportResult): Promise<string[]> {
  const { files, missing } = await dicomdirFiles(dicomdir);
  for (const id of missing)
    result.skipped.push({ file: id, reason: 'referenced by the DICOMDIR but not on the medium' });
  return files;
}

/** Copy through the ingest: the same temporary file, checks, rename and index row as a received object. */
async function copyOne(file: string, target: ImportTarget): Promise<'imported' | 'duplicate'> {
  return (
    await ingestThrough((copyTo) => readObjectHeader(file, copyTo), target, { callingAe: 'IMPORT', dropped: true })
  ).outcome;
}

/** An object the caller's check refused before it was stored (STOW-RS: not of the study the request names). */
export class ObjectRefused extends Error {}

/**
 * One Part-10 object arriving in pieces (a STOW-RS part, a DICOMweb retrieve's part) through the ingest as if it came
 * over the network from `callingAe`: its bytes go to the ingest's temporary file as they come; IncomingCompression,
 * the duplicate policy, forwarding and events apply. Throws with the reason when it is refused.
 */
export function ingestStream(
  chunks: AsyncIterable<Buffer>,
  target: ImportTarget,
  callingAe: string,
  check?: (header: InstanceHeader) => string | undefined,
): Promise<{ outcome: 'imported' | 'duplicate'; header: InstanceHeader }> {
  return ingestThrough((copyTo) => objectHeaderOfStream(chunks, copyTo), target, { callingAe, dropped: false }, check);
}

/** The same for an object made in memory (the viewer's presentation state). */
export function ingestBytes(
  bytes: Buffer,
  target: ImportTarget,
  callingAe: string,
): Promise<{ outcome: 'imported' | 'duplicate'; header: InstanceHeader }> {
  return ingestStream(
    (async function* () {
      yield bytes;
    })(),
    target,
    callingAe,
  );
}

async function ingestThrough(
  read: (copyTo: (meta: FileMetaInfo) => DataSetCopy) => Promise<ObjectOnDisk>,
  target: ImportTarget,
  source: { callingAe: string; dropped: boolean },
  check?: (header: InstanceHeader) => string | undefined,
): Promise<{ outcome: 'imported' | 'duplicate'; header: InstanceHeader }> {
  let object: ReturnType<ArchiveIngest['begin']> | undefined;
  let header: ObjectOnDisk['header'];
  try {
    ({ header } = await read((meta) => {
      object = target.ingest.begin({
        sopClassUid: meta.sopClassUid,
        sopInstanceUid: meta.sopInstanceUid,
        transferSyntaxUid: meta.transferSyntaxUid,
        callingAe: source.callingAe,
        calledAe: '',
        dropped: source.dropped,
      });
      return object;
    }));
  } catch (err) {
    await object?.discard();
    throw err;
  }
  const refusal = check?.(header);
  if (refusal) {
    await object!.discard();
    throw new ObjectRefused(refusal);
  }
  const known = (await target.index.findInstance(header.sopInstanceUid)) !== undefined;
  const { status, comment } = await object!.complete(header);
  if (status === Status.DuplicateSopInstance) return { outcome: 'duplicate', header };
  if (status !== Status.Success) throw new Error(comment ?? `status 0x${status.toString(16)}`);
  return { outcome: known && target.policy !== 'replace' ? 'duplicate' : 'imported', header };
}

/** Index the file where it is, through a link in the storage layout; the duplicate policy decides as for a copy. */
async function linkOne(file: string, target: ImportTarget, result: ImportResult): Promise<'imported' | 'duplicate'> {
  const { header, meta, size } = await readObjectHeader(file);
  const known = await target.index.findInstance(header.sopInstanceUid);
  if (known && target.policy !== 'replace') return 'duplicate';
  const { location, how } = await target.store.link(file, header);
  if (how !== 'symlink') {
    result.notLinked = result.notLinked ?? { hardlinked: 0, copied: 0 };
    result.notLinked[how === 'hardlink' ? 'hardlinked' : 'copied']++;
  }
  const { replaced } = await target.index.storeInstance({
    header,
    transferSyntaxUid: meta.transferSyntaxUid,
    location,
    size,
    callingAe: 'IMPORT',
  });
  if (replaced && !sameLocation(replaced, location)) await target.store.remove(replaced);
  return 'imported';
}
