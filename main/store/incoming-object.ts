import { close, fdatasync, open, writev } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { renameHeld } from './held-files.ts';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';

const openFile = promisify(open);
const closeFile = promisify(close);
const syncData = promisify(fdatasync);

/** Bytes in flight to the disk before `write` asks the association to pause the socket. */
const MAX_IN_FLIGHT = 8 << 20;

/**
 * One object being received into a temporary file. The chunks that arrive together are written with one positional
 * writev as soon as the file is open, so several writes run at once in the thread pool and the disk keeps pace with the
 * network. A write error (disk full, permissions) is kept, later bytes are dropped, and `finish` reports it, so the
 * association can keep reading to the end of the message and answer with a failure status.
 *
 * Held (`hold` bytes > 0, asked for when import converters may change the object): the bytes stay in memory until the
 * object is released, so a changed object is written once, with its new attributes, instead of written, read and written
 * again; an object that grows past `hold` bytes goes to the file from then on as any other. Once its attributes are in
 * (`holdHead`: the bytes before Pixel Data), only those are held for the converters: the pixel data arriving meanwhile
 * waits beside them (the socket paused past `hold` bytes) and follows them to the file once they are decided (`spill`),
 * or is dropped with the object (`drop`).
 */
export class IncomingObject {
  readonly tempPath: string;
  /** Where it goes under its storage folder when the layout does not decide (a FileNameSyntax script named it). */
  relativePath?: string;
  private fd: number | undefined;
  /** Resolves once the temporary file is made (or could not be: `finish` then says why). */
  readonly opened: Promise<void>;
  private failure: Error | undefined;
  private bytes = 0;
  private inFlight = 0;
  private batch: Uint8Array[] = [];
  private batchStart = 0;
  private flushScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  private held: Uint8Array[] | undefined;
  private readonly holdLimit: number;
  private readonly metaLength: number;
  /** What arrived after the held head (holdHead), and its bytes. */
  private tail: Uint8Array[] | undefined;
  private tailBytes = 0;
  /** Dropped before it ended: later bytes are not kept. */
  private dropped = false;
  /** CRC-32 of the bytes given to the file so far, in order; undefined without checksums and once the file was replaced. */
  private crc: number | undefined;

  constructor(tempPath: string, head: Buffer, hold = 0, checksum = true) {
    this.holdLimit = hold;
    if (checksum) this.crc = 0;
    this.metaLength = head.length;
    if (hold > 0) this.held = [];
    this.tempPath = tempPath;
    this.opened = openFile(tempPath, 'wx').then(
      (fd) => {
        this.fd = fd;
      },
      (err: Error) => {
        this.failure ??= err;
      },
    );
    void this.opened.then(() => this.flush());
    this.write(head);
  }

  get size(): number {
    return this.bytes;
  }

  /**
   * The CRC-32 of the file's bytes (meta information and data set, as written), computed as they go to the file: the
   * checksum the index keeps for VerifyStorage. Undefined when another writer made the file (replaceWith). Read once
   * every byte is given (after `spill`, `finish` or `release`): a held object's bytes count only once they are.
   */
  get checksum(): number | undefined {
    return this.crc === undefined ? undefined : this.crc >>> 0;
  }

  /** False asks the caller to wait for `drained()`. The chunk must not be modified afterwards. */
  write(chunk: Uint8Array): boolean {
    if (this.failure || this.dropped) return true;
    if (this.tail) {
      this.tail.push(chunk);
      this.tailBytes += chunk.length;
      this.bytes += chunk.length;
      return this.tailBytes < this.holdLimit;
    }
    if (this.held) {
      this.held.push(chunk);
      this.bytes += chunk.length;
      if (this.bytes > this.holdLimit) this.spill();
      return true;
    }
    if (this.batch.length === 0) this.batchStart = this.bytes;
    if (this.crc !== undefined) this.crc = crc32(chunk, this.crc);
    this.batch.push(chunk);
    this.bytes += chunk.length;
    this.inFlight += chunk.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return this.inFlight < MAX_IN_FLIGHT;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.fd === undefined || this.batch.length === 0) return;
    const buffers = this.batch;
    const position = this.batchStart;
    const length = buffers.reduce((n, b) => n + b.length, 0);
    this.batch = [];
    this.writeAll(buffers, position, length);
  }

  private writeAll(buffers: Uint8Array[], position: number, length: number): void {
    writev(this.fd!, buffers, position, (err, n) => {
      // On an error the rest of the batch is dropped; on a short write (a disk filling up) the rest is written next.
      this.inFlight -= err ? length : n;
      if (err) this.failure ??= err;
      else if (n < length) this.writeAll(remainder(buffers, n), position + n, length - n);
      if (this.inFlight <= MAX_IN_FLIGHT / 2 || this.failure) for (const w of this.drainWaiters.splice(0)) w();
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /**
   * The object as the chunks it arrived in, when it is still held in memory (not released): all of it, or after
   * `holdHead` its head.
   */
  heldChunks(): readonly Uint8Array[] | undefined {
    return this.held;
  }

  /** Only its head is held: what follows it waits beside it, or still arrives (holdHead). */
  get headOnly(): boolean {
    return this.tail !== undefined;
  }

  /**
   * Hold only the object's head from now on: its meta information and the first `dataSetBytes` bytes of its data set (up
   * to Pixel Data). False when the object is not held (or already so).
   */
  holdHead(dataSetBytes: number): boolean {
    if (!this.held || this.tail) return false;
    const end = this.metaLength + dataSetBytes;
    const head: Uint8Array[] = [];
    const tail: Uint8Array[] = [];
    let at = 0;
    for (const c of this.held) {
      if (at >= end) tail.push(c);
      else if (at + c.length <= end) head.push(c);
      else {
        head.push(c.subarray(0, end - at));
        tail.push(c.subarray(end - at));
      }
      at += c.length;
    }
    this.held = head;
    this.tail = tail;
    this.tailBytes = Math.max(0, at - end);
    return true;
  }

  /** The held object's bytes (or after `holdHead` its head's) replaced (a converter changed it); written when released. */
  replaceHeld(chunks: Uint8Array[]): void {
    if (!this.held) throw new Error('the object is not held in memory');
    this.held = chunks;
    this.bytes = chunks.reduce((n, c) => n + c.length, 0) + this.tailBytes;
  }

  /** Nothing more of it is kept (it will be discarded): what is held goes, and later bytes are not written. */
  drop(): void {
    this.dropped = true;
    this.crc = undefined;
    this.held = undefined;
    this.tail = undefined;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Held bytes go to the file (a no-op for an object not held); resolves once written. */
  async release(): Promise<void> {
    if (this.held) this.spill();
    await this.settled();
  }

  /** What is held (and what waits behind a held head) goes to the file, and later bytes follow as they arrive. */
  spill(): void {
    const chunks = this.held;
    const tail = this.tail ?? [];
    if (!chunks) return;
    this.held = undefined;
    this.tail = undefined;
    this.tailBytes = 0;
    this.bytes = 0;
    if (this.crc !== undefined) this.crc = 0;
    for (const c of chunks) this.write(c);
    for (const c of tail) this.write(c);
    if (this.inFlight <= MAX_IN_FLIGHT / 2) for (const w of this.drainWaiters.splice(0)) w();
  }

  drained(): Promise<void> {
    if (this.tail && !this.failure && this.tailBytes >= this.holdLimit)
      return new Promise((resolve) => this.drainWaiters.push(resolve));
    if (this.failure || this.inFlight <= MAX_IN_FLIGHT / 2) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Every write issued has completed (even after a failure: the descriptor must not close under a running write). */
  private async settled(): Promise<void> {
    await this.opened;
    if (this.fd === undefined) return; // never opened: nothing was written
    this.flush();
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Wait for every write; rejects with the first write error, after removing the temporary file. */
  async finish(): Promise<void> {
    await this.settled();
    if (this.failure) {
      await this.discard();
      throw this.failure;
    }
  }

  /** The written bytes on stable storage (fdatasync), before the file gets its final name. */
  async sync(): Promise<void> {
    await this.release();
    if (this.fd !== undefined && !this.closed) await syncData(this.fd);
  }

  /**
   * Close the complete file and give it its final name. On POSIX the rename does not wait for the close (both act on a
   * file whose bytes are all written); Windows cannot rename an open file.
   */
  async moveTo(finalPath: string): Promise<void> {
    await this.release();
    if (process.platform === 'win32') {
      await this.close();
      await renameHeld(this.tempPath, finalPath);
      return;
    }
    const closing = this.close();
    try {
      await rename(this.tempPath, finalPath);
    } finally {
      await closing;
    }
  }

  /**
   * The object was written again at `path` (flushed there: a converter changed it): it takes the temporary file's
   * place, and the object's size is `size` from now on.
   */
  async replaceWith(path: string, size: number): Promise<void> {
    if (this.tail) throw new Error('only the head of the object is here yet');
    this.held = undefined;
    await this.settled();
    await this.close();
    await renameHeld(path, this.tempPath);
    this.bytes = size;
    this.crc = undefined;
  }

  /** Drop the object: close and remove the temporary file. */
  async discard(): Promise<void> {
    this.drop();
    await this.settled().catch(() => undefined);
    await this.close();
    await unlink(this.tempPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private async close(): Promise<void> {
    if (this.closed || this.fd === undefined) return;
    this.closed = true;
    await closeFile(this.fd);
  }
}

function remainder(buffers: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
