import { valueText } from '../dicom/dataset.ts';
import { NUMBER_VRS, TEXT_VRS } from '../dicom/vr.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, textOf, type DataSet } from '../dicom/dataset.ts';
import { keywordOf } from '../dicom/dictionary.ts';
import { Tag } from '../dicom/tags.ts';
import { LuaDataError, attributeTag, type ScriptData } from './lua-data.ts';

/** A script's objects as text and back: Conquest's `DicomObject:new(json)` and `:Dump(file)`. */

/**
 * `DicomObject:new(json)`: the attributes of a JSON object by name (or "gggg,eeee"), as `:Serialize(true)` writes
 * them, set at `path`; an array is a sequence of items (objects), null leaves the attribute out.
 */
export function fillFromJson(data: ScriptData, path: string, text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LuaDataError(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new LuaDataError('the JSON is an object of attributes by name');
  const fill = (at: string, values: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === null) continue;
      if (!Array.isArray(value)) {
        if (isObject(value)) throw new LuaDataError(`${key}: a sequence is a list of items`);
        data.set(at, key, value);
        continue;
      }
      const tag = attributeTag(key);
      data.set(at, key, undefined, true);
      const sequence = `${at ? `${at}/` : ''}${tag.toString(16).padStart(8, '0')}`;
      for (const item of value) {
        if (!isObject(item)) throw new LuaDataError(`${key}: each item of a sequence is an object`);
        data.appendItem(sequence, new Map());
        fill(`${sequence}.${data.itemsOf(sequence).length - 1}`, item);
      }
    }
  };
  fill(path, parsed);
}

/** `:Dump()`: the attributes at `path` as dcmdump shows them, one per line, items indented (bytes by their length). */
export function dumpText(data: ScriptData, path: string): string {
  const charset = new CharacterSet(textOf(data.root.get(Tag.SpecificCharacterSet)) || undefined);
  const decode = (b: Buffer) => charset.decode(b);
  const lines: string[] = [];
  const walk = (ds: DataSet, indent: string) => {
    for (const [tag, e] of ds) {
      const hex = tag.toString(16).padStart(8, '0');
      const head = `${indent}(${hex.slice(0, 4)},${hex.slice(4)}) ${e.vr}`;
      const name = keywordOf(tag) ? ` # ${keywordOf(tag)}` : '';
      if (isSequence(e)) {
        lines.push(`${head} (Sequence with ${e.value.length} item(s))${name}`);
        e.value.forEach((item: DataSet, i: number) => {
          lines.push(`${indent}  (fffe,e000) na (Item ${i + 1})`);
          walk(item, `${indent}    `);
        });
      } else if (NUMBER_VRS[e.vr] || TEXT_VRS.has(e.vr)) lines.push(`${head} [${valueText(e, decode)}]${name}`);
      else {
        const bytes = Buffer.isBuffer(e.value) || e.value instanceof Uint8Array ? e.value.length : 0;
        lines.push(`${head} (${bytes} bytes)${name}`);
      }
    }
  };
  walk(data.at(path) ?? new Map(), '');
  return `${lines.join('\n')}\n`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
