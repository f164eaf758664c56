import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { LogRecord } from '../util/log.ts';

/** The current log file in DATA/logs; the rotated ones are pacs.1.log (the newest) to pacs.N.log. */
export const LOG_FILE = 'pacs.log';
/** Lines waiting for the disk beyond this are dropped (and counted): a flood cannot take the archive's memory. */
const MAX_PENDING = 4 << 20;

/** The log files of a folder, newest first: their names and sizes (the Monitor's list). */
export async function logFiles(dir: string): Promise<{ name: string; size: number; modified: string }[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^pacs(\.\d+)?\.log$/.test(n));
  const order = (n: string) => Number(/^pacs\.(\d+)\.log$/.exec(n)?.[1] ?? 0);
  names.sort((a, b) => order(a) - order(b));
  return Promise.all(
    names.map(async (name) => {
      const s = await stat(path.join(dir, name));
      return { name, size: s.size, modified: s.mtime.toISOString() };
    }),
  );
}

/**
 * The log written to rotating files besides the console: lines go to pacs.log in the order they came, a few writes at
 * a time; past `maxBytes()` it becomes pacs.1.log (pacs.1 becomes pacs.2, ...; beyond `keep()` the oldest goes) and a
 * new pacs.log begins. Nothing waits for the disk: lines queue in memory, and past MAX_PENDING bytes the rest are
 * dropped and said in the next line written, so a noisy peer can neither fill the disk nor the memory.
 */
export class RotatingLog {
  private readonly dir: string;
  private readonly maxBytes: () => number;
  private readonly keep: () => number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private file: FileHandle | undefined;
  private size = 0;
  private writing: Promise<void> | undefined;
  private failed = false;

  constructor(dir: string, maxBytes: () => number, keep: () => number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.keep = keep;
  }

  /** The sink for Logger.addSink. */
  readonly sink = (r: LogRecord): void => {
    if (this.failed) return;
    const line = `${r.time.toISOString()} ${r.level.toUpperCase().padEnd(5)} [${r.source}] ${r.message}\n`;
    if (this.pendingBytes + line.length > MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
    });
  };

  /** Resolves once every line given so far is written. */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    await this.flushed();
    await this.file?.close();
    this.file = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length) {
        if (this.dropped) {
          this.pending.unshift(
            `${new Date().toISOString()} WARN  [log] ${this.dropped} line(s) dropped: the disk did not keep up\n`,
          );
          this.dropped = 0;
        }
        const lines = this.pending.join('');
        this.pending = [];
        this.pendingBytes = 0;
        const bytes = Buffer.from(lines, 'utf8');
        if (!this.file) await this.openFile();
        else if (this.size > 0 && this.size + bytes.length > this.maxBytes()) await this.rotate();
        await this.file!.write(bytes);
        this.size += bytes.length;
      }
    } catch (err) {
      // A log that cannot be written must not stop the archive: the console still has every line.
      this.failed = true;
      process.stderr.write(`log file in ${this.dir} not written any more: ${(err as Error).message}\n`);
    }
  }

  private async openFile(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.file = await open(path.join(this.dir, LOG_FILE), 'a');
    this.size = (await this.file.stat()).size;
    if (this.size >= this.maxBytes()) await this.rotate();
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
    const keep = this.keep();
    const name = (n: number) => path.join(this.dir, n === 0 ? LOG_FILE : `pacs.${n}.log`);
    for (const extra of await logFiles(this.dir))
      if (Number(/^pacs\.(\d+)\.log$/.exec(extra.name)?.[1] ?? 0) >= keep) await rm(path.join(this.dir, extra.name));
    for (let n = keep - 1; n >= 0; n--) await rename(name(n), name(n + 1)).catch(() => undefined);
    this.file = await open(name(0), 'a');
    this.size = 0;
  }
}
