import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * A backup's manifest (DIR/manifest.jsonl): one line per object copied (its place, size and SHA-256) or deleted since,
 * appended as each is done, so a backup killed midway goes on from where it was; the last line of a place wins.
 */

export const MANIFEST = 'manifest.jsonl';
/** Where the objects go in a backup: objects/MAGn/<the path the index names>. */
export const OBJECTS = 'objects';

export interface ManifestEntry {
  /** `MAGn/relative/path`, as the index names the file. */
  key: string;
  size: number;
  sha256: string;
  /** The source file's modification time when it was copied (ms): a file rewritten since is copied again. */
  mtime?: number;
}

/** An object's place in a backup and in the index: its device and the path under it. */
export function objectKey(device: number, relativePath: string): string {
  return `MAG${device}/${relativePath.replace(/\\/g, '/')}`;
}

/** The file of a key in a backup folder. */
export function backupFile(dir: string, key: string): string {
  return path.join(dir, OBJECTS, ...key.split('/'));
}

/**
 * The objects a manifest holds now (deleted ones left out); a torn last line (a kill while writing) is ignored. `gone`:
 * those deleted since, with when and their last entry (an older index snapshot may still name them).
 */
export async function readManifest(
  dir: string,
  gone?: Map<string, { at: string; entry: ManifestEntry }>,
): Promise<Map<string, ManifestEntry>> {
  const text = await readFile(path.join(dir, MANIFEST), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const out = new Map<string, ManifestEntry>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: Partial<ManifestEntry> & { deleted?: string; at?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.deleted) {
      const last = out.get(entry.deleted);
      if (last) gone?.set(entry.deleted, { at: entry.at ?? '', entry: last });
      out.delete(entry.deleted);
    } else if (entry.key && typeof entry.size === 'number' && entry.sha256) {
      out.set(entry.key, entry as ManifestEntry);
      gone?.delete(entry.key);
    }
  }
  return out;
}

/** Lines appended to the manifest, in order, one write at a time. */
export class ManifestWriter {
  private readonly file: string;
  private chain: Promise<void> = Promise.resolve();
  constructor(dir: string) {
    this.file = path.join(dir, MANIFEST);
  }
  add(entry: ManifestEntry | { deleted: string; at: string }): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    this.chain = this.chain.then(() => appendFile(this.file, line));
    return this.chain;
  }
}

/**
 * Copy `from` to `to` (through a temporary name, so a kill leaves no half file under the final one), hashing what is
 * copied: its size and SHA-256.
 */
export async function copyHashed(from: string, to: string): Promise<{ size: number; sha256: string }> {
  await mkdir(path.dirname(to), { recursive: true });
  const temp = `${to}.partial`;
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(from), tap, createWriteStream(temp));
    await rename(temp, to);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { size, sha256: hash.digest('hex') };
}
