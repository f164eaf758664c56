import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { IniDocument } from '../../common/ini-document.ts';
import { msg } from '../../common/message.ts';
import { ConfigError, ConfigErrors } from './config-error.ts';
import { chunkSyntaxError } from '../automation/lua-syntax.ts';

/**
 * dicom.ini's `[lua]` section, as Conquest reads it: a Lua chunk run at each event. `startup` once the archive serves,
 * `association` when a peer asks for an association (its `reject()` refuses it), `command` for each request on one,
 * `endassociation` when one ends, `clienterror` when one ends in an error, `nightly` at 03:00, `background` about
 * once a second. A value that only loads a file (`require('name')`, `dofile('name.lua')`, `name.lua`) runs that file
 * from beside dicom.ini, as Conquest's scripts usually do.
 */

export const LUA_HOOKS = [
  'startup',
  'association',
  'command',
  'endassociation',
  'clienterror',
  'nightly',
  'background',
] as const;

export type LuaHookName = (typeof LUA_HOOKS)[number];

export interface LuaHook {
  name: LuaHookName;
  chunk: string;
  line: number;
  /** The file it runs, when the value names one. */
  file?: string;
}

export type LuaHooks = Partial<Record<LuaHookName, LuaHook>>;

export const LUA_SECTION = 'lua';

/** The hooks of dicom.ini; an unknown key, a file that is not there, or a chunk that does not compile is refused. */
export async function readLuaHooks(doc: IniDocument, folder = path.dirname(doc.file)): Promise<LuaHooks> {
  const hooks: LuaHooks = {};
  const errors: ConfigError[] = [];
  for (const { key, value, line } of doc.entries(LUA_SECTION)) {
    const name = LUA_HOOKS.find((h) => h === key.toLowerCase());
    if (!name) {
      errors.push(
        new ConfigError(
          doc.file,
          line,
          msg('[lua] {key}: not a hook this version runs ({hooks})', { key, hooks: LUA_HOOKS.join(', ') }),
        ),
      );
      continue;
    }
    if (!value.trim()) continue;
    const loaded = await hookChunk(value, folder, `[lua] ${name}`);
    if ('missing' in loaded) {
      errors.push(
        new ConfigError(
          doc.file,
          line,
          msg('[lua] {key}: no file {file} beside dicom.ini', { key, file: loaded.missing }),
        ),
      );
      continue;
    }
    if ('syntaxError' in loaded) {
      errors.push(
        new ConfigError(doc.file, line, msg('[lua] {key}: {reason}', { key, reason: `Lua: ${loaded.syntaxError}` })),
      );
      continue;
    }
    const { chunk, file } = loaded;
    hooks[name] = { name, chunk, line, file };
  }
  if (errors.length) throw new ConfigErrors(errors);
  return hooks;
}

/**
 * A hook's value as Lua would run it: its chunk (the file it only loads, read from `folder`), or why it cannot run: the
 * file is not there, or Lua's syntax error (the chunk named `name`, else its file's name, else `Lua`). Nothing runs.
 */
export async function hookChunk(
  value: string,
  folder: string,
  name?: string,
): Promise<{ chunk: string; file?: string } | { missing: string } | { syntaxError: string }> {
  const file = hookFileOf(value);
  let chunk = value;
  if (file) {
    const loaded = await readFile(path.resolve(folder, file.replace(/\\/g, '/')), 'utf8').catch(() => undefined);
    if (loaded === undefined) return { missing: file };
    chunk = loaded;
  }
  const error = await chunkSyntaxError(chunk, name ?? file ?? 'Lua');
  return error ? { syntaxError: error } : { chunk, file };
}

/** The file a value only loads: `require('association')` is association.lua, `dofile('x.lua')` and `x.lua` are x.lua. */
export function hookFileOf(value: string): string | undefined {
  const v = value.trim();
  const required = /^require\s*\(?\s*['"]([\w./\\-]+)['"]\s*\)?\s*;?$/.exec(v);
  if (required) return required[1]!.endsWith('.lua') ? required[1] : `${required[1]}.lua`;
  const done = /^dofile\s*\(?\s*['"]([\w./\\-]+\.lua)['"]\s*\)?\s*;?$/i.exec(v);
  if (done) return done[1];
  return /^[\w./\\-]+\.lua$/i.test(v) ? v : undefined;
}
