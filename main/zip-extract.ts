import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { Refusal } from './util/refusal.ts';
import type { Message } from '../common/message.ts';
import { msg } from '../common/message.ts';

/**
 * Unpack a ZIP archive a user dropped on the window (a CD copied into a ZIP, a study a colleague mailed) into a folder,
 * for the importer (PKWARE APPNOTE 4.3: the central directory, entries stored or deflated). Entry names are checked
 * before anything is written: an absolute name, a drive letter or a ".." segment ("zip slip") refuses the archive;
 * directories, encrypted entries and other methods are skipped with the reason. Without ZIP64 (4 GB, 65,535 entries).
 */

export class ZipRefused extends Refusal {
  constructor(said: Message | string) {
    super(400, said);
  }
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** A relative path under the target folder made of the entry name's segments, or the reason it is refused. */
function safeName(name: string): string {
  const segments = name.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  if (/^([a-zA-Z]:|\/)/.test(name) || segments.some((s) => s === '..')) throw new ZipRefused(msg('the archive names a file outside itself: "{name}"', { name }));
  return segments.map((s) => s.replace(/[<>:"|?*\x00-\x1f]/g, '_')).join(path.sep);
}

export async function extractZip(file: string, folder: string): Promise<{ files: number; skipped: { file: string; reason: string }[] }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    // The End of Central Directory record is in the last 64 KiB + 22 bytes (its comment is at most 65,535 bytes).
    const tailLength = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    let at = -1;
    for (let i = tailLength - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD) { at = i; break; }
    if (at < 0) throw new ZipRefused(msg('not a ZIP archive (no end of central directory)'));
    const entries = tail.readUInt16LE(at + 10);
    const dirSize = tail.readUInt32LE(at + 12);
    const dirOffset = tail.readUInt32LE(at + 16);
    if (dirOffset === 0xffffffff || entries === 0xffff) throw new ZipRefused(msg('a ZIP64 archive (over 4 GB or 65,535 files): unpack it and import the folder'));
    const dir = Buffer.alloc(dirSize);
    await handle.read(dir, 0, dirSize, dirOffset);
    const list: { name: string; method: number; flags: number; compressed: number; local: number }[] = [];
    for (let p = 0, n = 0; n < entries; n++) {
      if (dir.readUInt32LE(p) !== CENTRAL) throw new ZipRefused(msg('the central directory is damaged'));
      const nameLength = dir.readUInt16LE(p + 28);
      const extraLength = dir.readUInt16LE(p + 30);
      const commentLength = dir.readUInt16LE(p + 32);
      list.push({
        flags: dir.readUInt16LE(p + 8), method: dir.readUInt16LE(p + 10), compressed: dir.readUInt32LE(p + 20), local: dir.readUInt32LE(p + 42),
        name: dir.subarray(p + 46, p + 46 + nameLength).toString(dir.readUInt16LE(p + 8) & 0x800 ? 'utf8' : 'latin1'),
      });
      p += 46 + nameLength + extraLength + commentLength;
    }
    // All names first: one bad name refuses the whole archive before a file is written.
    const names = list.map((e) => safeName(e.name));
    const skipped: { file: string; reason: string }[] = [];
    let files = 0;
    for (const [i, e] of list.entries()) {
      if (e.name.endsWith('/')) continue;
      if (e.flags & 1) { skipped.push({ file: e.name, reason: 'encrypted' }); continue; }
      if (e.method !== 0 && e.method !== 8) { skipped.push({ file: e.name, reason: `compression method ${e.method} is not read (only stored and deflated)` }); continue; }
      const head = Buffer.alloc(30);
      await handle.read(head, 0, 30, e.local);
      if (head.readUInt32LE(0) !== LOCAL) { skipped.push({ file: e.name, reason: 'damaged entry' }); continue; }
      const start = e.local + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
      const data = Buffer.alloc(e.compressed);
      await handle.read(data, 0, e.compressed, start);
      const target = path.join(folder, names[i]!);
      await mkdir(path.dirname(target), { recursive: true });
      try {
        await writeFile(target, e.method === 8 ? inflateRawSync(data) : data);
        files++;
      } catch (err) {
        skipped.push({ file: e.name, reason: (err as Error).message });
      }
    }
    return { files, skipped };
  } finally {
    await handle.close();
  }
}
