import { PDU_HEADER_LENGTH, PduError, AbortReason } from './pdu.ts';

/** A whole PDU cut out of the byte stream: its type byte and the body after the 6-byte header. */
export interface RawPdu {
  type: number;
  body: Buffer;
}

/**
 * Cuts the TCP byte stream into whole PDUs (PS3.8 9.3.1: type, reserved, 32-bit big-endian length).
 * A length above `maxBodyLength` is refused as soon as the header arrives, before buffering anything.
 */
export class PduReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxBodyLength: number;

  constructor(maxBodyLength: number) {
    this.maxBodyLength = maxBodyLength;
  }

  get pendingBytes(): number {
    return this.buffered;
  }

  /** Add bytes; returns every PDU completed by them, in order. */
  push(chunk: Buffer): RawPdu[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: RawPdu[] = [];
    for (;;) {
      if (this.buffered < PDU_HEADER_LENGTH) break;
      const head = this.peekHeader();
      const length = head.readUInt32BE(2);
      if (length > this.maxBodyLength) {
        throw new PduError(`PDU type 0x${head[0]!.toString(16)} announces ${length} bytes, more than the ${this.maxBodyLength} accepted`,
          AbortReason.InvalidPduParameterValue);
      }
      if (this.buffered < PDU_HEADER_LENGTH + length) break;
      const whole = this.take(PDU_HEADER_LENGTH + length);
      out.push({ type: whole[0]!, body: whole.subarray(PDU_HEADER_LENGTH) });
    }
    return out;
  }

  private peekHeader(): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= PDU_HEADER_LENGTH) return first;
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let result: Buffer;
    if (first.length >= n) {
      result = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      result = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const want = n - filled;
        if (c.length <= want) {
          c.copy(result, filled);
          filled += c.length;
          this.chunks.shift();
        } else {
          c.copy(result, filled, 0, want);
          this.chunks[0] = c.subarray(want);
          filled += want;
        }
      }
    }
    this.buffered -= n;
    return result;
  }
}
