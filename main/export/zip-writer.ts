import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import yazl from 'yazl';

/**
 * A folder as a ZIP archive, written as it is read by yazl (maintained; ZIP64 when the set passes 4 GB or 65,535
 * files): entries stored, not compressed (DICOM pixel data barely compresses, and the download starts at once). The
 * archive's size is known before its first byte (every entry stored, its size from the disk), for a Content-Length.
 */

async function filesOf(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesOf(root, full)));
    else out.push(full);
  }
  return out;
}

/** Write the ZIP of `folder` to `out` (not ended); `before` learns the archive's size first. */
export async function writeZip(
  folder: string,
  out: Writable,
  before?: (size?: number) => void,
): Promise<{ files: number; bytes: number }> {
  const files = await filesOf(folder);
  const zip = new yazl.ZipFile();
  for (const file of files)
    zip.addFile(file, path.relative(folder, file).split(path.sep).join('/'), { compress: false });
  const failed = new Promise<never>((_, reject) => zip.once('error', reject));
  // yazl calls back with the total once every entry's size is known (-1 when it cannot be), before it writes a byte.
  const size = await Promise.race([
    failed,
    new Promise<number>((resolve) => (zip.end as (o: object, done: (n: number) => void) => void)({}, resolve)),
  ]);
  before?.(size >= 0 ? size : undefined);
  let bytes = 0;
  zip.outputStream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  await Promise.race([
    failed,
    new Promise<void>((resolve, reject) => {
      zip.outputStream.once('end', resolve);
      zip.outputStream.once('error', reject);
      out.once('error', reject);
      zip.outputStream.pipe(out, { end: false });
    }),
  ]);
  return { files: files.length, bytes };
}
