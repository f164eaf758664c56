/**
 * Conquest's converter language (its Windows manual, "ImportConverters" and the command table after it), read into
 * statements: commands separated by `;` outside double quotes, `{ ... }` blocks, and tests (`ifequal "a", "b"`, ...)
 * whose failure skips the next statement or block, as Conquest runs them. `lua:chunk` takes the rest of the line.
 * Parsing checks only the shape; what each command means is the runner's (converter-run.ts).
 */

export type Statement =
  | { kind: 'command'; text: string; column: number }
  /** `{ ... }`; or, with `call`, a script called by name (`call NAME`, `NAME`, `file.lua`): each of its lines a block. */
  | { kind: 'block'; body: Statement[]; column: number; call?: string };

export class ConverterSyntaxError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.column = column;
  }
}

/** The statements of one converter line; an unbalanced quote or brace is refused with its column (1-based). */
export function parseConverter(line: string): Statement[] {
  const pieces: { text: string; column: number }[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && line.startsWith('lua:', i) && line.slice(start, i).trim() === '') {
      i = line.length - 1;
    } else if (!quoted && (c === ';' || c === '{' || c === '}')) {
      pieces.push({ text: line.slice(start, i), column: start + 1 });
      if (c !== ';') pieces.push({ text: c, column: i + 1 });
      start = i + 1;
    }
  }
  if (quoted) throw new ConverterSyntaxError('a string is not closed (")', line.lastIndexOf('"') + 1);
  pieces.push({ text: line.slice(start), column: start + 1 });
  const stack: Statement[][] = [[]];
  const opened: number[] = [];
  for (const p of pieces) {
    const lead = p.text.length - p.text.trimStart().length;
    const text = p.text.trim();
    if (!text) continue;
    if (text === '{') {
      const block: Statement = { kind: 'block', body: [], column: p.column };
      stack.at(-1)!.push(block);
      stack.push(block.body);
      opened.push(p.column);
    } else if (text === '}') {
      if (stack.length === 1) throw new ConverterSyntaxError('a } without its {', p.column);
      stack.pop();
      opened.pop();
    } else stack.at(-1)!.push({ kind: 'command', text, column: p.column + lead });
  }
  if (stack.length > 1) throw new ConverterSyntaxError('a { is not closed', opened.at(-1)!);
  return stack[0]!;
}

/** A command's name (lower case) and the rest of it. */
export function commandWord(text: string): { name: string; rest: string } {
  const m = /^([A-Za-z_][\w.]*)(?::|\s*)(.*)$/s.exec(text);
  if (!m) return { name: text.toLowerCase(), rest: '' };
  // lua:chunk keeps what follows the colon.
  if (/^lua:/i.test(text)) return { name: 'lua:', rest: text.slice(4) };
  return { name: m[1]!.toLowerCase(), rest: m[2]!.trim() };
}

/** The quoted arguments of a test (`"a", "b"`), in order; undefined when they are not all quoted strings. */
export function quotedArguments(rest: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*"((?:[^"]|"")*)"\s*(,|$)/y;
  let at = 0;
  while (at < rest.length) {
    re.lastIndex = at;
    const m = re.exec(rest);
    if (!m) return undefined;
    out.push(m[1]!.replace(/""/g, '"'));
    at = re.lastIndex;
    if (m[2] === '') break;
  }
  return at >= rest.trimEnd().length ? out : undefined;
}
