import { close, fdatasync, open } from 'node:fs';
import { promisify } from 'node:util';

const openFile = promisify(open);
const syncData = promisify(fdatasync);
const closeFile = promisify(close);

/**
 * The flush of an SQLite database's write-ahead log, done in libuv's thread pool instead of inside COMMIT on the event
 * loop (DurableWrites): the database runs with synchronous=NORMAL, so COMMIT only writes the log's frames, and a write
 * is reported done once `flush` - an fdatasync of the log file through a descriptor of our own, the same file's pages -
 * has put them on stable storage. The event loop receives the next objects meanwhile, and commits that land while a
 * flush runs share the next one (group commit). Checkpoints keep SQLite's own flushes.
 */
export class WalFlush {
  private readonly file: string;
  private fd: Promise<number> | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(databaseFile: string) {
    this.file = `${databaseFile}-wal`;
  }

  /** Resolves once everything written to the log before this call is on stable storage. */
  flush(): Promise<void> {
    // A flush already running may have started before the caller's frames were written: the next one covers them.
    if (this.running) {
      const after = () => {
        this.queued = undefined;
        return this.start();
      };
      this.queued ??= this.running.then(after, after);
      return this.queued;
    }
    return this.start();
  }

  private start(): Promise<void> {
    const run = this.sync();
    const settled: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    );
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = undefined;
    });
    return run;
  }

  private async sync(): Promise<void> {
    // Read and write: Windows flushes a file only through a handle that may write it.
    this.fd ??= openFile(this.file, 'r+');
    try {
      await syncData(await this.fd);
    } catch (err) {
      // Opened again at the next flush (a descriptor that failed is not trusted).
      const fd = await this.fd.catch(() => undefined);
      this.fd = undefined;
      if (fd !== undefined) await closeFile(fd).catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    const fd = await this.fd?.catch(() => undefined);
    this.fd = undefined;
    if (fd !== undefined) await closeFile(fd);
  }
}
