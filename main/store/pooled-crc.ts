import { crc32, createGzip, type Gzip } from 'node:zlib';

/** Output buffer of the gzip stream: one per object, so the stream calls back once per write, not per 16 KB. */
const OUT_CHUNK = 1 << 20;
/** The first bytes of an object go to the thread pool; beyond them its CRC is computed at once, as they are given. */
const POOLED_BYTES = 4 << 20;

/**
 * The CRC-32 of bytes given in order, computed for their first 4 MB in libuv's thread pool instead of the event loop:
 * zlib's gzip at level 0 (stored blocks, no compression) computes the CRC-32 of its input there and ends its output with
 * it (RFC 1952 trailer: CRC-32, then the input's size, little-endian). The output itself is dropped as it comes. The
 * event loop keeps only the cost of handing each chunk over, about half of computing the CRC itself: the ingest's
 * receiving thread is the one that decides its rate, and most objects (CT, MR) are well under 4 MB. Past 4 MB the rest
 * is computed on the event loop as it arrives and joined to the first part's (crc32Combine): what waits for the pool
 * and the copies it makes stay bounded whatever the object's size.
 */
export class PooledCrc {
  private gzip: Gzip | undefined;
  private tail = Buffer.alloc(0);
  private readonly ended: Promise<number>;
  private pooled = 0;
  /** CRC-32 and length of what came after the pooled part. */
  private rest = 0;
  private restBytes = 0;

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
    if (this.restBytes === 0 && this.pooled + chunk.length <= POOLED_BYTES) {
      this.pooled += chunk.length;
      this.gzip?.write(chunk);
    } else {
      this.rest = crc32(chunk, this.rest);
      this.restBytes += chunk.length;
    }
  }

  /** The CRC-32 of everything given (unsigned). */
  async digest(): Promise<number> {
    if (this.gzip) {
      this.gzip.end();
      this.gzip = undefined;
    }
    const head = await this.ended;
    return this.restBytes ? crc32Combine(head, this.rest, this.restBytes) : head;
  }

  /** Nothing more is wanted: the stream is let go. */
  cancel(): void {
    this.gzip?.destroy();
    this.gzip = undefined;
  }
}

/**
 * The CRC-32 of two byte runs one after the other, from each run's CRC-32 and the second's length: appending `length`
 * zero bits to the first is a linear map over GF(2), applied by squaring its 32x32 matrix once per bit of the length.
 */
export function crc32Combine(first: number, second: number, length: number): number {
  if (length <= 0) return first >>> 0;
  // The operator for one zero bit: shift right, folding the reflected polynomial in when the low bit drops out.
  let odd: Uint32Array = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1; n < 32; n++) odd[n] = 1 << (n - 1);
  let even: Uint32Array = square(odd); // two zero bits
  odd = square(even); // four
  let crc = first >>> 0;
  let left = length;
  // Each step squares the operator: one, two, four... zero bytes; applied where the length has that bit.
  for (;;) {
    even = square(odd);
    if (left % 2) crc = times(even, crc);
    left = Math.floor(left / 2);
    if (!left) break;
    odd = square(even);
    if (left % 2) crc = times(odd, crc);
    left = Math.floor(left / 2);
    if (!left) break;
  }
  return (crc ^ second) >>> 0;
}

function times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i]!;
  return sum >>> 0;
}

function square(matrix: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let n = 0; n < 32; n++) out[n] = times(matrix, matrix[n]!);
  return out;
}
