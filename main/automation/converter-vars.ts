import { newUid } from '../../common/uids.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, textOf, valueText, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { keywordTag } from '../dicom/dictionary.ts';
import { Tag } from '../dicom/tags.ts';
import { crc32 } from 'node:zlib';
import path from 'node:path';

/**
 * Conquest's `%` variables in converter text (its Windows manual, "ImportConverters"): `%m %s %o %i %u %c %d %g %n %t
 * %% %^ %~ %[`, `%f %b %p` (the stored file, its name and folder: export converters; '' before the object is stored), the general-purpose `%x %y %z`, and `%V` for any attribute of the object by tag (`%V0010,0010`), by
 * name (`%VPatientName`), in any sequence (`%V*gggg,eeee`) or along a path of items (`%V/gggg,eeee.N/gggg,eeee`); each
 * may be followed by `[first,last]` (inclusive, from 0) or `[,n]` (the last n characters), then `^` (upper case) or
 * `~` (lower case). `%A`, `%E` and `%R` take the same references as `%V` and give the value's CRC-32 (decimal), its
 * new UID (as newuids gives it, the pair kept for olduids and %R) and the old UID a new one stands for. `%QPgggg,eeee`,
 * `%QS`, `%QE` and `%QW` give an attribute of the object's patient, study or series as the index holds it, or of the
 * worklist entry with its Accession Number; `%QXgggg,eeee` (any other letter) the value replaced from aliasfileqX.txt
 * beside dicom.ini (`old<TAB>new` lines). The index and files are read before the statement runs (lookups: the
 * driver fills them in), as is `%V(path)ref`: `ref` in the stored object whose SOP Instance UID `path` gives here.
 */

export interface VariableContext {
  dataSet: DataSet;
  callingAe: string;
  calledAe: string;
  /** The general-purpose variables x, y and z (set by `set x to ...`). */
  vars: Map<string, string>;
  /** Now, for %d (tests give a fixed time). */
  now?: () => Date;
  /** %s in a retrieve converter: the C-MOVE destination (elsewhere the object's Station Name). */
  stationName?: string;
  /** %f (and %b, %p): the stored object's file, in export converters ('' where the object is not stored yet). */
  file?: string;
  /** %E's new UID for an old one (as newuids gives it; the runner keeps the pair for olduids and %R). */
  changeUid?: (oldUid: string) => string;
  /** What %R and %Q read from the index and files, by lookupKey(), filled in before the statement runs. */
  lookups?: ReadonlyMap<string, string>;
}

/** What %R and %Q need looked up before a statement runs (lookupsIn). */
export type Lookup =
  | { key: string; kind: 'olduid'; uid: string }
  /** %V(path)ref: `ref` in the stored object whose SOP Instance UID is `uid`. */
  | { key: string; kind: 'object'; uid: string; prefix: string; ref: string }
  | { key: string; kind: 'index'; level: 'P' | 'S' | 'E' | 'W'; tag: number; dataSet: DataSet }
  | { key: string; kind: 'alias'; letter: string; value: string };

const ATTRIBUTE_REF =
  /^(\*|\/)?([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}(?:\.\d+)?(?:\/[0-9A-Fa-f]{4},[0-9A-Fa-f]{4}(?:\.\d+)?)*|[A-Za-z][A-Za-z0-9]*)/;
const QUERY_REF = /^Q([A-Za-z])([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})/;
/** `%V(path)ref`: the path (in this object) that gives a SOP Instance UID, then the reference in that object. */
export const OTHER_OBJECT_REF = new RegExp(`^\\((\\*|\\/)?([^)]+)\\)${ATTRIBUTE_REF.source.slice(1)}`);

export class UnsupportedVariable extends Error {}

/** The one-letter variables (and %% %^ %~ %[). */
export const SIMPLE_VARIABLES: ReadonlySet<string> = new Set([
  'm',
  's',
  'o',
  'i',
  'u',
  'c',
  'd',
  'g',
  'n',
  't',
  '%',
  '^',
  '~',
  '[',
  'x',
  'y',
  'z',
  'f',
  'b',
  'p',
]);

/** `text` with its variables replaced. */
export function expandVariables(text: string, ctx: VariableContext): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '%' || i + 1 >= text.length) {
      out += text[i++];
      continue;
    }
    const code = text[i + 1]!;
    let value: string;
    if (code === 'V' && text[i + 2] === '(') {
      const ref = OTHER_OBJECT_REF.exec(text.slice(i + 2));
      if (!ref) throw new UnsupportedVariable(`%V${text.slice(i + 2, i + 20)}: not %V(/gggg,eeee/...)gggg,eeee`);
      value = lookedUp(ctx, otherObjectKey(ref, ctx.dataSet));
      i += 2 + ref[0].length;
    } else if (code === 'V' || code === 'A' || code === 'E' || code === 'R') {
      const ref = ATTRIBUTE_REF.exec(text.slice(i + 2));
      if (!ref) throw new UnsupportedVariable(`%${code}${text.slice(i + 2, i + 12)}: not an attribute reference`);
      value = attributeValue(ctx.dataSet, ref[1] ?? '', ref[2]!);
      if (code === 'A') value = String(crc32(value) >>> 0);
      else if (code === 'E' && value) {
        if (!ctx.changeUid) throw new UnsupportedVariable('%E needs the archive: not from here');
        value = ctx.changeUid(value);
      } else if (code === 'R' && value) value = lookedUp(ctx, `R:${value}`);
      i += 2 + ref[0].length;
    } else if (code === 'Q') {
      const ref = QUERY_REF.exec(text.slice(i + 1));
      if (!ref)
        throw new UnsupportedVariable(
          `%Q${text.slice(i + 2, i + 11)}: not %QPgggg,eeee (P, S, E, W or a file's letter)`,
        );
      value = lookedUp(ctx, queryKey(ref, ctx.dataSet));
      i += 1 + ref[0].length;
    } else if (SIMPLE_VARIABLES.has(code)) {
      value = simple(code, ctx);
      i += 2;
      if (code === '%' || code === '^' || code === '~' || code === '[' || code === 'n' || code === 't') {
        out += value;
        continue;
      }
    } else {
      throw new UnsupportedVariable(`%${code} is not a variable this version runs`);
    }
    // [first,last] or [,n], then ^ or ~.
    const range = /^\[(-?\d*),(-?\d+)\]/.exec(text.slice(i));
    if (range) {
      value = substring(value, range[1] === '' ? undefined : Number(range[1]), Number(range[2]));
      i += range[0].length;
    }
    if (text[i] === '^') {
      value = value.toUpperCase();
      i++;
    } else if (text[i] === '~') {
      value = value.toLowerCase();
      i++;
    }
    out += value;
  }
  return out;
}

function lookedUp(ctx: VariableContext, key: string): string {
  const value = ctx.lookups?.get(key);
  if (value === undefined) throw new UnsupportedVariable('%R and %Q read the index: not from here');
  return value;
}

function otherObjectKey(ref: RegExpExecArray, ds: DataSet): string {
  const uid = attributeValue(ds, ref[1] ?? '', ref[2]!);
  return `O:${uid}:${ref[3] ?? ''}${ref[4]}`;
}

function queryKey(ref: RegExpExecArray, ds: DataSet): string {
  const letter = ref[1]!.toUpperCase();
  const tag = `${ref[2]},${ref[3]}`.toLowerCase();
  return 'PSEW'.includes(letter) ? `Q${letter}:${tag}` : `Q${letter}:${tag}:${attributeValue(ds, '', tag)}`;
}

/** The lookups a statement's %R and %Q need, with the object as it is now (each once). */
export function lookupsIn(text: string, ds: DataSet): Lookup[] {
  const out = new Map<string, Lookup>();
  for (let i = 0; i < text.length - 1; i++) {
    if (text[i] !== '%') continue;
    const code = text[i + 1]!;
    if (code === 'V' && text[i + 2] === '(') {
      const ref = OTHER_OBJECT_REF.exec(text.slice(i + 2));
      if (!ref) continue;
      const key = otherObjectKey(ref, ds);
      const uid = attributeValue(ds, ref[1] ?? '', ref[2]!);
      out.set(key, { key, kind: 'object', uid, prefix: ref[3] ?? '', ref: ref[4]! });
    } else if (code === 'R') {
      const ref = ATTRIBUTE_REF.exec(text.slice(i + 2));
      const uid = ref ? attributeValue(ds, ref[1] ?? '', ref[2]!) : '';
      if (uid) out.set(`R:${uid}`, { key: `R:${uid}`, kind: 'olduid', uid });
    } else if (code === 'Q') {
      const ref = QUERY_REF.exec(text.slice(i + 1));
      if (!ref) continue;
      const key = queryKey(ref, ds);
      const letter = ref[1]!.toUpperCase();
      const tag = Number.parseInt(ref[2]! + ref[3]!, 16);
      if ('PSEW'.includes(letter))
        out.set(key, { key, kind: 'index', level: letter as 'P' | 'S' | 'E' | 'W', tag, dataSet: ds });
      else out.set(key, { key, kind: 'alias', letter, value: attributeValue(ds, '', `${ref[2]},${ref[3]}`) });
    }
    i++;
  }
  return [...out.values()];
}

/** Conquest's substring: characters first..last inclusive, or (no first) the last `last` characters. */
export function substring(s: string, first: number | undefined, last: number): string {
  let a = first ?? -1;
  let b = last;
  if (a > s.length) a = s.length;
  if (a < 0) {
    a = s.length - b;
    b = s.length;
  }
  if (a < 0) a = 0;
  if (b > s.length) b = s.length;
  return b >= a ? s.slice(a, b + 1) : s;
}

function simple(code: string, ctx: VariableContext): string {
  const ds = ctx.dataSet;
  switch (code) {
    case 'm':
      return text(ds, Tag.Modality);
    case 's':
      return ctx.stationName ?? text(ds, Tag.StationName);
    case 'o':
      return text(ds, Tag.SOPInstanceUID);
    case 'i':
      return text(ds, Tag.PatientID);
    case 'u':
      return ctx.callingAe;
    case 'c':
      return ctx.calledAe;
    case 'd':
      return ctime((ctx.now ?? (() => new Date()))());
    case 'g':
      return newUid();
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'x':
    case 'y':
    case 'z':
      return ctx.vars.get(code) ?? '';
    case 'f':
      return ctx.file ?? '';
    case 'b':
      return ctx.file ? path.basename(ctx.file) : '';
    case 'p':
      return ctx.file ? path.dirname(ctx.file) + path.sep : '';
    default:
      return code; // %% %^ %~ %[
  }
}

/** C's ctime() without its newline: "Mon Dec  7 13:45:00 2026", as Conquest writes %d. */
function ctime(d: Date): string {
  const day = d.toLocaleString('en-US', { weekday: 'short' });
  const month = d.toLocaleString('en-US', { month: 'short' });
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day} ${month} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

/** The tag of `gggg,eeee` or of a keyword of the dictionary. */
export function tagOf(ref: string): number | undefined {
  const m = /^([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})$/.exec(ref);
  if (m) return Number.parseInt(m[1]! + m[2]!, 16);
  return keywordTag(ref)?.tag;
}

/** A reference's value in `ds`: `prefix` '' (by tag or name), '*' (in any sequence) or '/' (along a path of items). */
export function attributeValue(ds: DataSet, prefix: string, ref: string): string {
  if (prefix === '*') {
    const tag = tagOf(ref);
    return tag === undefined ? '' : anywhere(ds, tag, decoderOf(ds));
  }
  if (prefix === '/') {
    // A path of items: each step but the last names a sequence and, after a dot, the item (the first by default).
    const steps = ref.split('/');
    let at: DataSet | undefined = ds;
    for (const step of steps.slice(0, -1)) {
      const [seq, n] = step.split('.');
      const e: DicomElement | undefined = at?.get(tagOf(seq!) ?? -1);
      at = e && isSequence(e) ? e.value[Number(n ?? 0)] : undefined;
    }
    const tag = tagOf(steps.at(-1)!.split('.')[0]!);
    return at && tag !== undefined ? valueText(at.get(tag), decoderOf(ds)) : '';
  }
  const tag = tagOf(ref);
  return tag === undefined ? '' : valueText(ds.get(tag), decoderOf(ds));
}

/** The first value of `tag` at this level or in any item below it. */
function anywhere(ds: DataSet, tag: number, decode: (b: Buffer) => string): string {
  const here = ds.get(tag);
  if (here) return valueText(here, decode);
  for (const e of ds.values()) {
    if (!isSequence(e)) continue;
    for (const item of e.value) {
      const found = anywhere(item, tag, decode);
      if (found) return found;
    }
  }
  return '';
}

function decoderOf(ds: DataSet): (b: Buffer) => string {
  const charset = new CharacterSet(textOf(ds.get(Tag.SpecificCharacterSet)) || undefined);
  return (b) => charset.decode(b);
}

function text(ds: DataSet, tag: number): string {
  return valueText(ds.get(tag), decoderOf(ds));
}
