import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg } from '../../common/message.ts';

/**
 * Unpack a ZIP archive a user dropped on the window (a CD copied into a ZIP, a study a colleague mailed) into a folder,
 * for the importer. Read by yauzl (maintained, ZIP64, each entry's inflated size checked against what the directory
 * says), streamed to disk, never held in memory. Checked before anything is written: an entry name that is absolute,
 * has a drive letter or a ".." segment ("zip slip") refuses the archive, and so does an archive whose entries would
 * unpack to more than `limits.maxBytes` (a ZIP bomb). Directories, encrypted entries and other methods are skipped
 * with the reason.
 */

export class ZipRefused extends Refusal {
  constructor(said: Message | string) {
    super(400, said);
  }
}

/** yauzl's own name decoding (CP437 or UTF-8, the Info-ZIP Unicode Path field), used here with our own name checks. */
const decodeName = (
  yauzl as unknown as {
    getFileNameLowLevel(flags: number, raw: Buffer, extra: Entry['extraFields'], strict: boolean): string;
  }
).getFileNameLowLevel;

/** How far an archive may unpack: 20 times its own size and 64 MiB more (DICOM deflates 1.5-4x; a bomb 1000x). */
export function expansionLimit(zipBytes: number): number {
  return 64 * 2 ** 20 + 20 * zipBytes;
}

/** A relative path under the target folder made of the entry name's segments, or the reason it is refused. */
function safeName(name: string): string {
  const segments = name
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (/^([a-zA-Z]:|\/)/.test(name) || segments.some((s) => s === '..'))
    throw new ZipRefused(msg('the archive names a file outside itself: "{name}"', { name }));
  return segments.map((s) => s.replace(/[<>:"|?*\x00-\x1f]/g, '_')).join(path.sep);
}

/** Every entry of the central directory, before any is unpacked. */
function entriesOf(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (e: Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/** yauzl's errors about the archive itself, in words for the user. */
function refusal(err: Error): Error {
  if (err instanceof Refusal) return err;
  if (/end of central directory record signature not found/i.test(err.message))
    return new ZipRefused(msg('not a ZIP archive (no end of central directory)'));
  return new ZipRefused(msg('the ZIP archive is damaged: {reason}', { reason: err.message }));
}

/** `maxBytes`: what the entries may unpack to in all (expansionLimit of the archive's size unless given). */
export async function extractZip(
  file: string,
  folder: string,
  maxBytes?: number,
): Promise<{ files: number; skipped: { file: string; reason: string }[] }> {
  const limit = maxBytes ?? expansionLimit((await stat(file)).size);
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw refusal(err as Error);
  }
  try {
    const entries = await entriesOf(zip).catch((err: Error) => {
      throw refusal(err);
    });
    // All names and the total size first: one bad name or a bomb refuses the whole archive before a file is written.
    const named = entries.map((e) => {
      const name = decodeName(e.generalPurposeBitFlag, e.fileNameRaw, e.extraFields, false);
      return { entry: e, name, target: safeName(name) };
    });
    const total = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
    if (total > limit) {
      throw new ZipRefused(
        msg('the archive would unpack to {size} MB, more than the {limit} MB a ZIP of its size may (a ZIP bomb?)', {
          size: Math.round(total / 2 ** 20),
          limit: Math.round(limit / 2 ** 20),
        }),
      );
    }
    const skipped: { file: string; reason: string }[] = [];
    let files = 0;
    for (const { entry: e, name, target } of named) {
      if (name.endsWith('/')) continue;
      if (e.generalPurposeBitFlag & 1) {
        skipped.push({ file: name, reason: 'encrypted' });
        continue;
      }
      if (e.compressionMethod !== 0 && e.compressionMethod !== 8) {
        skipped.push({
          file: name,
          reason: `compression method ${e.compressionMethod} is not read (only stored and deflated)`,
        });
        continue;
      }
      const to = path.join(folder, target);
      await mkdir(path.dirname(to), { recursive: true });
      try {
        // The directory's size is a promise yauzl keeps (validateEntrySizes): more or fewer bytes end the entry in error.
        await pipeline(await zip.openReadStreamPromise(e), capped(e.uncompressedSize), createWriteStream(to));
        files++;
      } catch (err) {
        skipped.push({ file: name, reason: (err as Error).message });
      }
    }
    return { files, skipped };
  } finally {
    zip.close();
  }
}

/** A second guard on an entry's size, whatever the reader checks: no more than the directory announced passes. */
function capped(announced: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > announced) done(new Error(`more than the ${announced} bytes the directory announced`));
      else done(null, chunk);
    },
  });
}
