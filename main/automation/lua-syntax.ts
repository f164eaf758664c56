import type { Statement } from './converter-script.ts';
import { commandWord } from './converter-script.ts';
import { luaChunk } from './converter-run.ts';
import { ScriptEngine } from './lua-engine.ts';

/**
 * Lua chunks in converter lines compiled (not run) when dicom.ini is read or saved, so a syntax error is refused with
 * its converter and line, as any other mistake in a converter, instead of showing only when an object arrives. One Lua
 * state is kept for it, made when first needed.
 */

let checker: Promise<ScriptEngine> | undefined;

/** Every Lua chunk of `statements` (blocks included), in order. */
export function luaChunksOf(statements: readonly Statement[]): { chunk: string; column: number }[] {
  const out: { chunk: string; column: number }[] = [];
  for (const s of statements) {
    if (s.kind === 'block') out.push(...luaChunksOf(s.body));
    else if (['lua', 'lua:'].includes(commandWord(s.text).name))
      out.push({ chunk: luaChunk(s.text), column: s.column });
  }
  return out;
}

/** The first syntax error of a converter's Lua chunks (`ImportConverter3:1: unexpected symbol ...`), with its column. */
export async function luaSyntaxError(
  name: string,
  statements: readonly Statement[],
): Promise<{ column: number; error: string } | undefined> {
  for (const c of luaChunksOf(statements)) {
    const error = await chunkSyntaxError(c.chunk, name);
    if (error) return { column: c.column, error: `Lua: ${error}` };
  }
  return undefined;
}

/** One chunk's syntax error as Lua reports it (`name:1: ...`), or undefined when it compiles. */
export async function chunkSyntaxError(chunk: string, name: string): Promise<string | undefined> {
  checker ??= ScriptEngine.create(16 << 20);
  return (await checker).syntaxError(chunk, name);
}
