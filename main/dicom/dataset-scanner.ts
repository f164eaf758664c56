import type { TransferSyntaxEncoding } from '../../common/uids.ts';
import { Tag } from './tags.ts';
import { LONG_VRS } from './vr.ts';

/**
 * Walks a data set as its bytes stream in (PS3.5 7.1-7.5), checking its structure to the last byte and keeping the
 * values of a few top-level elements (for the index). Everything else is skipped by counting, so pixel data costs
 * nothing and memory stays flat whatever the object's size.
 */

export class DataSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataSetError';
  }
}

export interface CapturedValue {
  vr: string;
  value: Buffer;
}

const ITEM = Tag.Item;
const ITEM_DELIMITER = Tag.ItemDelimitationItem;
const SEQUENCE_DELIMITER = Tag.SequenceDelimitationItem;
const PIXEL_DATA = Tag.PixelData;
const UNDEFINED = 0xffffffff;

type FrameKind = 'sequence' | 'item' | 'fragments';
interface Frame {
  kind: FrameKind;
  explicitVR: boolean;
}

export class DataSetScanner {
  readonly captured = new Map<number, CapturedValue>();
  private readonly wanted: ReadonlySet<number>;
  private readonly maxCapture: number;
  private readonly littleEndian: boolean;
  private readonly stack: Frame[] = [];
  private explicitVR: boolean;
  private readonly rootExplicitVR: boolean;
  private pending: Buffer = Buffer.alloc(0);
  private skipRemaining = 0;
  private capture: { tag: number; vr: string; length: number } | null = null;
  private offset = 0;
  /** Where the top-level Pixel Data element's header starts, once seen (an editor copies from there on unchanged). */
  pixelDataOffset: number | undefined;

  constructor(encoding: TransferSyntaxEncoding, wanted: ReadonlySet<number>, maxCapture = 64 * 1024) {
    this.explicitVR = encoding.explicitVR;
    this.rootExplicitVR = encoding.explicitVR;
    this.littleEndian = encoding.littleEndian;
    this.wanted = wanted;
    this.maxCapture = maxCapture;
  }

  /** Bytes seen so far. */
  get bytesScanned(): number {
    return this.offset;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, chunk.length - at);
        this.skipRemaining -= n;
        at += n;
        this.offset += n;
        continue;
      }
      const need = this.capture ? this.capture.length : this.headerNeed();
      const have = this.pending.length;
      const take = Math.min(need - have, chunk.length - at);
      this.pending =
        have === 0
          ? Buffer.from(chunk.subarray(at, at + take))
          : Buffer.concat([this.pending, chunk.subarray(at, at + take)]);
      at += take;
      this.offset += take;
      if (this.pending.length < need) continue;
      if (this.capture) {
        this.captured.set(this.capture.tag, { vr: this.capture.vr, value: this.pending });
        this.capture = null;
        this.pending = Buffer.alloc(0);
      } else if (this.pending.length === need && need === this.headerNeed()) {
        const header = this.pending;
        this.pending = Buffer.alloc(0);
        this.onHeader(header);
      }
    }
  }

  /** Call once all bytes were pushed; throws if the data set stops inside an element or a sequence. */
  end(): void {
    if (this.skipRemaining > 0 || this.capture) {
      throw new DataSetError(
        `data set ends ${this.skipRemaining || this.capture?.length} bytes short inside an element value (at byte ${this.offset})`,
      );
    }
    if (this.pending.length > 0)
      throw new DataSetError(`data set ends inside an element header (at byte ${this.offset})`);
    if (this.stack.length > 0)
      throw new DataSetError(`data set ends inside an undefined-length ${this.stack[this.stack.length - 1]!.kind}`);
  }

  /** How many header bytes to read next; explicit VR headers need 6 bytes to learn whether they are 8 or 12 long. */
  private headerNeed(): number {
    const top = this.stack[this.stack.length - 1];
    if (top && top.kind !== 'item') return 8; // inside a sequence or fragments only items and delimiters occur
    if (!this.explicitVR) return 8;
    if (this.pending.length < 6) return 6;
    const tag = this.readTag(this.pending, 0);
    if (tag >>> 16 === 0xfffe) return 8;
    return LONG_VRS.has(this.pending.toString('latin1', 4, 6)) ? 12 : 8;
  }

  private readTag(buf: Buffer, at: number): number {
    const g = this.littleEndian ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
    const e = this.littleEndian ? buf.readUInt16LE(at + 2) : buf.readUInt16BE(at + 2);
    return ((g << 16) | e) >>> 0;
  }

  private u32(buf: Buffer, at: number): number {
    return this.littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  }

  private u16(buf: Buffer, at: number): number {
    return this.littleEndian ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  }

  private onHeader(h: Buffer): void {
    const tag = this.readTag(h, 0);
    const top = this.stack[this.stack.length - 1];
    if (tag === PIXEL_DATA && this.stack.length === 0) this.pixelDataOffset = this.offset - h.length;
    if (tag >>> 16 === 0xfffe) return this.onDelimiterOrItem(tag, this.u32(h, 4), top);
    if (top && top.kind !== 'item') throw this.error(`element ${tagText(tag)} found where an item was expected`);

    let vr = '';
    let length: number;
    if (this.explicitVR) {
      vr = h.toString('latin1', 4, 6);
      if (!/^[A-Z]{2}$/.test(vr))
        throw this.error(`element ${tagText(tag)} has no valid VR (bytes ${h.subarray(4, 6).toString('hex')})`);
      length = h.length === 12 ? this.u32(h, 8) : this.u16(h, 6);
    } else {
      length = this.u32(h, 4);
    }

    if (length === UNDEFINED) {
      if (tag === PIXEL_DATA && this.stack.length === 0) {
        this.stack.push({ kind: 'fragments', explicitVR: this.explicitVR });
      } else if (!this.explicitVR || vr === 'SQ' || vr === 'UN') {
        // An undefined-length UN holds implicit VR LE content (PS3.5 6.2.2 note).
        this.stack.push({ kind: 'sequence', explicitVR: vr === 'UN' ? false : this.explicitVR });
      } else {
        throw this.error(`element ${tagText(tag)} with VR ${vr} has undefined length`);
      }
      return;
    }
    if (this.stack.length === 0 && this.wanted.has(tag) && length <= this.maxCapture) {
      if (length === 0) this.captured.set(tag, { vr, value: Buffer.alloc(0) });
      else this.capture = { tag, vr, length };
      return;
    }
    this.skipRemaining = length;
  }

  private onDelimiterOrItem(tag: number, length: number, top: Frame | undefined): void {
    if (tag === ITEM) {
      if (!top || top.kind === 'item') throw this.error('item found outside a sequence');
      if (length !== UNDEFINED) {
        this.skipRemaining = length;
        return;
      }
      if (top.kind === 'fragments') throw this.error('pixel data fragment with undefined length');
      this.stack.push({ kind: 'item', explicitVR: top.explicitVR });
      this.explicitVR = top.explicitVR;
      return;
    }
    if (tag === ITEM_DELIMITER) {
      if (top?.kind !== 'item') throw this.error('item delimiter outside an undefined-length item');
      this.stack.pop();
      return;
    }
    if (tag === SEQUENCE_DELIMITER) {
      if (!top || top.kind === 'item') throw this.error('sequence delimiter outside an undefined-length sequence');
      this.stack.pop();
      this.explicitVR = this.enclosingExplicitVR();
      return;
    }
    throw this.error(`unexpected delimiter tag ${tagText(tag)}`);
  }

  private enclosingExplicitVR(): boolean {
    for (let i = this.stack.length - 1; i >= 0; i--)
      if (this.stack[i]!.kind === 'item') return this.stack[i]!.explicitVR;
    return this.rootExplicitVR;
  }

  private error(message: string): DataSetError {
    return new DataSetError(`${message} (at byte ${this.offset})`);
  }
}

export function tagText(tag: number): string {
  const g = (tag >>> 16).toString(16).padStart(4, '0').toUpperCase();
  const e = (tag & 0xffff).toString(16).padStart(4, '0').toUpperCase();
  return `(${g},${e})`;
}
