import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
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
    const file = hookFileOf(value);
    let chunk = value;
    if (file) {
      const full = path.resolve(folder, file.replace(/\\/g, '/'));
      if (!existsSync(full)) {
        errors.push(
          new ConfigError(doc.file, line, msg('[lua] {key}: no file {file} beside dicom.ini', { key, file })),
        );
        continue;
      }
      chunk = readFileSync(full, 'utf8');
    }
    const problem = await chunkSyntaxError(chunk, `[lua] ${name}`);
    if (problem) {
      errors.push(new ConfigError(doc.file, line, msg('[lua] {key}: {reason}', { key, reason: `Lua: ${problem}` })));
      continue;
    }
    hooks[name] = { name, chunk, line, file };
  }
  if (errors.length) throw new ConfigErrors(errors);
  return hooks;
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
