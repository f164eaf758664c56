import { valueText } from '../dicom/dataset.ts';
import { TEXT_VRS } from '../dicom/vr.ts';
import type { DataSet, DicomElement } from '../dicom/dataset.ts';
import { vrOf } from '../dicom/dictionary.ts';
import { parseCompressionCode } from '../../common/compression-code.ts';
import { HOST_PORT } from '../../common/forward-rule.ts';
import { SaidError } from '../../common/message.ts';
import { applyChanges } from '../edit/object-rewrite.ts';
import { type Statement, commandWord, parseConverter, quotedArguments } from './converter-script.ts';
import {
  parseDelayedDelete,
  parseDelayedGet,
  parseDelayedMerge,
  parseDelayedSubmit,
  parseDelayedProcess,
  parseForwardCommand,
  parsePreretrieve,
  splitScriptClause,
  type DelayedDelete,
  type DelayedGet,
  type DelayedMerge,
  type DelayedSubmit,
  type DelayedProcess,
  type ForwardCommand,
} from './forward-command.ts';
import { formatValue, parseSet, type SetCommand } from './set-command.ts';
import { parseSaveCommand, type SaveCommand } from './save-command.ts';
import { newUidFor, parseUidCommand, remapUids, type UidCommand } from './uid-remap.ts';
import { ScriptData, ownCopy } from './lua-data.ts';
import {
  OTHER_OBJECT_REF,
  SIMPLE_VARIABLES,
  expandVariables,
  lookupsIn,
  tagOf,
  type Lookup,
  type VariableContext,
} from './converter-vars.ts';

/**
 * Running Conquest converter lines on one object, as Conquest does for ImportConverters: statements in order, a test
 * that fails skips the next statement (or block), `stop`/`silentstop`/`return` end the line, `destroy`/`destroy2` drop
 * the object (the sender hears success), `reject` drops it and the sender hears a failure. `set`, `setifempty` and
 * `delete` change the object's attributes (or the variables x, y, z); `forward to AE` sends it on once stored. What a
 * line may say is checked when dicom.ini is read (checkConverter): a command this version does not run is refused there,
 * with its column, never skipped at run time.
 */

export type ConverterOutcome = 'store' | 'destroy' | 'reject';

export interface ConverterResult {
  outcome: ConverterOutcome;
  /** `destroy` is logged, `destroy2` is not. */
  quiet: boolean;
  /** The object as the converters left it (the same map when nothing changed). */
  dataSet: DataSet;
  changed: boolean;
  /** `forward ...` in order: at once once stored, or delayed (with a level). */
  forwards: ForwardCommand[];
  /** `write`/`append "text" to file`, in order: the caller writes them (inside the data folder only). */
  files: FileOp[];
  /** `system command line` (run only where AllowExternalCommands = 1; each run audited). */
  commands: string[];
  /** `compression CC`: the code the object is stored in (the last one said), instead of IncomingCompression's. */
  compression?: string;
  /** `nop text` lines and what each converter did, for the log. */
  notes: string[];
  /** newuids' new UIDs with the old ones they stand for, to keep in the index (for olduids). */
  uidPairs: { stage: string; newUid: string; oldUid: string }[];
  /** `defer` (export converters): the line ended there, to be run again on this object later (RetryDelay). */
  deferred?: boolean;
  /** `delete patient|study ...`: studies to delete once no object of them arrived for a while. */
  deletes: DelayedDelete[];
  /** `get ... from AE` and `preretrieve AE`: retrieves to this archive once no object of them arrived for a while. */
  gets: DelayedGet[];
  /**
   * `process ... by ...` (and `prefetch`: its level 'patient', by nothing; `merge study`: its series made one): run
   * once no object arrived for a while.
   */
  processes: (DelayedProcess | { prefetch: true } | { merge: DelayedMerge } | { submit: DelayedSubmit })[];
  /** `save to file` and `save jpg|png ... to file`: copies of the object, once stored. */
  saves: SaveCommand[];
  /** `storage MAGn`: the device to keep the object on (the last one said). */
  device?: number;
}

/** What a converter does to files: `write`/`append "text" to file`, `mkdir folder`, `rm file` (inside the data folder). */
export type FileOp = { op: 'write' | 'append'; text: string; file: string } | { op: 'mkdir' | 'rm'; file: string };

export class ConverterCheckError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message);
    this.column = column;
  }
}

const TESTS = new Set([
  'ifequal',
  'ifnotequal',
  'ifmatch',
  'ifnotmatch',
  'ifnumequal',
  'ifnumnotequal',
  'ifnumgreater',
  'ifnumless',
  'ifempty',
  'ifnotempty',
  'between',
]);
const RUN = new Set([
  ...TESTS,
  'nop',
  'defer',
  'stop',
  'silentstop',
  'return',
  'set',
  'setifempty',
  'delete',
  'get',
  'preretrieve',
  'process',
  'prefetch',
  'merge',
  'submit',
  'submit2',
  'save',
  'storage',
  'destroy',
  'destroy2',
  'reject',
  'forward',
  'write',
  'compression',
  'append',
  'lua',
  'lua:',
  'newuids',
  'olduids',
  'mkdir',
  'rm',
  'system',
]);
const ONE_ARGUMENT = new Set(['ifempty', 'ifnotempty']);

/**
 * Where `call NAME` (and a bare `NAME`, and `file.lua(args)`) find what they run: dicom.ini's `[scripts]` section, and
 * files (converter lines, `#` and `;` lines skipped; or Lua) beside dicom.ini. Read when dicom.ini is: a changed file
 * counts from the next save of the settings or start.
 */
export interface ScriptSource {
  script(name: string): string | undefined;
  file(name: string): string | undefined;
}

const MAX_CALL_DEPTH = 8;

/** Refuse what this version cannot run, with the column (1-based) of the statement. */
export function checkConverter(line: string, sources?: ScriptSource, depth = 0): Statement[] {
  const statements = parseConverter(line);
  const visit = (list: Statement[]) => {
    for (const [at, s] of list.entries()) {
      if (s.kind === 'block') {
        if (!s.call) visit(s.body);
        continue;
      }
      const called = callOf(s, sources, depth);
      if (called) {
        list[at] = called;
        continue;
      }
      if (/^lua(:|\s*")/i.test(s.text)) {
        if (!/^lua:/i.test(s.text) && !/^lua\s*".*"\s*$/is.test(s.text))
          throw new ConverterCheckError('lua is "lua "chunk"" (or lua:chunk at the end of the line)', s.column);
        continue;
      }
      const { name, rest } = commandWord(s.text);
      if (!RUN.has(name))
        throw new ConverterCheckError(`"${name}" is not a converter command this version runs`, s.column);
      const unsupported = unsupportedVariable(s.text);
      if (unsupported)
        throw new ConverterCheckError(
          `${unsupported.text} is not a variable this version runs`,
          s.column + unsupported.at,
        );
      if (TESTS.has(name)) {
        const args = quotedArguments(rest);
        const want = ONE_ARGUMENT.has(name) ? 1 : 2;
        if (!args || args.length !== want) {
          throw new ConverterCheckError(
            `${name} takes ${want === 1 ? 'one quoted string' : 'two quoted strings, separated by a comma'}`,
            s.column,
          );
        }
      } else if (name === 'set' || name === 'setifempty') {
        const set = parseSet(rest);
        if ('error' in set) throw new ConverterCheckError(`${name}: ${set.error}`, s.column);
        const tag = set.target.kind === 'variable' ? undefined : set.target.tag;
        if (tag !== undefined && !SETTABLE_VRS.has(vrOf(tag)) && vrOf(tag) !== 'SQ')
          throw new ConverterCheckError(
            `${rest.split(/\s/)[0]} is a ${vrOf(tag)} attribute: set writes text attributes only (for now)`,
            s.column,
          );
        if (set.target.kind === 'item' && name === 'setifempty')
          throw new ConverterCheckError('setifempty does not reach into sequences (as in Conquest)', s.column);
      } else if (name === 'process' && /^with\b/i.test(rest)) {
        if (!/^with\s+\S/i.test(rest)) throw new ConverterCheckError('process with names a command line', s.column);
      } else if (name === 'process') {
        const parsed = parseDelayedProcess(rest);
        if ('error' in parsed) throw new ConverterCheckError(parsed.error, s.column);
        if (parsed.by.kind === 'lua' && sources && sources.file(parsed.by.file) === undefined)
          throw new ConverterCheckError(`${parsed.by.file}: no such Lua file beside dicom.ini`, s.column);
      } else if (name === 'submit' || name === 'submit2') {
        const parsed = parseDelayedSubmit(name, rest);
        if ('error' in parsed) throw new ConverterCheckError(parsed.error, s.column);
      } else if (name === 'storage') {
        if (!/^MAG\d+$/i.test(rest.trim()))
          throw new ConverterCheckError('storage names a storage device: storage MAG0, MAG1, ...', s.column);
      } else if (name === 'save') {
        const parsed = parseSaveCommand(rest);
        if ('error' in parsed) throw new ConverterCheckError(parsed.error, s.column);
      } else if (name === 'merge') {
        const parsed = parseDelayedMerge(rest);
        if ('error' in parsed) throw new ConverterCheckError(parsed.error, s.column);
      } else if (name === 'prefetch' && rest.trim()) {
        throw new ConverterCheckError('prefetch takes nothing (it reads the patient of the object)', s.column);
      } else if (name === 'get' || name === 'preretrieve') {
        const parsed = name === 'get' ? parseDelayedGet(rest) : parsePreretrieve(rest);
        if ('error' in parsed) throw new ConverterCheckError(parsed.error, s.column);
      } else if (name === 'delete') {
        if (isDelayedDelete(rest)) {
          const parsed = parseDelayedDelete(rest);
          if ('error' in parsed) throw new ConverterCheckError(parsed.error, s.column);
        } else if (tagOf(rest) === undefined)
          throw new ConverterCheckError(
            `delete names gggg,eeee, a known attribute name, or patient|study (a delayed delete), not "${rest}"`,
            s.column,
          );
      } else if ((name === 'mkdir' || name === 'rm' || name === 'system') && !rest.trim()) {
        throw new ConverterCheckError(
          `${name} names ${name === 'system' ? 'a command line' : 'a file or folder'}`,
          s.column,
        );
      } else if (name === 'newuids' || name === 'olduids') {
        const command = parseUidCommand(name === 'newuids' ? 'new' : 'old', rest);
        if ('error' in command) throw new ConverterCheckError(`${name}: ${command.error}`, s.column);
      } else if (name === 'compression') {
        const plan = parseCompressionCode(rest);
        if ('error' in plan)
          throw new ConverterCheckError(`compression ${new SaidError(plan.error).message}`, s.column);
      } else if ((name === 'write' || name === 'append') && !WRITE.test(rest)) {
        throw new ConverterCheckError(`${name} is "${name} "text" to file"`, s.column);
      } else if (name === 'forward') {
        const forward = parseForwardCommand(rest);
        if ('error' in forward) throw new ConverterCheckError(forward.error, s.column);
        if (forward.script !== undefined) {
          try {
            checkForwardScript(forward.script, sources, depth + 1);
          } catch (err) {
            if (!(err instanceof ConverterCheckError)) throw err;
            throw new ConverterCheckError(`forward ... script: ${err.message}`, s.column);
          }
        }
      }
    }
  };
  visit(statements);
  return statements;
}

/** What a forward's script may not do: it changes the copy being sent, and cannot queue work or keep files. */
const NOT_IN_FORWARD_SCRIPTS = new Set([
  'forward',
  'get',
  'preretrieve',
  'prefetch',
  'process',
  'submit',
  'submit2',
  'save',
  'storage',
  'compression',
  'defer',
  'system',
]);

/**
 * The statements of a forward's `script` clause (Conquest's "script to run on sent objects"): the converter language on
 * the copy being sent (`set`, `delete`, `newuids`, Lua, tests; `destroy` or `reject`: that object is not sent). What
 * would queue other work or change the stored object is refused.
 */
export function checkForwardScript(script: string, sources?: ScriptSource, depth = 0): Statement[] {
  const statements = checkConverter(script, sources, depth);
  const visit = (list: Statement[]) => {
    for (const s of list) {
      if (s.kind === 'block') visit(s.body);
      else {
        const { name, rest } = commandWord(s.text);
        if (NOT_IN_FORWARD_SCRIPTS.has(name) || (name === 'delete' && isDelayedDelete(rest)))
          throw new ConverterCheckError(
            `${name} is not for a forward's script, which changes the copy it sends`,
            s.column,
          );
      }
    }
  };
  visit(statements);
  return statements;
}

/**
 * An import (or request) converter line: what checkConverter refuses, and `defer`, which only an export converter can
 * do (run again later: an object arriving, or a request, is answered now).
 */
export function checkImportConverter(line: string, sources?: ScriptSource): Statement[] {
  const statements = checkConverter(line, sources);
  const visit = (list: Statement[]) => {
    for (const s of list) {
      if (s.kind === 'block') visit(s.body);
      else if (commandWord(s.text).name === 'defer')
        throw new ConverterCheckError(
          'defer runs an export converter again later; an import converter cannot wait',
          s.column,
        );
    }
  };
  visit(statements);
  return statements;
}

/**
 * An export converter line: the same language, run on an object already stored, so what would change or drop the
 * stored object (`set`/`delete` of an attribute, `destroy`, `reject`, `compression`) is refused here; `forward to AE`
 * must name a node `known` knows (a name built from variables is checked when it runs).
 */
export function checkExportConverter(
  line: string,
  known: (ae: string) => boolean,
  sources?: ScriptSource,
): Statement[] {
  const program = programLine(line);
  // Conquest's oldest export converter: a program given the stored object's file as its one argument.
  const statements = program
    ? [{ kind: 'command' as const, text: `system ${program} "%f"`, column: 1 }]
    : checkConverter(line, sources);
  const visit = (list: Statement[]) => {
    for (const s of list) {
      if (s.kind === 'block') {
        visit(s.body);
        continue;
      }
      const { name, rest } = commandWord(s.text);
      const attributeDelete = name === 'delete' && !isDelayedDelete(rest);
      const rewrite = name === 'process' && /^with\b/i.test(rest);
      if (
        ['destroy', 'destroy2', 'reject', 'compression', 'storage', 'newuids', 'olduids'].includes(name) ||
        attributeDelete ||
        rewrite
      )
        throw new ConverterCheckError(
          `${name} changes or drops the object: an export converter runs once it is stored`,
          s.column,
        );
      if ((name === 'set' || name === 'setifempty') && (parseSet(rest) as SetCommand).target.kind !== 'variable')
        throw new ConverterCheckError(
          `${name} of an attribute changes the stored object: in an export converter, set x, y or z`,
          s.column,
        );
      if (name === 'forward') {
        const { destination } = parseForwardCommand(rest) as ForwardCommand;
        if (!destination.includes('%') && !HOST_PORT.test(destination) && !known(destination))
          throw new ConverterCheckError(`forward to ${destination}: ${destination} is not in acrnema.map`, s.column);
      }
    }
  };
  visit(statements);
  return statements;
}

/**
 * An export converter line that is a program (Conquest's "E executable": `myconverter.exe`, `/usr/local/bin/tool`,
 * `"C:\\Program Files\\x\\conv.exe"`): one word, or one quoted path, that names a file by its path or by a program's
 * extension (not a Lua file, which is a script); undefined for any other line.
 */
export function programLine(line: string): string | undefined {
  const text = line.trim();
  const word = /^"[^"]+"$/.test(text) ? text.slice(1, -1) : /^\S+$/.test(text) ? text : undefined;
  if (!word || /\.lua(\(|$)/i.test(word) || /[;{}%]/.test(word)) return undefined;
  if (!/[/\\]/.test(word) && !/\.(exe|bat|cmd|com|sh|py|pl)$/i.test(word)) return undefined;
  return /\s/.test(word) ? `"${word}"` : word;
}

/** The AE titles a line forwards to by name (not those built from variables). */
export function forwardDestinations(statements: readonly Statement[]): string[] {
  const out: string[] = [];
  for (const s of statements) {
    if (s.kind === 'block') out.push(...forwardDestinations(s.body));
    else {
      const { name, rest } = commandWord(s.text);
      const forward = name === 'forward' ? parseForwardCommand(rest) : undefined;
      if (forward && 'destination' in forward && !forward.destination.includes('%')) out.push(forward.destination);
    }
  }
  return out;
}

/** The first `%` variable in `text` that the runner would refuse (converter-vars.ts), with its offset. */
function unsupportedVariable(text: string): { text: string; at: number } | undefined {
  for (let i = 0; i < text.length - 1; i++) {
    if (text[i] !== '%') continue;
    const code = text[i + 1]!;
    if (code === 'V' && text[i + 2] === '(' && !OTHER_OBJECT_REF.test(text.slice(i + 2)))
      return { text: '%V( without (/gggg,eeee/...)gggg,eeee', at: i };
    if ('AER'.includes(code) && text[i + 2] === '(') return { text: `%${code}(...)`, at: i };
    if (code === 'Q' && !/^Q[A-Za-z][0-9A-Fa-f]{4},[0-9A-Fa-f]{4}/.test(text.slice(i + 1)))
      return { text: '%Q without a letter and gggg,eeee', at: i };
    if (!'VAERQ'.includes(code) && !SIMPLE_VARIABLES.has(code)) return { text: `%${code}`, at: i };
    i++;
  }
  return undefined;
}

/** `set` commands as the runner meets them, parsed once (they were checked when dicom.ini was read). */
const SETS = new Map<string, SetCommand>();

function parsedSet(rest: string): SetCommand {
  let set = SETS.get(rest);
  if (!set) {
    set = parseSet(rest) as SetCommand;
    if (SETS.size >= 1000) SETS.clear();
    SETS.set(rest, set);
  }
  return set;
}

/** `delete patient|study|series|image ...` (a delayed delete), not `delete gggg,eeee` (an attribute). */
function isDelayedDelete(rest: string): boolean {
  return /^(patient|study|series|image)\b/i.test(rest.trim());
}

/** `write "text" to file` and `append "text" to file`. */
const WRITE = /^"((?:[^"]|"")*)"\s+to\s+(\S.*)$/i;
/** What `set` may write: text VRs, and UN (a private attribute the dictionary does not know). */
const SETTABLE_VRS: ReadonlySet<string> = new Set([...TEXT_VRS, 'UN']);

/** A `lua "chunk"` or `lua:chunk` statement met by the runner: the driver runs it and folds its effects into `result`. */
export type LuaRunner = (chunk: string, result: ConverterResult, line: number) => Promise<void>;

export function emptyResult(dataSet: DataSet): ConverterResult {
  return {
    outcome: 'store',
    quiet: false,
    dataSet,
    changed: false,
    forwards: [],
    files: [],
    commands: [],
    notes: [],
    uidPairs: [],
    deletes: [],
    gets: [],
    processes: [],
    saves: [],
  };
}

/** `process with` met by the runner: the driver runs the program on the object and folds the object it left in. */
export type ExternalRunner = (command: string, result: ConverterResult, line: number) => Promise<void>;

/** `olduids` met by the runner: the driver looks the object's UIDs up in the index and puts back the old ones. */
export type OldUidsRunner = (command: UidCommand, result: ConverterResult) => Promise<void>;

type Step =
  | { kind: 'lua'; chunk: string; line: number }
  /** `process with command`: the driver runs the program on the object as a file and reads back what it left. */
  | { kind: 'external'; command: string; line: number }
  | { kind: 'olduids'; command: UidCommand }
  /** %R and %Q of the next statement: the driver puts each value in `into` by its key. */
  | { kind: 'lookup'; lookups: Lookup[]; into: Map<string, string> };

/** The driver's lookups for %R and %Q: each key's value ('' when the index or the file has none). */
export type LookupRunner = (lookups: readonly Lookup[]) => Promise<Map<string, string>>;

/**
 * `call NAME`, a bare `NAME` of `[scripts]`, or `file.lua` / `file.lua(args)`: the script as a block of its lines (a
 * Lua file as one chunk, with `command_line` set to the arguments); undefined when the statement is none of these.
 */
function callOf(
  s: Statement & { kind: 'command' },
  sources: ScriptSource | undefined,
  depth: number,
): Statement | undefined {
  const { name, rest } = commandWord(s.text);
  const lua = /^([\w./\\-]+\.lua)(?:\((.*)\))?$/i.exec(s.text.trim());
  const target = name === 'call' ? rest.trim() : RUN.has(name) ? undefined : s.text.trim();
  if (!target && !lua) return undefined;
  if (!sources) {
    if (name !== 'call' && !lua) return undefined;
    throw new ConverterCheckError(`${s.text}: a script is not called from here`, s.column);
  }
  if (depth >= MAX_CALL_DEPTH)
    throw new ConverterCheckError(`${s.text}: scripts call each other more than ${MAX_CALL_DEPTH} deep`, s.column);
  if (lua) {
    const code = sources.file(lua[1]!);
    if (code === undefined) throw new ConverterCheckError(`${lua[1]}: no such Lua file beside dicom.ini`, s.column);
    const args = (lua[2] ?? '').replace(/^"(.*)"$/, '$1');
    const chunk = `command_line = ${JSON.stringify(args)}\n${code}`;
    return {
      kind: 'block',
      call: lua[1],
      column: s.column,
      body: [{ kind: 'command', text: `lua:${chunk}`, column: s.column }],
    };
  }
  const fromIni = sources.script(target!);
  const text = fromIni ?? (name === 'call' ? sources.file(target!) : undefined);
  if (text === undefined) {
    if (name === 'call')
      throw new ConverterCheckError(`call ${target}: no [scripts] entry or file of that name`, s.column);
    return undefined;
  }
  const lines = fromIni !== undefined ? [text] : text.split(/\r?\n/).filter((l) => l.trim() && !/^\s*[#;]/.test(l));
  const body: Statement[] = [];
  for (const l of lines) {
    try {
      body.push({ kind: 'block', body: checkConverter(l, sources, depth + 1), column: s.column });
    } catch (err) {
      throw new ConverterCheckError(`${target}: ${(err as Error).message}`, s.column);
    }
  }
  return { kind: 'block', call: target, body, column: s.column };
}

/** Run the lines in order on `dataSet`; the first line that destroys or rejects ends the run. */
export async function runConverters(
  lines: readonly Statement[][],
  dataSet: DataSet,
  context: RunContext,
  lua?: LuaRunner,
  oldUids?: OldUidsRunner,
): Promise<ConverterResult> {
  const result = emptyResult(dataSet);
  const steps = runSteps(lines, result, context);
  for (let step = steps.next(); !step.done; step = steps.next()) {
    const s = step.value;
    if (s.kind === 'lua') {
      if (!lua) throw new Error('Lua does not run here');
      await lua(s.chunk, result, s.line);
    } else if (s.kind === 'lookup') {
      if (!context.lookup) throw new Error('%R and %Q read the index, which this converter cannot');
      for (const [key, value] of await context.lookup(s.lookups)) s.into.set(key, value);
    } else if (s.kind === 'external') {
      if (!context.external) throw new Error('process with runs in import converters only');
      await context.external(s.command, result, s.line);
    } else {
      if (!oldUids) throw new Error('olduids does not run here');
      await oldUids(s.command, result);
    }
  }
  return result;
}

/** What a run knows besides the object: the association's AE titles, %s's override, the archive's UID key. */
export type RunContext = Omit<VariableContext, 'dataSet' | 'vars' | 'lookups' | 'changeUid'> & {
  uidKey?: string;
  /** Reads what %R and %Q need (the index, alias files); without it they are an error. */
  lookup?: LookupRunner;
  /** Runs `process with` (import converters only); without it, that is an error. */
  external?: ExternalRunner;
};

/** The same without Lua, into `result` (what a script's `script('...')` runs): a Lua statement here is an error. */
export function runConvertersInto(lines: readonly Statement[][], result: ConverterResult, context: RunContext): void {
  const steps = runSteps(lines, result, context);
  const step = steps.next();
  if (!step.done)
    throw new Error(
      step.value.kind === 'lua'
        ? 'a converter run from Lua cannot run Lua itself'
        : step.value.kind === 'external'
          ? 'process with does not run from Lua'
          : step.value.kind === 'lookup'
            ? '%R and %Q do not run from Lua (use sql or changeuidback)'
            : 'olduids does not run from Lua',
    );
}

/** The runner: yields each Lua chunk for the driver to run, and goes on once it has folded the chunk's effects in. */
function* runSteps(
  lines: readonly Statement[][],
  result: ConverterResult,
  context: RunContext,
): Generator<Step, void, void> {
  const vars = new Map<string, string>();
  const lookups = new Map<string, string>();
  // %E's new UIDs are newuids' (stage ''), their pairs kept as newuids' are, for olduids and %R.
  const changeUid = (oldUid: string) => {
    const newUid = newUidFor(oldUid, '', context.uidKey);
    if (!result.uidPairs.some((p) => p.stage === '' && p.newUid === newUid))
      result.uidPairs.push({ stage: '', newUid, oldUid });
    return newUid;
  };
  const expand = (text: string) =>
    expandVariables(text, { ...context, dataSet: result.dataSet, vars, lookups, changeUid });
  const change = (tag: number, value: string | null) => {
    result.dataSet = applyChanges(result.dataSet, new Map([[tag, value]]));
    result.changed = true;
  };
  /** Runs a list; returns 'end' when the line is done (stop, return, destroy, reject). */
  const run = function* (list: Statement[], line: number): Generator<Step, 'go' | 'end', void> {
    let skipNext = false;
    for (const s of list) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      if (s.kind === 'block') {
        const ended = (yield* run(s.body, line)) === 'end';
        // A called script's stop or return ends the script; its destroy, reject or defer ends the line too.
        if (ended && (!s.call || result.outcome !== 'store' || result.deferred)) return 'end';
        continue;
      }
      if (/%[RQ]|%V\(/.test(s.text)) {
        const needed = lookupsIn(s.text, result.dataSet).filter((l) => !lookups.has(l.key));
        if (needed.length) yield { kind: 'lookup', lookups: needed, into: lookups };
      }
      const { name, rest } = commandWord(s.text);
      if (TESTS.has(name)) {
        skipNext = !test(name, quotedArguments(rest)!.map(expand));
        continue;
      }
      switch (name) {
        case 'lua':
        case 'lua:':
          yield { kind: 'lua', chunk: luaChunk(s.text), line };
          // Its destroy, reject or defer (through script()) ends the line, as the command itself would.
          if (result.outcome !== 'store' || result.deferred) return 'end';
          break;
        case 'nop':
          if (rest) result.notes.push(expand(rest));
          break;
        case 'stop':
        case 'silentstop':
        case 'return':
          return 'end';
        case 'defer':
          result.deferred = true;
          return 'end';
        case 'destroy':
        case 'destroy2':
          result.outcome = 'destroy';
          result.quiet = name === 'destroy2';
          return 'end';
        case 'reject':
          result.outcome = 'reject';
          return 'end';
        case 'get':
          result.gets.push(parseDelayedGet(expand(rest)) as DelayedGet);
          break;
        case 'preretrieve':
          result.gets.push(parsePreretrieve(expand(rest)) as DelayedGet);
          break;
        case 'process':
          if (/^with\s/i.test(rest)) {
            // The program rewrites the object in a file; what it leaves there is the object from then on.
            yield { kind: 'external', command: expand(rest.replace(/^with\s+/i, '')), line };
            if (result.outcome !== 'store') return 'end';
          } else result.processes.push(parseDelayedProcess(expand(rest)) as DelayedProcess);
          break;
        case 'prefetch':
          result.processes.push({ prefetch: true });
          break;
        case 'merge':
          result.processes.push({ merge: parseDelayedMerge(expand(rest)) as DelayedMerge });
          break;
        case 'submit2': {
          // Its command line's %s are the file and the target (filled in when it runs), not a variable.
          const line = expand(rest.replace(/%s/g, '\u0000s')).replace(/\u0000s/g, '%s');
          result.processes.push({ submit: parseDelayedSubmit('submit2', line) as DelayedSubmit });
          break;
        }
        case 'save':
          result.saves.push(parseSaveCommand(expand(rest)) as SaveCommand);
          break;
        case 'storage':
          result.device = Number(/^MAG(\d+)$/i.exec(rest.trim())![1]);
          break;
        case 'delete':
          if (isDelayedDelete(rest)) result.deletes.push(parseDelayedDelete(expand(rest)) as DelayedDelete);
          else if (result.dataSet.has(tagOf(rest)!)) change(tagOf(rest)!, null);
          break;
        case 'set':
        case 'setifempty': {
          const set = parsedSet(rest);
          const expanded = set.value === null ? null : expand(set.value);
          const value =
            expanded !== null && set.format !== undefined ? formatValue(expand(set.format), expanded) : expanded;
          if (set.how === 'if' && !expanded) break;
          const { target } = set;
          if (target.kind === 'variable') {
            if (name === 'setifempty' && vars.get(target.name)) break;
            vars.set(target.name, value ?? '');
            break;
          }
          if (target.kind === 'item') {
            const data = new ScriptData(ownCopy(result.dataSet));
            const sequence = target.sequence.toString(16).padStart(8, '0');
            const item = target.item === 'new' ? data.count(sequence) : target.item;
            const hex = (n: number) => n.toString(16).padStart(4, '0');
            data.set(`${sequence}.${item}`, `${hex(target.tag >>> 16)},${hex(target.tag & 0xffff)}`, value);
            result.dataSet = data.root;
            result.changed = true;
            break;
          }
          const tag = target.tag;
          if (
            name === 'setifempty' &&
            result.dataSet.get(tag) &&
            (vrOf(tag) === 'SQ' || valueText(result.dataSet.get(tag), (b) => b.toString('latin1')))
          )
            break;
          if (vrOf(tag) === 'SQ' && value !== null) {
            // As Conquest: setting a sequence makes it an empty one.
            const empty: DicomElement = { tag, vr: 'SQ', value: [] };
            result.dataSet = new Map([...result.dataSet, [tag, empty] as const].sort((a, b) => a[0] - b[0]));
            result.changed = true;
          } else change(tag, value);
          break;
        }
        case 'compression':
          result.compression = rest.trim();
          break;
        case 'newuids': {
          const command = parseUidCommand('new', expand(rest)) as UidCommand;
          const stage = command.stage;
          const key = command.oneWay ? undefined : context.uidKey;
          const pairs = new Map<string, string>();
          result.dataSet = remapUids(result.dataSet, command, (old) => {
            const fresh = newUidFor(old, stage, key);
            pairs.set(fresh, old);
            return fresh;
          });
          result.changed = true;
          if (!command.oneWay) for (const [newUid, oldUid] of pairs) result.uidPairs.push({ stage, newUid, oldUid });
          break;
        }
        case 'olduids':
          yield { kind: 'olduids', command: parseUidCommand('old', expand(rest)) as UidCommand };
          break;
        case 'write':
        case 'append': {
          const [, quoted, file] = WRITE.exec(rest)!;
          result.files.push({
            op: name,
            text: expand(quoted!.replace(/""/g, '"')),
            file: expand(file!.trim()),
          });
          break;
        }
        case 'mkdir':
        case 'rm':
          result.files.push({ op: name, file: expand(rest.trim()) });
          break;
        case 'system':
          result.commands.push(expand(rest.trim()));
          break;
        case 'forward': {
          // The script clause runs on each copy sent: its variables are those of that copy, expanded then.
          const { before, script } = splitScriptClause(rest);
          const forward = parseForwardCommand(expand(before));
          // A value from a variable that makes the command wrong (checked when read without it) ends the run.
          if ('error' in forward) throw new Error(`forward ${expand(before)}: ${forward.error}`);
          result.forwards.push(script === undefined ? forward : { ...forward, script });
          break;
        }
      }
    }
    return 'go';
  };
  for (const [i, line] of lines.entries()) {
    yield* run(line, i);
    if (result.outcome !== 'store') break;
  }
}

/** The chunk of `lua "chunk"` (Conquest takes what is between the first and the last quote as it is) or `lua:chunk`. */
export function luaChunk(text: string): string {
  if (/^lua:/i.test(text)) return text.slice(4);
  const quoted = /^lua\s*"(.*)"\s*$/is.exec(text);
  return quoted ? quoted[1]! : '';
}

/** A test's verdict, as Conquest decides it: ifequal is exact, ifmatch ignores case and allows x*, *x and *x*. */
function test(name: string, args: string[]): boolean {
  const [a = '', b = ''] = args;
  switch (name) {
    case 'ifequal':
      return a === b;
    case 'ifnotequal':
      return a !== b;
    case 'ifmatch':
      return matches(a, b);
    case 'ifnotmatch':
      return !matches(a, b);
    case 'ifnumequal':
      return number(a) === number(b);
    case 'ifnumnotequal':
      return number(a) !== number(b);
    case 'ifnumgreater':
      return number(a) > number(b);
    case 'ifnumless':
      return number(a) < number(b);
    case 'ifempty':
      return a === '';
    case 'ifnotempty':
      return a !== '';
    default: {
      // between "9", "17": from 9:00 until before 17:00; "17", "9" runs over midnight.
      const h = new Date().getHours();
      const [from, to] = [number(a), number(b)];
      return to >= from ? h >= from && h < to : h >= from || h < to;
    }
  }
}

/** C's atof: the number a text starts with, 0 when none. */
function number(s: string): number {
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
  return m ? Number(m[0]) : 0;
}

function matches(source: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const s = source.replace(/ +$/, '').toLowerCase();
  const p = pattern.toLowerCase();
  if (p.length > 1 && p.startsWith('*') && p.endsWith('*')) return s.includes(p.slice(1, -1));
  if (p.length > 1 && p.endsWith('*')) return s.startsWith(p.slice(0, -1));
  if (p.length > 1 && p.startsWith('*')) return s.endsWith(p.slice(1));
  return s === p;
}
