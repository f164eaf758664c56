import { answerCharacterSet, encodeText } from '../dicom/charset-encode.ts';
import { encodeDataSet, isSequence } from '../dicom/dataset.ts';
import type { TransferSyntaxEncoding } from '../../common/uids.ts';
import type { KeyAttribute } from './attributes.ts';
import { qrAnswer, type QrRequest, type Row } from './identifier.ts';
import { LEVEL_NAMES, qrAttribute } from './attributes.ts';
import { Tag } from '../dicom/tags.ts';
import { LONG_VRS } from '../dicom/vr.ts';

/**
 * C-FIND answers written straight into one buffer per match, from a plan made once per request: a query of a thousand
 * matches must not build a thousand element maps. Gives the same bytes as encoding `qrAnswer` (tests hold it to that).
 */

interface Slot {
  tag: number;
  vr: string;
  /** The value comes from the row. */
  attr?: KeyAttribute;
  /** A value that is the same in every answer (empty for unsupported keys). */
  fixed?: Buffer;
  /** The answer's Specific Character Set goes here. */
  charset?: boolean;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return false;
  return true;
}

export class QrAnswerWriter {
  private readonly slots: Slot[];
  private readonly textAttrs: KeyAttribute[];
  private readonly request: QrRequest;
  private readonly explicit: boolean;
  private readonly fallback: ((row: Row) => Buffer) | undefined;

  constructor(request: QrRequest, retrieveAeTitle: string, encoding: TransferSyntaxEncoding) {
    this.request = request;
    this.explicit = encoding.explicitVR;
    // Big endian answers are rare enough to take the general path.
    this.fallback = encoding.littleEndian
      ? undefined
      : (row) => encodeDataSet(qrAnswer(row, request, retrieveAeTitle), encoding);
    const slots: Slot[] = [
      { tag: Tag.SpecificCharacterSet, vr: 'CS', charset: true },
      { tag: Tag.QueryRetrieveLevel, vr: 'CS', fixed: Buffer.from(LEVEL_NAMES[request.level], 'latin1') },
    ];
    for (const [tag, e] of request.identifier) {
      if (tag === Tag.SpecificCharacterSet || tag === Tag.QueryRetrieveLevel) continue;
      const attr = qrAttribute(tag, request.level, request.added);
      if (attr && attr.level <= request.level) slots.push({ tag, vr: attr.vr, attr });
      else if (tag === Tag.RetrieveAETitle)
        slots.push({ tag, vr: 'AE', fixed: Buffer.from(retrieveAeTitle, 'latin1') });
      else if (tag === Tag.InstanceAvailability) slots.push({ tag, vr: 'CS', fixed: Buffer.from('ONLINE', 'latin1') });
      else slots.push({ tag, vr: isSequence(e) ? 'SQ' : e.vr, fixed: Buffer.alloc(0) });
    }
    this.slots = slots.sort((a, b) => a.tag - b.tag);
    this.textAttrs = slots.flatMap((s) => (s.attr?.text ? [s.attr] : []));
  }

  write(row: Row): Buffer {
    if (this.fallback) return this.fallback(row);
    const values: (string | Buffer | undefined)[] = new Array(this.slots.length);
    let allAscii = true;
    for (let i = 0; i < this.slots.length; i++) {
      const attr = this.slots[i]!.attr;
      if (!attr) continue;
      const v = row[attr.keyword];
      const text = v === null || v === undefined ? '' : String(v);
      values[i] = text;
      if (attr.text && allAscii && !isAscii(text)) allAscii = false;
    }
    const charset = allAscii
      ? this.request.requestCharset
      : answerCharacterSet(
          this.request.requestCharset,
          this.textAttrs.map((a) => String(row[a.keyword] ?? '')),
        );
    let total = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      let value: string | Buffer | undefined;
      if (slot.charset) value = charset ? Buffer.from(charset, 'latin1') : undefined;
      else if (slot.fixed) value = slot.fixed;
      else if (slot.attr!.vr === 'US') {
        const n = values[i] as string;
        const b = Buffer.alloc(n === '' ? 0 : 2);
        if (n !== '') b.writeUInt16LE(Number(n), 0);
        value = b;
      } else {
        const text = values[i] as string;
        value = slot.attr!.text && !isAscii(text) ? (encodeText(text, charset) ?? Buffer.from(text, 'utf8')) : text;
      }
      values[i] = value;
      if (value === undefined) continue;
      const length = typeof value === 'string' ? value.length : value.length;
      total += this.headerLength(slot.vr) + length + (length & 1);
    }
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      const slot = this.slots[i]!;
      const length = value.length;
      const padded = length + (length & 1);
      out.writeUInt16LE(slot.tag >>> 16, at);
      out.writeUInt16LE(slot.tag & 0xffff, at + 2);
      if (!this.explicit) {
        out.writeUInt32LE(padded, at + 4);
        at += 8;
      } else if (LONG_VRS.has(slot.vr)) {
        out.write(slot.vr, at + 4, 'latin1');
        out.writeUInt16LE(0, at + 6);
        out.writeUInt32LE(padded, at + 8);
        at += 12;
      } else {
        out.write(slot.vr, at + 4, 'latin1');
        out.writeUInt16LE(padded, at + 6);
        at += 8;
      }
      if (typeof value === 'string') out.write(value, at, 'latin1');
      else value.copy(out, at);
      at += length;
      if (length & 1) out[at++] = slot.vr === 'UI' || slot.vr === 'OB' || slot.vr === 'UN' ? 0 : 0x20;
    }
    return out;
  }

  private headerLength(vr: string): number {
    return !this.explicit ? 8 : LONG_VRS.has(vr) ? 12 : 8;
  }
}
