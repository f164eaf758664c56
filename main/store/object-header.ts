import { open } from 'node:fs/promises';
import { DataSetScanner } from '../dicom/dataset-scanner.ts';
import { INDEXED_TAGS, instanceHeaderFrom, type InstanceHeader } from '../dicom/instance-header.ts';
import { encodingOf, isValidUid } from '../../common/uids.ts';
import { readFileMeta, type FileMetaInfo } from './file-meta.ts';
import { Tag } from '../dicom/tags.ts';

const CHUNK = 1 << 20;

export interface ObjectOnDisk {
  header: InstanceHeader;
  meta: FileMetaInfo;
  size: number;
}

/** Where the data set bytes go as they are read (the importer copies them into the archive). */
export interface DataSetCopy {
  write(chunk: Buffer): boolean;
  drained(): Promise<void>;
}

/**
 * Read a DICOM file from disk the way the store SCP reads one from the network: the whole data set goes through the
 * structural scanner (so a truncated or garbled file is caught), and the indexed attributes come out of it.
 * `copyTo`, given the file's meta information, may return where the data set bytes should also go.
 */
export async function readObjectHeader(
  file: string,
  copyTo?: (meta: FileMetaInfo) => DataSetCopy,
): Promise<ObjectOnDisk> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
    async function* rest(from: number): AsyncIterable<Buffer> {
      for (let at = from; at < size; at += CHUNK) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - at));
        const { bytesRead } = await handle.read(buf, 0, buf.length, at);
        yield buf.subarray(0, bytesRead);
        if (bytesRead < buf.length) break;
      }
    }
    return await scanObject(head, size, rest, copyTo);
  } finally {
    await handle.close();
  }
}

/**
 * The same for an object arriving in pieces (a STOW-RS part, a DICOMweb retrieve's part, one made in memory): only its
 * first 64 KB are held (for the meta information), the rest passes through the scanner to `copyTo` as it comes.
 */
export async function objectHeaderOfStream(
  chunks: AsyncIterable<Buffer>,
  copyTo?: (meta: FileMetaInfo) => DataSetCopy,
): Promise<ObjectOnDisk> {
  const source = chunks[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < 64 * 1024) {
    const next = await source.next();
    if (next.done) {
      ended = true;
      break;
    }
    first.push(next.value);
    headLength += next.value.length;
  }
  const head = first.length === 1 ? first[0]! : Buffer.concat(first);
  let size = head.length;
  async function* rest(from: number): AsyncIterable<Buffer> {
    if (from < head.length) yield head.subarray(from);
    if (ended) return;
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      size += next.value.length;
      yield next.value;
    }
  }
  const object = await scanObject(head.subarray(0, 64 * 1024), head.length, rest, copyTo);
  return { ...object, size };
}

/** `head`: the object's first bytes; `rest(offset)`: its bytes from the data set's start on. */
async function scanObject(
  head: Buffer,
  size: number,
  rest: (from: number) => AsyncIterable<Buffer>,
  copyTo?: (meta: FileMetaInfo) => DataSetCopy,
): Promise<ObjectOnDisk> {
  const meta = readFileMeta(head);
  const encoding = encodingOf(meta.transferSyntaxUid);
  if (encoding.deflated) throw new Error('deflated data sets are not supported');
  if (!meta.part10) {
    // A bare data set names its SOP class and instance only inside: look at its first bytes for a copy's meta header.
    const peek = new DataSetScanner(encoding, new Set([Tag.SOPClassUID, Tag.SOPInstanceUID]));
    try {
      peek.push(head);
    } catch {
      /* the full scan below reports what is wrong */
    }
    const uid = (tag: number) =>
      peek.captured
        .get(tag)
        ?.value.toString('latin1')
        .replace(/[\0 ]+$/, '') ?? '';
    meta.sopClassUid = uid(Tag.SOPClassUID);
    meta.sopInstanceUid = uid(Tag.SOPInstanceUID);
  }
  const scanner = new DataSetScanner(encoding, INDEXED_TAGS);
  const copy = copyTo?.(meta);
  for await (const chunk of rest(meta.dataSetOffset)) {
    scanner.push(chunk);
    if (copy && !copy.write(chunk)) await copy.drained();
  }
  scanner.end();
  const header = instanceHeaderFrom(scanner.captured, encoding.littleEndian);
  header.sopInstanceUid ||= meta.sopInstanceUid;
  header.sopClassUid ||= meta.sopClassUid;
  for (const [key, what] of [
    ['sopInstanceUid', 'SOP Instance UID'],
    ['studyInstanceUid', 'Study Instance UID'],
    ['seriesInstanceUid', 'Series Instance UID'],
  ] as const) {
    if (!isValidUid(header[key])) throw new Error(`no valid ${what} ("${header[key]}")`);
  }
  return { header, meta, size };
}
