import { createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';

/**
 * One object being received into a temporary file. A write error (disk full, permissions) is kept, later bytes are
 * dropped, and `finish` reports it, so the association can keep reading and answer with a failure status.
 */
export class IncomingObject {
  readonly tempPath: string;
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  private bytes = 0;
  private closed: Promise<void>;

  constructor(tempPath: string, head: Buffer) {
    this.tempPath = tempPath;
    this.stream = createWriteStream(tempPath, { flags: 'wx', highWaterMark: 1 << 20 });
    this.closed = new Promise((resolve) => {
      this.stream.on('close', () => resolve());
    });
    this.stream.on('error', (err) => {
      this.failure ??= err;
    });
    this.write(head);
  }

  get error(): Error | undefined {
    return this.failure;
  }

  get size(): number {
    return this.bytes;
  }

  /** False asks the caller to wait for `drained()`. */
  write(chunk: Uint8Array): boolean {
    if (this.failure) return true;
    this.bytes += chunk.length;
    return this.stream.write(chunk);
  }

  drained(): Promise<void> {
    if (this.failure || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { this.stream.off('drain', done); this.stream.off('close', done); resolve(); };
      this.stream.once('drain', done);
      this.stream.once('close', done);
    });
  }

  /** Flush and close; rejects with the first write error, after removing the temporary file. */
  async finish(): Promise<void> {
    if (!this.failure) this.stream.end();
    else this.stream.destroy();
    await this.closed;
    if (this.failure) {
      await this.discard();
      throw this.failure;
    }
  }

  /** Drop the object: close and remove the temporary file. */
  async discard(): Promise<void> {
    this.stream.destroy();
    await this.closed;
    await unlink(this.tempPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
