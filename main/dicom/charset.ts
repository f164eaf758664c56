import { TextDecoder } from 'node:util';

/**
 * Decode string values under a Specific Character Set (0008,0005), PS3.3 C.12.1.1.2 and PS3.5 6.1.
 * Single-byte sets map to TextDecoder labels; ISO 2022 values switch sets by escape sequence, and the state returns to
 * the initial one at each value and each person name component group (PS3.5 6.1.2.5.3).
 */

const SINGLE_BYTE: Record<string, string> = {
  'ISO_IR 100': 'latin1',
  'ISO 2022 IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO 2022 IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO 2022 IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO 2022 IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO 2022 IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO 2022 IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO 2022 IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO 2022 IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO 2022 IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO 2022 IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO 2022 IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO 2022 IR 13': 'shift_jis',
};

/** The Specific Character Set terms read without escape sequences (the conformance statement lists them). */
export function plainCharacterSets(): string[] {
  return ['ISO_IR 6', ...Object.keys(SINGLE_BYTE), ...Object.keys(WHOLE_VALUE)];
}

/** Whole-value multi-byte sets that use no escape sequences. */
const WHOLE_VALUE: Record<string, string> = {
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** ISO 2022 escape sequences (after ESC) and the decoder each selects; 'ascii' is the default G0. */
const ESCAPES: [string, string][] = [
  ['(B', 'ascii'],
  ['(J', 'ascii'],
  ['-A', 'latin1'],
  ['-B', 'iso-8859-2'],
  ['-C', 'iso-8859-3'],
  ['-D', 'iso-8859-4'],
  ['-L', 'iso-8859-5'],
  ['-G', 'iso-8859-6'],
  ['-F', 'iso-8859-7'],
  ['-H', 'iso-8859-8'],
  ['-M', 'iso-8859-9'],
  ['-b', 'iso-8859-15'],
  ['-T', 'windows-874'],
  [')I', 'shift_jis'],
  ['$B', 'jis0208'],
  ['$(D', 'jis0212'],
  ['$)C', 'euc-kr'],
  ['$)A', 'gbk'],
];

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

function decodeSingle(bytes: Uint8Array, label: string): string {
  // TextDecoder('latin1') is windows-1252 per WHATWG; ISO 8859-1 is Buffer's latin1.
  if (label === 'latin1' || label === 'ascii') return Buffer.from(bytes).toString('latin1');
  return decoder(label).decode(bytes);
}

export class CharacterSet {
  readonly terms: string[];
  private readonly initial: string;
  private readonly iso2022: boolean;

  constructor(specificCharacterSet: string | undefined) {
    this.terms = (specificCharacterSet ?? '').split('\\').map((t) => t.trim());
    const first = this.terms[0] ?? '';
    this.iso2022 = this.terms.some((t) => t.startsWith('ISO 2022')) || this.terms.length > 1;
    this.initial = WHOLE_VALUE[first] ?? SINGLE_BYTE[first] ?? 'latin1';
  }

  /** Terms we cannot decode; callers log them, and values fall back to Latin-1. */
  unknownTerms(): string[] {
    return this.terms.filter(
      (t) =>
        t !== '' &&
        t !== 'ISO_IR 6' &&
        t !== 'ISO 2022 IR 6' &&
        t !== 'ISO 2022 IR 87' &&
        t !== 'ISO 2022 IR 159' &&
        t !== 'ISO 2022 IR 149' &&
        t !== 'ISO 2022 IR 58' &&
        !(t in SINGLE_BYTE) &&
        !(t in WHOLE_VALUE),
    );
  }

  decode(bytes: Uint8Array): string {
    if (!this.iso2022 || !bytes.includes(0x1b)) return decodeSingle(bytes, this.initial);
    return this.decodeIso2022(bytes);
  }

  private decodeIso2022(bytes: Uint8Array): string {
    let out = '';
    let current = this.initial;
    let start = 0;
    const flush = (end: number) => {
      if (end > start) out += decodeSegment(bytes.subarray(start, end), current);
    };
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x1b) {
        flush(i);
        const match = ESCAPES.find(([seq]) => matches(bytes, i + 1, seq));
        if (!match) {
          start = i;
          continue;
        }
        current = match[1];
        i += match[0].length;
        start = i + 1;
      } else if (b === 0x3d /* = */ || b === 0x5c /* \ */ || b === 0x0d || b === 0x0a) {
        flush(i);
        out += String.fromCharCode(b);
        current = this.initial;
        start = i + 1;
      }
    }
    flush(bytes.length);
    return out;
  }
}

function matches(bytes: Uint8Array, at: number, seq: string): boolean {
  for (let k = 0; k < seq.length; k++) if (bytes[at + k] !== seq.charCodeAt(k)) return false;
  return true;
}

function decodeSegment(bytes: Uint8Array, label: string): string {
  if (label === 'jis0208' || label === 'jis0212') {
    // Re-wrap the 7-bit JIS X 0208 bytes in their escape so the ISO-2022-JP decoder reads them.
    const wrapped = Buffer.concat([
      Buffer.from([0x1b, 0x24, 0x42]),
      Buffer.from(bytes),
      Buffer.from([0x1b, 0x28, 0x42]),
    ]);
    return decoder('iso-2022-jp').decode(wrapped);
  }
  return decodeSingle(bytes, label);
}
