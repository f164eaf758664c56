import { open } from 'node:fs/promises';
import { DataSetScanner } from '../dicom/dataset-scanner.ts';
import { INDEXED_TAGS, instanceHeaderFrom, type InstanceHeader } from '../dicom/instance-header.ts';
import { encodingOf, isValidUid } from '../dicom/uids.ts';
import { readFileMeta, type FileMetaInfo } from './file-meta.ts';

const CHUNK = 1 << 20;

export interface ObjectOnDisk {
  header: InstanceHeader;
  meta: FileMetaInfo;
  size: number;
}

/**
 * Read a DICOM file from disk the way the store SCP reads one from the network: the whole data set goes through the
 * structural scanner (so a truncated or garbled file is caught), and the indexed attributes come out of it.
 * `onChunk` sees the data set bytes as they are read (the importer copies them on).
 */
export async function readObjectHeader(file: string, onChunk?: (chunk: Buffer) => boolean | void, drained?: () => Promise<void>): Promise<ObjectOnDisk> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
    const meta = readFileMeta(head);
    const encoding = encodingOf(meta.transferSyntaxUid);
    if (encoding.deflated) throw new Error('deflated data sets are not supported');
    const scanner = new DataSetScanner(encoding, INDEXED_TAGS);
    for (let at = meta.dataSetOffset; at < size; at += CHUNK) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - at));
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      const chunk = buf.subarray(0, bytesRead);
      scanner.push(chunk);
      if (onChunk && onChunk(chunk) === false && drained) await drained();
      if (bytesRead < buf.length) break;
    }
    scanner.end();
    const header = instanceHeaderFrom(scanner.captured, encoding.littleEndian);
    header.sopInstanceUid ||= meta.sopInstanceUid;
    header.sopClassUid ||= meta.sopClassUid;
    for (const [key, what] of [['sopInstanceUid', 'SOP Instance UID'], ['studyInstanceUid', 'Study Instance UID'], ['seriesInstanceUid', 'Series Instance UID']] as const) {
      if (!isValidUid(header[key])) throw new Error(`no valid ${what} ("${header[key]}")`);
    }
    return { header, meta, size };
  } finally {
    await handle.close();
  }
}
