import { TextDecoder } from 'node:util';

/**
 * Writing string values in a Specific Character Set (PS3.5 6.1): for answers (C-FIND, worklist), which go back in the
 * requester's character set when every value fits in it, and in UTF-8 (ISO_IR 192) when one does not.
 */

/** Single-byte terms we can write, with the ISO 8859 part whose upper half they use. */
const SINGLE_BYTE: Record<string, string> = {
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
};
export const UTF8_TERM = 'ISO_IR 192';

const tables = new Map<string, Map<string, number>>();

function tableFor(label: string): Map<string, number> {
  let t = tables.get(label);
  if (!t) {
    t = new Map();
    const upper = Buffer.alloc(128);
    for (let i = 0; i < 128; i++) upper[i] = 128 + i;
    const text = label === 'latin1' ? upper.toString('latin1') : new TextDecoder(label).decode(upper);
    // A decoder maps unassigned bytes to U+FFFD; those are simply not in the table.
    [...text].forEach((ch, i) => {
      if (ch !== '\ufffd') t!.set(ch, 128 + i);
    });
    tables.set(label, t);
  }
  return t;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return false;
  return true;
}

/** Encode `text` in the first term of `specificCharacterSet`; undefined when a character does not fit. */
export function encodeText(text: string, specificCharacterSet: string): Buffer | undefined {
  if (isAscii(text)) return Buffer.from(text, 'latin1');
  const term = specificCharacterSet.split('\\')[0]!.trim();
  if (term === UTF8_TERM) return Buffer.from(text, 'utf8');
  const label = SINGLE_BYTE[term];
  if (!label) return undefined;
  const table = tableFor(label);
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code < 0x80) out[n++] = code;
    else {
      const b = table.get(ch);
      if (b === undefined) return undefined;
      out[n++] = b;
    }
  }
  return out.subarray(0, n);
}

/**
 * The character set for an answer holding `texts`: none when all are ASCII, the requester's when they all fit in it,
 * else UTF-8.
 */
export function answerCharacterSet(requested: string, texts: Iterable<string>): string {
  let allAscii = true;
  for (const t of texts) {
    if (isAscii(t)) continue;
    allAscii = false;
    if (!requested || encodeText(t, requested) === undefined) return UTF8_TERM;
  }
  return allAscii ? requested : requested || UTF8_TERM;
}
