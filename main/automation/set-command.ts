import { vrOf } from '../dicom/dictionary.ts';
import { tagOf } from './converter-vars.ts';

/**
 * Conquest's `set` in converters: `set TARGET [format "fmt"] to|if "value"|nil` (and `setifempty`), where TARGET is an
 * attribute by `gggg,eeee` or name, a variable `x`, `y`, `z`, or an attribute in a sequence item one deep:
 * `gggg,eeee.N/gggg,eeee` (item N, from 0) or the same with `*` for N (a new item), names allowed. `format` applies a
 * C format to the value (`%d %i %x %X %s %f %g %e`, with flags, width and precision; written `%%d` in the line, as
 * Conquest's variables take `%`).
 */

export type SetTarget =
  | { kind: 'variable'; name: string }
  | { kind: 'attribute'; tag: number }
  | { kind: 'item'; sequence: number; item: number | 'new'; tag: number };

export interface SetCommand {
  target: SetTarget;
  format?: string;
  how: 'to' | 'if';
  /** The quoted value ("" unescaped), or null for `to nil`. */
  value: string | null;
}

const SET = /^([A-Za-z0-9,.*/]+)\s+(?:format\s+"((?:[^"]|"")*)"\s+)?(to|if)\s+(?:"((?:[^"]|"")*)"|(nil))\s*$/i;

/** The parts of a `set` command, or the reason it is not one. */
export function parseSet(rest: string): SetCommand | { error: string } {
  const m = SET.exec(rest);
  if (!m) return { error: 'set is "set gggg,eeee [format "%%d"] to "value"" (or a name, x, y, z; "to nil" deletes)' };
  const [, target, format, how, quoted, nil] = m;
  const parsed = targetOf(target!);
  if ('error' in parsed) return parsed;
  return {
    target: parsed,
    format: format?.replace(/""/g, '"'),
    how: how!.toLowerCase() as 'to' | 'if',
    value: nil ? null : quoted!.replace(/""/g, '"'),
  };
}

function targetOf(text: string): SetTarget | { error: string } {
  if (/^[xyz]$/i.test(text)) return { kind: 'variable', name: text.toLowerCase() };
  const path = text.split('/');
  if (path.length === 1) {
    const tag = tagOf(text);
    return tag === undefined
      ? { error: `${text} is not gggg,eeee, a known attribute name, x, y or z` }
      : { kind: 'attribute', tag };
  }
  if (path.length > 2) return { error: `${text}: set reaches one sequence deep (sequence.N/attribute)` };
  const [sequencePart, attribute] = path as [string, string];
  const m = /^(.+)\.(\d+|\*)$/.exec(sequencePart);
  const sequence = tagOf(m ? m[1]! : sequencePart);
  if (sequence === undefined || vrOf(sequence) !== 'SQ')
    return { error: `${m ? m[1] : sequencePart} is not a sequence (gggg,eeee or its name)` };
  const tag = tagOf(attribute);
  if (tag === undefined) return { error: `${attribute} is not gggg,eeee or a known attribute name` };
  return { kind: 'item', sequence, item: !m ? 0 : m[2] === '*' ? 'new' : Number(m[2]), tag };
}

/** C's printf for one value: `%[flags][width][.precision](d|i|x|X|s|f|g|e)`, `%%` a percent sign. */
export function formatValue(format: string, value: string): string {
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([diuxXsfgeE%])/g, (_, flags: string, width, precision, kind) => {
    if (kind === '%') return '%';
    const number = Number.parseFloat(value);
    const n = Number.isNaN(number) ? 0 : number;
    let out: string;
    switch (kind) {
      case 'd':
      case 'i':
      case 'u':
        out = String(Math.trunc(n));
        break;
      case 'x':
        out = (Math.trunc(n) >>> 0).toString(16);
        break;
      case 'X':
        out = (Math.trunc(n) >>> 0).toString(16).toUpperCase();
        break;
      case 'f':
        out = n.toFixed(precision === undefined ? 6 : Number(precision));
        break;
      case 'e':
      case 'E':
        out = n.toExponential(precision === undefined ? 6 : Number(precision)).replace(/e([+-])(\d)$/, 'e$10$2');
        if (kind === 'E') out = out.toUpperCase();
        break;
      case 'g':
        out = String(Number(n.toPrecision(precision === undefined ? 6 : Math.max(1, Number(precision)))));
        break;
      default:
        out = precision === undefined ? value : value.slice(0, Number(precision));
    }
    if (kind !== 's' && flags.includes('+') && n >= 0) out = `+${out}`;
    const w = Number(width || 0);
    if (out.length >= w) return out;
    if (flags.includes('-')) return out.padEnd(w);
    if (flags.includes('0') && kind !== 's') {
      const sign = /^[+-]/.test(out) ? out[0]! : '';
      return sign + out.slice(sign.length).padStart(w - sign.length, '0');
    }
    return out.padStart(w);
  });
}
