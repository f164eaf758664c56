import { open, unlink, rename, type FileHandle } from 'node:fs/promises';

/** Bytes in flight to the disk before `write` asks the association to pause the socket. */
const MAX_IN_FLIGHT = 8 << 20;

/**
 * One object being received into a temporary file. Each chunk is written at its own offset as soon as it arrives, so
 * several writes run at once in the thread pool and the disk keeps pace with the network. A write error (disk full,
 * permissions) is kept, later bytes are dropped, and `finish` reports it, so the association can keep reading to the
 * end of the message and answer with a failure status.
 */
export class IncomingObject {
  readonly tempPath: string;
  private readonly opened: Promise<FileHandle | undefined>;
  private handle: FileHandle | undefined;
  private failure: Error | undefined;
  private bytes = 0;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private drainWaiters: (() => void)[] = [];
  private closed = false;

  constructor(tempPath: string, head: Buffer) {
    this.tempPath = tempPath;
    this.opened = open(tempPath, 'wx').then((h) => { this.handle = h; return h; }, (err: Error) => { this.failure ??= err; return undefined; });
    this.write(head);
  }

  get error(): Error | undefined {
    return this.failure;
  }

  get size(): number {
    return this.bytes;
  }

  /** False asks the caller to wait for `drained()`. The chunk must not be modified afterwards. */
  write(chunk: Uint8Array): boolean {
    if (this.failure) return true;
    const position = this.bytes;
    this.bytes += chunk.length;
    this.inFlight += chunk.length;
    const done = this.writeAt(chunk, position).finally(() => {
      this.pending.delete(done);
      this.inFlight -= chunk.length;
      if (this.inFlight <= MAX_IN_FLIGHT / 2) for (const w of this.drainWaiters.splice(0)) w();
    });
    this.pending.add(done);
    return this.inFlight < MAX_IN_FLIGHT;
  }

  private async writeAt(chunk: Uint8Array, position: number): Promise<void> {
    const handle = this.handle ?? (await this.opened);
    if (!handle || this.failure) return;
    try {
      let at = 0;
      while (at < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, at, chunk.length - at, position + at);
        at += bytesWritten;
      }
    } catch (err) {
      this.failure ??= err as Error;
    }
  }

  drained(): Promise<void> {
    if (this.failure || this.inFlight <= MAX_IN_FLIGHT / 2) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Wait for every write, then close; rejects with the first write error, after removing the temporary file. */
  async finish(): Promise<void> {
    await this.opened;
    while (this.pending.size) await Promise.all(this.pending);
    if (this.failure) {
      await this.discard();
      throw this.failure;
    }
  }

  /**
   * Close the complete file and give it its final name. On POSIX the rename does not wait for the close (both act on a
   * file whose bytes are all written); Windows cannot rename an open file.
   */
  async moveTo(finalPath: string): Promise<void> {
    if (process.platform === 'win32') {
      await this.close();
      await rename(this.tempPath, finalPath);
      return;
    }
    const closing = this.close();
    try {
      await rename(this.tempPath, finalPath);
    } finally {
      await closing;
    }
  }

  /** Drop the object: close and remove the temporary file. */
  async discard(): Promise<void> {
    await this.opened;
    while (this.pending.size) await Promise.all(this.pending);
    await this.close();
    await unlink(this.tempPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private async close(): Promise<void> {
    if (this.closed || !this.handle) return;
    this.closed = true;
    await this.handle.close();
  }
}
