import { createGzip, type Gzip } from 'node:zlib';

/** Output buffer of the gzip stream: one per object, so the stream calls back once per write, not per 16 KB. */
const OUT_CHUNK = 1 << 20;

/**
 * The CRC-32 of bytes given in order, computed in libuv's thread pool instead of the event loop: zlib's gzip at level 0
 * (stored blocks, no compression) computes the CRC-32 of its input there and ends its output with it (RFC 1952 trailer:
 * CRC-32, then the input's size, little-endian). The output itself is dropped as it comes. The event loop keeps only the
 * cost of handing each chunk over, about half of computing the CRC itself: the ingest's receiving thread is the one
 * that decides its rate, so the checksum VerifyStorage keeps costs less of it.
 */
export class PooledCrc {
  private gzip: Gzip | undefined;
  private tail = Buffer.alloc(0);
  private readonly ended: Promise<number>;

  constructor() {
    const gzip = createGzip({ level: 0, chunkSize: OUT_CHUNK });
    this.gzip = gzip;
    gzip.on('data', (out: Buffer) => {
      // Only the last 8 bytes matter; what comes before them is the input again.
      this.tail =
        out.length >= 8 ? Buffer.from(out.subarray(out.length - 8)) : Buffer.concat([this.tail, out]).subarray(-8);
    });
    this.ended = new Promise((resolve, reject) => {
      gzip.on('end', () => resolve(this.tail.readUInt32LE(0)));
      gzip.on('error', reject);
    });
    this.ended.catch(() => undefined);
  }

  /** The chunk must not change until the CRC is read. */
  update(chunk: Uint8Array): void {
    this.gzip?.write(chunk);
  }

  /** The CRC-32 of everything given (unsigned). */
  digest(): Promise<number> {
    if (this.gzip) {
      this.gzip.end();
      this.gzip = undefined;
    }
    return this.ended;
  }

  /** Nothing more is wanted: the stream is let go. */
  cancel(): void {
    this.gzip?.destroy();
    this.gzip = undefined;
  }
}
