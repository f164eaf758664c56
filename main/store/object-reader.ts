import { open } from 'node:fs/promises';
import { readFileMeta } from './file-meta.ts';
import { wholeBytes } from '../util/whole-bytes.ts';

/**
 * Reading a stored object back for sending: where its data set starts after the Part-10 header (PS3.10 7.1), its
 * transfer syntax as the file itself says (a file recompressed in the background may have changed since the index was
 * read), and its bytes, whole for objects that fit comfortably in memory, in chunks for the rest.
 */

/** Objects up to this size are read in one go; larger ones stream so memory stays flat. */
const WHOLE_READ_LIMIT = 32 << 20;
const CHUNK = 1 << 20;

export class StoredObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoredObjectError';
  }
}

export interface StoredDataSet {
  /** The data set: one buffer, or chunks read as the sender asks for them. */
  bytes: Buffer | AsyncIterable<Uint8Array>;
  length: number;
  /** The data set's transfer syntax, from the file's meta header (or its first bytes, for a bare data set). */
  transferSyntaxUid: string;
}

export async function readStoredDataSet(file: string): Promise<StoredDataSet> {
  const handle = await open(file, 'r');
  let keepOpen = false;
  try {
    const { size } = await handle.stat();
    if (size <= WHOLE_READ_LIMIT) {
      const all = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const { bytesRead } = await handle.read(all, got, size - got, got);
        if (bytesRead === 0) throw new StoredObjectError(`${file} ended after ${got} of ${size} bytes`);
        got += bytesRead;
      }
      const meta = readFileMeta(all.subarray(0, Math.min(size, 64 * 1024)));
      return {
        bytes: all.subarray(meta.dataSetOffset),
        length: size - meta.dataSetOffset,
        transferSyntaxUid: meta.transferSyntaxUid,
      };
    }
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const meta = readFileMeta(head.subarray(0, bytesRead));
    keepOpen = true;
    return {
      bytes: chunks(handle, meta.dataSetOffset, size),
      length: size - meta.dataSetOffset,
      transferSyntaxUid: meta.transferSyntaxUid,
    };
  } finally {
    if (!keepOpen) await handle.close();
  }
}

async function* chunks(
  handle: Awaited<ReturnType<typeof open>>,
  from: number,
  size: number,
): AsyncIterable<Uint8Array> {
  try {
    for (let at = from; at < size; at += CHUNK) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - at));
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      if (bytesRead !== buf.length)
        throw new StoredObjectError(
          `stored object shrank while being sent (read ${bytesRead} of ${buf.length} at ${at})`,
        );
      yield buf;
    }
  } finally {
    await handle.close();
  }
}

/** A stored object's whole data set in memory (for converting or rendering it), however large, and its syntax. */
export async function readDataSetBytes(file: string): Promise<{ bytes: Buffer; transferSyntaxUid: string }> {
  const stored = await readStoredDataSet(file);
  return { bytes: await wholeBytes(stored.bytes), transferSyntaxUid: stored.transferSyntaxUid };
}
