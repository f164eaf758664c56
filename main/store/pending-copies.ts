import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import type { Side } from './storage-roots.ts';

/**
 * A stored object's file that one side of its device lacks: to be copied there from the other side; or (`remove`) a
 * deleted object's file that side still holds, deleted when it is there again.
 */
export interface PendingCopy {
  device: number;
  to: Side;
  relativePath: string;
  remove?: boolean;
}

const key = (c: PendingCopy) => `${c.device}\t${c.to}\t${c.relativePath}${c.remove ? '\tremove' : ''}`;

/**
 * The copies a mirrored device still owes one of its sides (Conquest's CopyFailures file): an object written while its
 * storage folder or its mirror was not there, or whose copy failed. Kept in memory and in a file of the data folder
 * (one line each, appended as they come), so a restart still knows; `settle` rewrites the file without those done.
 */
export class PendingCopies {
  private readonly file: string | undefined;
  private readonly pending = new Map<string, PendingCopy>();
  private writing: Promise<void> = Promise.resolve();

  constructor(file: string | undefined) {
    this.file = file;
  }

  async load(): Promise<void> {
    if (!this.file) return;
    const text = await readFile(this.file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [device, to, relativePath, remove] = line.split('\t');
      if (relativePath === undefined || !/^\d+$/.test(device!) || (to !== '0' && to !== '1')) continue;
      const c: PendingCopy = { device: Number(device), to: Number(to) as Side, relativePath };
      if (remove === 'remove') c.remove = true;
      this.pending.set(key(c), c);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  add(...copies: PendingCopy[]): void {
    const fresh = copies.filter((c) => !this.pending.has(key(c)));
    if (!fresh.length) return;
    for (const c of fresh) this.pending.set(key(c), c);
    const file = this.file;
    const text = fresh.map((c) => `${key(c)}\n`).join('');
    if (file) this.writing = this.writing.then(() => appendFile(file, text).catch(() => undefined));
  }

  has(c: PendingCopy): boolean {
    return this.pending.has(key(c));
  }

  list(): PendingCopy[] {
    return [...this.pending.values()];
  }

  /** These copies are done (or their object is gone): forget them. */
  async settle(done: PendingCopy[]): Promise<void> {
    if (!done.length) return;
    for (const c of done) this.pending.delete(key(c));
    const file = this.file;
    if (!file) return;
    const text = [...this.pending.keys()].map((k) => `${k}\n`).join('');
    this.writing = this.writing.then(async () => {
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
    });
    await this.writing;
  }
}
