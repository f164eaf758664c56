import { PDU_HEADER_LENGTH, PduError, PduType, AbortReason } from './pdu.ts';

/** A whole PDU other than P-DATA-TF: its type byte and the body after the 6-byte header. */
export interface RawPdu {
  kind: 'pdu';
  type: number;
  body: Buffer;
}

/**
 * A piece of one presentation data value of a P-DATA-TF, as it arrives: P-DATA bodies are not assembled, so pixel data
 * goes from the socket's buffers to the disk without a copy. `pdvEnd` marks the piece that completes its PDV.
 */
export interface PdvPiece {
  kind: 'pdv';
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Buffer;
  pdvEnd: boolean;
}

export type ReaderEvent = RawPdu | PdvPiece;

const PDV_HEADER_LENGTH = 6;

/**
 * Cuts the TCP byte stream into PDUs (PS3.8 9.3.1: type, reserved, 32-bit big-endian length) and P-DATA-TF bodies
 * into PDV pieces (PS3.8 9.3.5.1). A length above the limit is refused as soon as its header arrives.
 */
export class PduReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxBodyLength: number;
  /** Bytes of the current P-DATA-TF body not yet consumed (0: between PDUs). */
  private pdataLeft = 0;
  /** Payload bytes of the current PDV not yet delivered (0: a PDV header comes next). */
  private pdvLeft = 0;
  private pdv: { contextId: number; isCommand: boolean; isLast: boolean } | undefined;

  constructor(maxBodyLength: number) {
    this.maxBodyLength = maxBodyLength;
  }

  /** Add bytes; returns every PDU and PDV piece they complete, in order. */
  push(chunk: Buffer): ReaderEvent[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: ReaderEvent[] = [];
    for (;;) {
      if (this.pdataLeft > 0) {
        if (!this.stepPData(out)) break;
        continue;
      }
      if (this.buffered < PDU_HEADER_LENGTH) break;
      const head = this.peek(PDU_HEADER_LENGTH);
      const type = head[0]!;
      const length = head.readUInt32BE(2);
      if (length > this.maxBodyLength) {
        throw new PduError(
          `PDU type 0x${type.toString(16)} announces ${length} bytes, more than the ${this.maxBodyLength} accepted`,
          AbortReason.InvalidPduParameterValue,
        );
      }
      if (type === PduType.PData) {
        if (length < PDV_HEADER_LENGTH)
          throw new PduError(`P-DATA-TF of ${length} bytes holds no presentation data value`);
        this.take(PDU_HEADER_LENGTH);
        this.pdataLeft = length;
        continue;
      }
      if (this.buffered < PDU_HEADER_LENGTH + length) break;
      const whole = this.take(PDU_HEADER_LENGTH + length);
      out.push({ kind: 'pdu', type, body: whole.subarray(PDU_HEADER_LENGTH) });
    }
    return out;
  }

  /** Consume what is buffered of the current P-DATA body; false when more bytes are needed. */
  private stepPData(out: ReaderEvent[]): boolean {
    if (this.pdvLeft === 0) {
      if (this.pdataLeft < PDV_HEADER_LENGTH)
        throw new PduError(`${this.pdataLeft} stray bytes at the end of a P-DATA-TF`);
      if (this.buffered < PDV_HEADER_LENGTH) return false;
      const h = this.take(PDV_HEADER_LENGTH);
      const itemLength = h.readUInt32BE(0);
      if (itemLength < 2 || itemLength + 4 > this.pdataLeft) {
        throw new PduError(
          `presentation data value length ${itemLength} does not fit the ${this.pdataLeft} bytes left in its PDU`,
        );
      }
      this.pdataLeft -= PDV_HEADER_LENGTH;
      this.pdvLeft = itemLength - 2;
      this.pdv = { contextId: h[4]!, isCommand: (h[5]! & 0x01) !== 0, isLast: (h[5]! & 0x02) !== 0 };
      if (this.pdvLeft === 0) {
        out.push({ kind: 'pdv', ...this.pdv, data: Buffer.alloc(0), pdvEnd: true });
        return true;
      }
    }
    if (this.buffered === 0) return false;
    const n = Math.min(this.pdvLeft, this.chunks[0]!.length);
    const data = this.take(n);
    this.pdvLeft -= n;
    this.pdataLeft -= n;
    out.push({ kind: 'pdv', ...this.pdv!, data, pdvEnd: this.pdvLeft === 0 });
    return true;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged;
  }

  /** Remove n bytes from the front: a view into the socket's buffer when they lie in one chunk, a copy otherwise. */
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
