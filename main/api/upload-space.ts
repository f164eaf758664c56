import { mkdir, statfs } from 'node:fs/promises';
import type http from 'node:http';
import { HttpError } from './router.ts';
import { msg } from '../../common/message.ts';

/** Free space is read again after this many bytes of an upload (and at its start). */
const CHECK_EVERY = 8 << 20;

export interface UploadSpaceOptions {
  /** The folder uploads are written to (the data folder's `uploads`). */
  dir(): string;
  /** MaxUploadMB in bytes (0: no limit). */
  limitBytes(): number;
  /** MAGDeviceFullThreshold in bytes: the space kept for modalities, which an upload may not take. */
  reserveBytes(): number;
}

/** One upload's body as it is read, and the end of its claim on the disk. */
export interface Upload {
  chunks: AsyncIterable<Buffer>;
  /** Called when the request is answered: its bytes are stored (or dropped) by then. */
  done(): void;
}

/**
 * The bytes of uploads (the UI's import, STOW-RS) counted as they are read, chunked or not: past MaxUploadMB the request
 * is refused (413). Each upload's bytes are needed twice on the disk until it is answered (its temporary copy and the
 * stored objects), so an upload stops (507) when the free space, less what the uploads in progress have read, would
 * fall below MAGDeviceFullThreshold: that much stays for the modalities' C-STOREs, which an upload never takes.
 */
export class UploadSpace {
  private readonly options: UploadSpaceOptions;
  private inProgress = 0;

  constructor(options: UploadSpaceOptions) {
    this.options = options;
  }

  /** Bytes the uploads in progress have read (their claim on the disk). */
  get claimed(): number {
    return this.inProgress;
  }

  /** Checks the declared size against the limit and the disk, then counts the body as it is read. */
  async open(req: http.IncomingMessage): Promise<Upload> {
    const limit = this.options.limitBytes();
    const declaredHeader = req.headers['content-length'];
    const declared = declaredHeader === undefined ? 0 : Number(declaredHeader);
    if (limit > 0 && declared > limit) throw tooLarge(declared, limit);
    await this.checkSpace(declared);
    let read = 0;
    let counted = 0;
    let released = false;
    const release = () => {
      released = true;
      this.inProgress -= counted;
      counted = 0;
    };
    const space = this;
    async function* chunks(): AsyncGenerator<Buffer> {
      let sinceCheck = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (!released) {
          counted += chunk.length;
          space.inProgress += chunk.length;
        }
        sinceCheck += chunk.length;
        if (limit > 0 && read > limit) throw tooLarge(read, limit, true);
        if (sinceCheck >= CHECK_EVERY) {
          sinceCheck = 0;
          await space.checkSpace(0);
        }
        yield chunk;
      }
    }
    return { chunks: chunks(), done: release };
  }

  /** A 507 when `more` bytes beyond what is claimed already would leave less free space than the reserve. */
  private async checkSpace(more: number): Promise<void> {
    const reserve = this.options.reserveBytes();
    if (reserve <= 0) return;
    const dir = this.options.dir();
    await mkdir(dir, { recursive: true });
    const s = await statfs(dir);
    const free = s.bavail * s.bsize;
    const left = free - this.inProgress - more;
    if (left < reserve) {
      throw new HttpError(
        507,
        msg(
          'not enough free space for this upload: {free} MB are free, uploads in progress hold {held} MB, and {reserve} MB stay for the modalities (MAGDeviceFullThreshold)',
          { free: mb(free), held: mb(this.inProgress + more), reserve: mb(reserve) },
        ),
      );
    }
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / (1 << 20));
}

function tooLarge(size: number, limitBytes: number, read = false): HttpError {
  return read
    ? new HttpError(413, msg('the upload passed {limitBytes} bytes; MaxUploadMB allows no more', { limitBytes }))
    : new HttpError(
        413,
        msg('the upload is {declared} bytes; MaxUploadMB allows {limitBytes} bytes', { declared: size, limitBytes }),
      );
}
