import { valueText } from '../dicom/dataset.ts';
import dcmjs from 'dcmjs';
import { CHARSET_VRS, NUMBER_VRS, TEXT_VRS } from '../dicom/vr.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { encodeText } from '../dicom/charset-encode.ts';
import { isSequence, textElement, textOf, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { keywordOf, vrOf } from '../dicom/dictionary.ts';
import { Tag } from '../dicom/tags.ts';
import { toUtf8 } from '../edit/object-rewrite.ts';
import { tagOf } from './converter-vars.ts';

/**
 * What Lua's `Data` reads and writes: an object's attributes by name (`Data.PatientID`, any case) or by
 * `Data['0010,0020']`, and items of sequences by path. A path is '' for the object itself, and `tttttttt.i` steps
 * (a sequence's tag in hex, then the item, from 0) joined by `/` for an item inside it. The data set is this object's
 * own copy: changes are made in place and the caller takes `root` back when the script is done.
 */

export class LuaDataError extends Error {}

const SEQUENCE_MARK = '\u0001SQ:';

export class ScriptData {
  root: DataSet;
  changed = false;
  constructor(root: DataSet) {
    this.root = root;
  }

  /** A value for Lua: text, a number for a single binary number, a sequence's path (marked), undefined when absent. */
  get(path: string, key: string): string | number | undefined {
    const tag = attributeTag(key, false);
    if (tag === undefined) return undefined;
    const e = this.item(path)?.get(tag);
    if (!e) return undefined;
    if (isSequence(e)) return `${SEQUENCE_MARK}${path ? `${path}/` : ''}${hex(tag)}`;
    const text = valueText(e, this.decoder());
    if (NUMBER_VRS[e.vr] && text !== '' && !text.includes('\\')) return Number(text);
    return text;
  }

  /** Set a value (nil deletes; `{}` makes an empty sequence, as Conquest does). */
  set(path: string, key: string, value: unknown, emptySequence = false): void {
    const tag = attributeTag(key);
    if (tag === Tag.PixelData) throw new LuaDataError('Pixel Data cannot be changed from a script in this version');
    this.changed = true;
    if (emptySequence) this.item(path, true)!.set(tag, { tag, vr: 'SQ', value: [] });
    else if (value === undefined || value === null) this.item(path)?.delete(tag);
    else {
      const vr = this.item(path)?.get(tag)?.vr ?? vrOf(tag);
      if (vr === 'SQ') throw new LuaDataError(`${key} is a sequence: assign {} to it, or set attributes of its items`);
      // The element first: it may move the whole object to UTF-8 (a new root), and the item is looked up in that.
      const element = this.element(tag, vr, valueString(value));
      this.item(path, true)!.set(tag, element);
    }
    const at = this.item(path);
    if (at) sortInPlace(at);
  }

  /** The number of items of the sequence at `path` (a sequence's path, without an item). */
  count(sequencePath: string): number {
    const { parent, tag } = splitSequencePath(sequencePath);
    const e = this.item(parent)?.get(tag);
    return e && isSequence(e) ? e.value.length : 0;
  }

  /** Remove item `index` of the sequence at `sequencePath`. */
  deleteItem(sequencePath: string, index: number): void {
    const { parent, tag } = splitSequencePath(sequencePath);
    const e = this.item(parent)?.get(tag);
    if (!e || !isSequence(e) || index < 0 || index >= e.value.length) return;
    e.value.splice(index, 1);
    this.changed = true;
  }

  /** Conquest's ListItems: names, VRs, groups and elements of the attributes, each a comma-separated list. */
  listItems(path: string): [string, string, string, string] {
    const at = this.item(path) ?? new Map();
    const tags = [...at.keys()];
    return [
      tags.map((t) => keywordOf(t) || hex(t)).join(','),
      tags.map((t) => at.get(t)!.vr).join(','),
      tags.map((t) => String(t >>> 16)).join(','),
      tags.map((t) => String(t & 0xffff)).join(','),
    ];
  }

  /** GetVR: an attribute's bytes (1-based in Lua); undefined when absent or a sequence. */
  bytes(path: string, tag: number): number[] | undefined {
    const e = this.item(path)?.get(tag);
    return e && Buffer.isBuffer(e.value) ? [...e.value] : undefined;
  }

  /** SetVR: an attribute from bytes, its VR from the dictionary (or the element's own). */
  setBytes(path: string, tag: number, bytes: number[]): void {
    if (tag === Tag.PixelData) throw new LuaDataError('Pixel Data cannot be changed from a script in this version');
    const at = this.item(path, true)!;
    const vr = at.get(tag)?.vr ?? vrOf(tag);
    if (vr === 'SQ') throw new LuaDataError('SetVR writes bytes, not sequences');
    at.set(tag, { tag, vr, value: Buffer.from(bytes.map((b) => Number(b) & 0xff)) });
    sortInPlace(at);
    this.changed = true;
  }

  /**
   * Conquest's `:Serialize()`: the attributes at `path` by name, as a Lua table constructor or (json) a JSON object;
   * sequences as lists of items; values that are bytes (pixel data, OB/OW/UN) left out.
   */
  serialize(path: string, json: boolean): string {
    const decode = this.decoder();
    const walk = (ds: DataSet): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const [tag, e] of ds) {
        const name = keywordOf(tag) || hex(tag);
        if (isSequence(e)) out[name] = e.value.map(walk);
        else if (NUMBER_VRS[e.vr] || TEXT_VRS.has(e.vr)) {
          const text = valueText(e, decode);
          out[name] = NUMBER_VRS[e.vr] && text !== '' && !text.includes('\\') ? Number(text) : text;
        }
      }
      return out;
    };
    const value = walk(this.item(path) ?? new Map());
    return json ? JSON.stringify(value) : luaLiteral(value);
  }

  /** Conquest's `:Reset()`: every attribute at `path` removed. */
  reset(path: string): void {
    if (!path) this.root = new Map();
    else this.item(path)?.clear();
    this.changed = true;
  }

  /** The data set at `path` (undefined when it is not there). */
  at(path: string): DataSet | undefined {
    return this.item(path);
  }

  /** The items of the sequence at `sequencePath` (none when it is not there). */
  itemsOf(sequencePath: string): DataSet[] {
    const { parent, tag } = splitSequencePath(sequencePath);
    const e = this.item(parent)?.get(tag);
    return e && isSequence(e) ? e.value : [];
  }

  /** Add `item` at the end of the sequence at `sequencePath` (made when it is not there). */
  appendItem(sequencePath: string, item: DataSet): void {
    const { parent, tag } = splitSequencePath(sequencePath);
    const at = this.item(parent, true)!;
    let e = at.get(tag);
    if (!e || !isSequence(e)) {
      e = { tag, vr: 'SQ', value: [] };
      at.set(tag, e);
      sortInPlace(at);
    }
    (e.value as DataSet[]).push(item);
    this.changed = true;
  }

  private decoding?: { root: DataSet; decode: (b: Buffer) => string };

  private decoder(): (b: Buffer) => string {
    if (this.decoding?.root === this.root) return this.decoding.decode;
    const charset = new CharacterSet(textOf(this.root.get(Tag.SpecificCharacterSet)) || undefined);
    const decode = (b: Buffer) => charset.decode(b);
    this.decoding = { root: this.root, decode };
    return decode;
  }

  private element(tag: number, vr: string, value: string): DicomElement {
    const number = NUMBER_VRS[vr];
    if (number) {
      const [size] = number;
      const values = value === '' ? [] : value.split('\\');
      const b = Buffer.alloc(size * values.length);
      for (const [i, v] of values.entries()) writeNumber(b, vr, i * size, v);
      return { tag, vr, value: b };
    }
    if (!TEXT_VRS.has(vr) && vr !== 'UN') throw new LuaDataError(`${keywordOf(tag) || hex(tag)} is ${vr}: use SetVR`);
    if (!CHARSET_VRS.has(vr)) return textElement(tag, vr, value);
    const charset = textOf(this.root.get(Tag.SpecificCharacterSet)) || 'ISO_IR 6';
    const bytes = encodeText(value, charset);
    if (bytes) return textElement(tag, vr, bytes);
    // Not in the object's character set: the object goes over to UTF-8, as the Edit form does.
    this.root = toUtf8(this.root);
    return textElement(tag, vr, Buffer.from(value, 'utf8'));
  }

  /** The data set at `path`; with `create`, items (and sequences) that are not there yet are added. */
  private item(path: string, create = false): DataSet | undefined {
    let at: DataSet = this.root;
    if (!path) return at;
    for (const step of path.split('/')) {
      const [tagText, indexText] = step.split('.');
      const tag = Number.parseInt(tagText!, 16);
      const index = Number(indexText ?? 0);
      let e = at.get(tag);
      if (!e || !isSequence(e)) {
        if (!create) return undefined;
        e = { tag, vr: 'SQ', value: [] };
        at.set(tag, e);
        sortInPlace(at);
      }
      const items = e.value as DataSet[];
      if (index >= items.length) {
        if (!create) return undefined;
        while (items.length <= index) items.push(new Map());
      }
      at = items[index]!;
    }
    return at;
  }
}

/** A deep copy of a data set whose values are Buffers again (after a worker's structured clone they are Uint8Arrays). */
export function ownCopy(ds: DataSet): DataSet {
  const out: DataSet = new Map();
  for (const [tag, e] of ds) {
    if (Array.isArray(e.value)) out.set(tag, { ...e, value: e.value.map(ownCopy) });
    else if (e.value instanceof Uint8Array) out.set(tag, { ...e, value: Buffer.from(e.value) });
    else out.set(tag, { ...e, value: { fragments: Buffer.from(e.value.fragments) } });
  }
  return out;
}

/** The key of a DicomArray of its own (newdicomarray, a query's answers): (7FFF,FFFF), which no object holds. */
const ARRAY_TAG = 2 ** 31 - 1;

/**
 * Every DICOM object a script holds: `Data` (handle 0, the object being converted) and those it makes or gets back
 * (newdicomobject, newdicomarray, Copy, a query's answers), each by handle for one run. Lua's paths name them:
 * '' and `tttttttt.i/...` are in Data, `@N|...` in object N; an array of its own is object N's one sequence.
 */
export class ScriptObjects {
  private readonly objects = new Map<number, ScriptData>();
  private next = 1;
  /** At most this many objects per run besides Data (a script that makes objects in a loop ends with an error). */
  static readonly MAX = 10000;

  constructor(data: ScriptData) {
    this.objects.set(0, data);
  }

  /** A new object holding `root` (the caller's own copy); its path. */
  add(root: DataSet = new Map()): string {
    if (this.objects.size > ScriptObjects.MAX)
      throw new LuaDataError(`a script may hold at most ${ScriptObjects.MAX} objects`);
    const handle = this.next++;
    this.objects.set(handle, new ScriptData(root));
    return `@${handle}|`;
  }

  /** A new array of these items (the caller's own copies); its path (a sequence's, for Lua's array()). */
  addArray(items: DataSet[]): string {
    const path = this.add(new Map([[ARRAY_TAG, { tag: ARRAY_TAG, vr: 'SQ', value: items }]]));
    return `${path}${hex(ARRAY_TAG)}`;
  }

  /** The object a path is in, and the path inside it. */
  resolve(path: string): { data: ScriptData; inner: string; prefix: string } {
    const m = /^@(\d+)\|(.*)$/s.exec(path);
    const handle = m ? Number(m[1]) : 0;
    const data = this.objects.get(handle);
    if (!data) throw new LuaDataError('that DICOM object was freed');
    return { data, inner: m ? m[2]! : path, prefix: m ? `@${handle}|` : '' };
  }

  /** A copy of the data set at an object's path (a sequence's path: its items, each a copy). */
  dataSetAt(path: string): DataSet {
    const { data, inner } = this.resolve(path);
    return ownCopy(data.at(inner) ?? new Map());
  }

  itemsAt(sequencePath: string): DataSet[] {
    const { data, inner } = this.resolve(sequencePath);
    return data.itemsOf(inner).map(ownCopy);
  }

  /** Add a copy of `item` at the end of the sequence (or array) at `sequencePath`. */
  append(sequencePath: string, item: DataSet): void {
    const { data, inner } = this.resolve(sequencePath);
    data.appendItem(inner, ownCopy(item));
  }

  free(path: string): void {
    const m = /^@(\d+)\|/.exec(path);
    if (m) this.objects.delete(Number(m[1]));
  }
}

/** A Lua table constructor for a value made of objects, lists, strings and numbers. */
function luaLiteral(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `{${v.map(luaLiteral).join(',')}}`;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) =>
    /^[A-Za-z_]\w*$/.test(k) ? `${k}=${luaLiteral(x)}` : `[${JSON.stringify(k)}]=${luaLiteral(x)}`,
  );
  return `{${entries.join(',')}}`;
}

/** A value that crossed a thread (a data set, or a list of them) with its data sets' values Buffers again. */
export function revived(value: unknown): unknown {
  if (value instanceof Map) return ownCopy(value as DataSet);
  if (Array.isArray(value)) return value.map(revived);
  return value;
}

function splitSequencePath(path: string): { parent: string; tag: number } {
  const cut = path.lastIndexOf('/');
  return { parent: cut < 0 ? '' : path.slice(0, cut), tag: Number.parseInt(path.slice(cut + 1), 16) };
}

const hex = (tag: number) => tag.toString(16).padStart(8, '0');

let lowerCaseNames: Map<string, number> | undefined;

/**
 * A tag from `gggg,eeee` or a keyword in any case (Conquest's scripts say `SopInstanceUID` as well); an unknown name
 * is an error, or undefined when reading (`Data.X == nil` holds for what this dictionary does not know).
 */
export function attributeTag(key: string): number;
export function attributeTag(key: string, strict: false): number | undefined;
export function attributeTag(key: string, strict = true): number | undefined {
  const tag = tagOf(key);
  if (tag !== undefined) return tag;
  if (!lowerCaseNames) {
    lowerCaseNames = new Map();
    const names = dcmjs.data.DicomMetaDictionary.nameMap as Record<string, { tag: string }>;
    for (const [name, entry] of Object.entries(names)) {
      const m = /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(entry.tag);
      if (m) lowerCaseNames.set(name.toLowerCase(), Number.parseInt(m[1]! + m[2]!, 16));
    }
  }
  const found = lowerCaseNames.get(key.toLowerCase());
  if (found === undefined && strict) throw new LuaDataError(`${key} is not an attribute name or gggg,eeee`);
  return found;
}

function valueString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
  if (typeof value === 'boolean') return value ? '1' : '0';
  throw new LuaDataError(`a ${typeof value} cannot be an attribute's value`);
}

function writeNumber(b: Buffer, vr: string, at: number, text: string): void {
  const n = Number(text);
  if (Number.isNaN(n)) throw new LuaDataError(`"${text}" is not a number (${vr})`);
  if (vr === 'US') b.writeUInt16LE(n & 0xffff, at);
  else if (vr === 'SS') b.writeInt16LE(Math.max(-32768, Math.min(32767, n)), at);
  else if (vr === 'UL') b.writeUInt32LE(n >>> 0, at);
  else if (vr === 'SL') b.writeInt32LE(n | 0, at);
  else if (vr === 'FL') b.writeFloatLE(n, at);
  else if (vr === 'FD') b.writeDoubleLE(n, at);
  else if (vr === 'SV') b.writeBigInt64LE(BigInt(Math.trunc(n)), at);
  else b.writeBigUInt64LE(BigInt(Math.trunc(n)), at);
}

function sortInPlace(ds: DataSet): void {
  const sorted = [...ds].sort((a, b) => a[0] - b[0]);
  ds.clear();
  for (const [k, v] of sorted) ds.set(k, v);
}

export { SEQUENCE_MARK };
