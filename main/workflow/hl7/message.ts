import { msg, SaidError, type Message } from '../../../common/message.ts';
/**
 * HL7 v2 messages (HL7 v2.5 chapter 2): segments separated by carriage returns, fields by MSH-1, and within a field
 * repetitions, components, subcomponents by MSH-2's characters, with escape sequences (2.7). The bytes are decoded in the
 * character set MSH-18 names (table 0211); a message whose MSH cannot be read is a Hl7Error, answered with AR.
 */

export class Hl7Error extends SaidError {
  /** HL7 table 0357 error code: 100 segment sequence, 101 required field missing, 102 data type, 200 unsupported message type, 207 application error. */
  readonly code: number;
  constructor(code: number, message: Message | string) {
    super(message);
    this.name = 'Hl7Error';
    this.code = code;
  }
}

export interface Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

/** One segment: its name and fields, numbered as HL7 numbers them (for MSH, field 1 is the field separator). */
export class Segment {
  readonly name: string;
  private readonly fields: string[];
  private readonly d: Delimiters;

  constructor(raw: string, d: Delimiters) {
    this.d = d;
    const parts = raw.split(d.field);
    this.name = parts[0]!;
    // MSH-1 is the separator itself, so MSH's fields shift by one against the split.
    this.fields = this.name === 'MSH' ? ['MSH', d.field, ...parts.slice(1)] : parts;
  }

  /** Field n's raw text (escapes kept), '' when absent. */
  raw(n: number): string {
    return this.fields[n] ?? '';
  }

  /** Field n, repetition r (0-based), component c and subcomponent s (1-based), unescaped; '' when absent. */
  get(n: number, c = 1, s = 1, r = 0): string {
    const repetition = (this.name === 'MSH' && n <= 2 ? [this.raw(n)] : this.raw(n).split(this.d.repetition))[r] ?? '';
    if (this.name === 'MSH' && n <= 2) return repetition;
    const component = repetition.split(this.d.component)[c - 1] ?? '';
    return unescape(component.split(this.d.subcomponent)[s - 1] ?? '', this.d);
  }

  /** Every component of field n's first repetition, unescaped. */
  components(n: number): string[] {
    return (this.raw(n).split(this.d.repetition)[0] ?? '')
      .split(this.d.component)
      .map((c) => unescape(c.split(this.d.subcomponent)[0] ?? '', this.d));
  }
}

export interface Hl7Message {
  delimiters: Delimiters;
  segments: Segment[];
  /** MSH-9: ORM, O01 (and the structure, MSH-9.3, when given). */
  type: string;
  trigger: string;
  controlId: string;
  version: string;
  /** MSH-18 as given ('' when empty) and the decoder used. */
  charset: string;
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  processingId: string;
}

/** HL7 table 0211 names of the character sets we read, and their decoders. */
const CHARSETS: Record<string, string> = {
  '': 'latin1',
  ASCII: 'latin1',
  '8859/1': 'latin1',
  '8859/2': 'iso-8859-2',
  'UNICODE UTF-8': 'utf-8',
};

export function charsetLabel(name: string): string | undefined {
  return CHARSETS[name.trim().toUpperCase()];
}

/** Parse one message's bytes; `defaultCharset` is used when MSH-18 is empty (HL7 says ASCII). */
export function parseMessage(bytes: Buffer, defaultCharset = 'ASCII'): Hl7Message {
  // MSH's first fields are ASCII in every character set table 0211 names: read them first to learn MSH-18.
  const head = bytes.toString('latin1', 0, Math.min(bytes.length, 4096));
  if (!head.startsWith('MSH') || head.length < 8)
    throw new Hl7Error(100, msg('the message does not start with an MSH segment'));
  const d: Delimiters = {
    field: head[3]!,
    component: head[4]!,
    repetition: head[5]!,
    escape: head[6]!,
    subcomponent: head[7]!,
  };
  if (new Set(Object.values(d)).size !== 5 || /[\r\n\w]/.test(Object.values(d).join('')))
    throw new Hl7Error(102, msg('MSH-1/MSH-2 "{value}" are not five distinct delimiters', { value: head.slice(3, 8) }));
  const msh = new Segment(head.split(/\r\n|\r|\n/)[0]!, d);
  const charset = msh.get(18);
  const label = charsetLabel(charset || defaultCharset);
  if (!label)
    throw new Hl7Error(
      102,
      msg('MSH-18 character set "{charset}" is not one this archive reads (ASCII, 8859/1, 8859/2, UNICODE UTF-8)', {
        charset,
      }),
    );
  let decoded: string;
  try {
    decoded = label === 'latin1' ? bytes.toString('latin1') : new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    throw new Hl7Error(102, msg('the message is not valid {value}', { value: charset || defaultCharset }));
  }
  const segments = decoded
    .split(/\r\n|\r|\n/)
    .filter((s) => s.trim())
    .map((s) => new Segment(s, d));
  const first = segments[0]!;
  for (const s of segments)
    if (!/^[A-Z][A-Z0-9]{2}$/.test(s.name))
      throw new Hl7Error(100, msg('"{value}" is not a segment name', { value: s.name.slice(0, 10) }));
  const type = first.get(9, 1);
  const trigger = first.get(9, 2);
  const controlId = first.get(10);
  if (!type) throw new Hl7Error(101, msg('MSH-9 (message type) is empty'));
  if (!controlId) throw new Hl7Error(101, msg('MSH-10 (message control ID) is empty'));
  return {
    delimiters: d,
    segments,
    type: type.toUpperCase(),
    trigger: trigger.toUpperCase(),
    controlId,
    version: first.get(12),
    charset,
    sendingApplication: first.raw(3),
    sendingFacility: first.raw(4),
    receivingApplication: first.raw(5),
    receivingFacility: first.raw(6),
    processingId: first.get(11) || 'P',
  };
}

/** The first segment with this name, or undefined. */
export function segment(message: Hl7Message, name: string): Segment | undefined {
  return message.segments.find((s) => s.name === name);
}

/** HL7 escape sequences (2.7.1): \F\ \S\ \T\ \R\ \E\, \Xhh..\ as bytes, \.br\ as a line break; others dropped. */
export function unescape(text: string, d: Delimiters): string {
  if (!text.includes(d.escape)) return text;
  const e = d.escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  return text.replace(new RegExp(`${e}([^${e}]*)${e}`, 'g'), (_m, code: string) => {
    switch (code[0]) {
      case 'F':
        return d.field;
      case 'S':
        return d.component;
      case 'T':
        return d.subcomponent;
      case 'R':
        return d.repetition;
      case 'E':
        return d.escape;
      case 'X':
        return Buffer.from(code.slice(1), 'hex').toString('latin1');
      case '.':
        return code === '.br' ? '\n' : '';
      default:
        return '';
    }
  });
}

/** Escape text for a field (the reverse of `unescape`). */
export function escape(text: string, d: Delimiters): string {
  return [...text]
    .map((ch) => {
      if (ch === d.escape) return `${d.escape}E${d.escape}`;
      if (ch === d.field) return `${d.escape}F${d.escape}`;
      if (ch === d.component) return `${d.escape}S${d.escape}`;
      if (ch === d.subcomponent) return `${d.escape}T${d.escape}`;
      if (ch === d.repetition) return `${d.escape}R${d.escape}`;
      if (ch === '\r' || ch === '\n') return ' ';
      return ch;
    })
    .join('');
}
