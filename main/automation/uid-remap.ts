import { createHash } from 'node:crypto';
import { isSequence, textElement, textOf, type DataSet } from '../dicom/dataset.ts';
import { keywordOf } from '../dicom/dictionary.ts';
import { tagOf } from './converter-vars.ts';

/**
 * Conquest's `newuids` and `olduids` in converters: every UID of the object (any UI attribute at any depth, but SOP
 * Class UIDs and the Transfer Syntax UID, as Conquest decides by the attribute's name) replaced by a new one, and back.
 * `except` names what to keep: attributes (`gggg,eeee`), UID values, or `gggg,eeee=UID` to set one to a given UID;
 * `stage NAME` keeps a separate mapping. The same old UID always gets the same new one, in every object and after a
 * restart: the new UID is derived from the old by a keyed hash (the archive's own key), and the pairs are kept in the
 * index so `olduids` can undo it. `stage #NAME` is one way: a hash without the key or the index, the same on every
 * installation (Conquest's MD5 stage).
 */

export interface UidCommand {
  direction: 'new' | 'old';
  stage: string;
  oneWay: boolean;
  keepTags: Set<number>;
  keepUids: Set<string>;
  setTo: Map<number, string>;
}

export function parseUidCommand(direction: 'new' | 'old', rest: string): UidCommand | { error: string } {
  const command: UidCommand = {
    direction,
    stage: '',
    oneWay: false,
    keepTags: new Set(),
    keepUids: new Set(),
    setTo: new Map(),
  };
  const words = rest.trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!.toLowerCase();
    if (word === 'stage') {
      const name = words[++i];
      if (!name) return { error: 'stage needs a name' };
      command.oneWay = name.startsWith('#');
      command.stage = command.oneWay ? name.slice(1) : name;
      if (command.oneWay && direction === 'old') return { error: 'a #stage is one way: olduids cannot undo it' };
    } else if (word === 'except') {
      const list = words[++i];
      if (!list) return { error: 'except needs gggg,eeee|UID|gggg,eeee=UID' };
      for (const item of list.split(/[|;]/).filter(Boolean)) {
        const [name, uid] = item.split('=');
        const tag = tagOf(name!);
        if (uid !== undefined) {
          if (tag === undefined) return { error: `${name} is not gggg,eeee or an attribute name` };
          command.setTo.set(tag, uid);
        } else if (tag !== undefined) command.keepTags.add(tag);
        else if (/^[0-9.]+$/.test(item)) command.keepUids.add(item);
        else return { error: `${item} is not gggg,eeee, an attribute name or a UID` };
      }
    } else return { error: `"${words[i]}" is not part of ${direction}uids (except ..., stage NAME)` };
  }
  return command;
}

/** A new UID for `old`: keyed (and recorded) or one way, always the same for the same old UID and stage. */
export function newUidFor(old: string, stage: string, key: string | undefined): string {
  const digest = createHash('sha256')
    .update(`${key ?? ''}\0${stage}\0${old}`)
    .digest('hex');
  return `2.25.${BigInt(`0x${digest.slice(0, 30)}`).toString()}`;
}

/** The UIDs `command` applies to in `ds` (values, each once). */
export function uidsIn(ds: DataSet, command: UidCommand): string[] {
  const out = new Set<string>();
  walk(ds, command, (uid) => {
    out.add(uid);
    return uid;
  });
  return [...out];
}

/** `ds` with every UID `command` applies to passed through `map` (a copy; the given set is not changed). */
export function remapUids(ds: DataSet, command: UidCommand, map: (uid: string) => string): DataSet {
  return walk(ds, command, map);
}

function walk(ds: DataSet, command: UidCommand, map: (uid: string) => string): DataSet {
  const out: DataSet = new Map();
  for (const [tag, e] of ds) {
    if (isSequence(e)) {
      out.set(tag, { ...e, value: e.value.map((item) => walk(item, command, map)) });
      continue;
    }
    const to = command.setTo.get(tag);
    if (to !== undefined) {
      out.set(tag, textElement(tag, 'UI', to));
      continue;
    }
    // The Transfer Syntax UID is in the file's meta information, never in the data set this walks.
    if (e.vr !== 'UI' || command.keepTags.has(tag) || keywordOf(tag).includes('Class')) {
      out.set(tag, e);
      continue;
    }
    const values = textOf(e).split('\\');
    if (values.every((v) => v === '' || command.keepUids.has(v))) {
      out.set(tag, e);
      continue;
    }
    const mapped = values.map((v) => (v === '' || command.keepUids.has(v) ? v : map(v)));
    out.set(tag, textElement(tag, 'UI', mapped.join('\\')));
  }
  return out;
}
