import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Writable } from 'node:stream';
import { ExportError } from './media-set.ts';
import { msg } from '../../common/message.ts';

/**
 * A folder as a ZIP archive (PKWARE APPNOTE 4.3), written as it is read: entries stored, not compressed (DICOM pixel
 * data barely compresses, and the download starts at once), each followed by a data descriptor with its CRC-32 and size,
 * then the central directory. Without ZIP64: up to 65,535 files and 4 GB, beyond which the folder export is the way.
 */

const CHUNK = 1 << 20;
const LIMIT = 0xffffffff;

async function filesOf(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesOf(root, full)));
    else out.push(full);
  }
  return out;
}

/** Write `out` chunk by chunk, waiting when it asks (backpressure). */
function writer(out: Writable): (chunk: Buffer) => Promise<void> {
  return (chunk) => (out.write(chunk) ? Promise.resolve() : new Promise((resolve, reject) => {
    const done = () => { out.off('error', fail); resolve(); };
    const fail = (err: Error) => { out.off('drain', done); reject(err); };
    out.once('drain', done);
    out.once('error', fail);
  }));
}

export async function writeZip(folder: string, out: Writable): Promise<{ files: number; bytes: number }> {
  const files = await filesOf(folder);
  if (files.length > 0xffff) throw new ExportError(msg('{n} files are more than a ZIP without ZIP64 holds: export to a folder instead', { n: files.length }));
  let total = 0;
  for (const f of files) total += (await stat(f)).size;
  if (total + files.length * 200 > LIMIT) throw new ExportError(msg('{value} GB is more than a ZIP without ZIP64 holds: export to a folder instead', { value: (total / 2 ** 30).toFixed(1) }));
  const write = writer(out);
  const central: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(path.relative(folder, file).split(path.sep).join('/'), 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0808, 6); // bit 3: sizes in the data descriptor; bit 11: UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // DOS time 00:00, date 1980-01-01
    local.writeUInt16LE(name.length, 26);
    await write(local);
    await write(name);
    let crc = 0;
    let size = 0;
    const handle = await open(file, 'r');
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await handle.read(buf, 0, CHUNK, size);
        if (!bytesRead) break;
        const chunk = buf.subarray(0, bytesRead);
        crc = crc32(chunk, crc);
        size += bytesRead;
        await write(chunk);
      }
    } finally {
      await handle.close();
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(size, 8);
    descriptor.writeUInt32LE(size, 12);
    await write(descriptor);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0808, 8);
    entry.writeUInt16LE(0, 10);
    entry.writeUInt32LE(0x00210000, 12);
    entry.writeUInt32LE(crc >>> 0, 16);
    entry.writeUInt32LE(size, 20);
    entry.writeUInt32LE(size, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += local.length + name.length + size + descriptor.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  await write(directory);
  await write(end);
  return { files: files.length, bytes: offset + directory.length + end.length };
}
