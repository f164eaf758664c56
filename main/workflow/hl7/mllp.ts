/**
 * MLLP framing (HL7 v2 Minimal Lower Layer Protocol, release 2): <VT> message <FS><CR>. Bytes outside a frame are
 * ignored; a frame longer than the limit is dropped with an error, and the connection carries on with the next.
 */
const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

export type MllpEvent = { kind: 'message'; bytes: Buffer } | { kind: 'oversized'; size: number };

export class MllpReader {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  private skipping = false;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): MllpEvent[] {
    const events: MllpEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(VT, at);
        if (start < 0) return events;
        this.inFrame = true;
        this.skipping = false;
        this.parts = [];
        this.size = 0;
        at = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, at);
      const piece = chunk.subarray(at, end < 0 ? chunk.length : end);
      if (!this.skipping) {
        this.size += piece.length;
        if (this.size > this.maxBytes) {
          this.skipping = true;
          this.parts = [];
        } else this.parts.push(piece);
      } else this.size += piece.length;
      if (end < 0) return events;
      events.push(
        this.skipping ? { kind: 'oversized', size: this.size } : { kind: 'message', bytes: Buffer.concat(this.parts) },
      );
      this.inFrame = false;
      this.parts = [];
      at = end + 1;
      if (chunk[at] === CR) at++;
    }
    return events;
  }
}

export function frame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from([VT]), message, Buffer.from([FS, CR])]);
}
