import { createRequire } from 'node:module';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { confinedPathSync } from './confined-path.ts';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { LuaEventMasks, LuaFactory, type LuaEngine } from 'wasmoon';
import type { DataSet } from '../dicom/dataset.ts';
import { keywordOf } from '../dicom/dictionary.ts';
import { newUid } from '../../common/uids.ts';
import { checkConverter, emptyResult, runConvertersInto, type ConverterResult } from './converter-run.ts';
import { SEQUENCE_MARK, ScriptData, ScriptObjects, attributeTag, ownCopy } from './lua-data.ts';
import { dumpText, fillFromJson } from './lua-data-text.ts';
import { LUA_PRELUDE } from './lua-prelude.ts';
import { NO_SERVICES, type LuaServices } from './lua-services.ts';

/**
 * One Lua state with Conquest's environment (lua-prelude.ts), running converter chunks on one object at a time. The VM
 * is wasmoon (Lua 5.4 compiled to WebAssembly): each call has a time budget (Lua stops it between instructions) and the
 * state a memory ceiling; what a chunk does to `Data`, and the converter commands it runs through `script()`, come back
 * as a converter result. A chunk runs synchronously on the archive's thread (`run`) until it asks for something that
 * waits (a DICOM node, the index, sleep): that ends it there (`needsThread`), and it runs again from the start in the
 * scripts' worker (lua-worker.ts) with `runWaiting`, where each such call suspends the chunk (a Lua coroutine) until the
 * archive's thread answered it. Time spent waiting for an answer does not count against LuaTimeout; sleep does.
 */

export interface LuaCall {
  chunk: string;
  /** Shown in errors and prints: `ImportConverter3`. */
  name: string;
  dataSet: DataSet;
  association: { calling: string; called: string; connectedIp: string; thread: number };
  timeoutMs: number;
  /** The archive's key for newuids run through script() (uid-remap.ts). */
  uidKey?: string;
  /**
   * `Data.Storage` in import converters: the device (`MAG0`) the object is kept on; setting it is `storage MAGn`.
   * Undefined elsewhere, where Data.Storage is nil and setting it an error.
   */
  storage?: string;
  /** Conquest's `Command` in request converters (`MoveDestination`, ...); nil elsewhere. */
  command?: Record<string, string | number>;
  /** Where `dofile` and `require` find Lua files (beside dicom.ini); without it they find none. */
  scriptDir?: string;
  /**
   * What `io.open` and `os.remove` may touch: files inside `dataDir`, never in `protectedDirs` (the storage, index and
   * configuration folders); `readOnly` (a try): they read only. Without it, `io` is not there.
   */
  files?: { dataDir: string; protectedDirs: string[]; readOnly?: boolean };
  /**
   * Chunks each state runs once before its first converter chunk (dicom.ini's `[lua] startup` and `association`): what
   * they define (functions, tables) the converters see, as Conquest's association state gives them. Their prints,
   * changes and errors are dropped.
   */
  setup?: string[];
}

export interface LuaOutcome {
  result: ConverterResult;
  /** print() and debuglog() lines, in order (at most MAX_LINES). */
  lines: { level: 'info' | 'debug'; text: string }[];
  /** The error that ended the chunk (its changes are then discarded by the caller). */
  error?: string;
  /** The state was ended (time or memory ran out): the caller starts a fresh one. */
  spent?: 'time' | 'memory';
  /** The chunk called something that waits, which `run` cannot: run it again with `runWaiting`. */
  needsThread?: boolean;
  /** What the chunk returned, when a string or a number (FileNameSyntax = lua:... names a file so). */
  value?: string;
}

const MAX_LINES = 200;
const HOOK_COUNT = 1000;
const OUT_OF_TIME = 'the script ran out of time';
const MAX_LINE = 4000;
const WASM = createRequire(import.meta.url).resolve('wasmoon/dist/glue.wasm');
const NEEDS_THREAD = "this call waits: the chunk goes on in the scripts' thread";
/** The longest sleep() (ms); a longer one is cut to this (LuaTimeout ends it sooner anyway). */
const MAX_SLEEP = 60_000;

interface Current {
  data: ScriptData;
  objects: ScriptObjects;
  result: ConverterResult;
  call: LuaCall;
  lines: LuaOutcome['lines'];
  /** Where calls that wait go (undefined in `run`: such a call ends the chunk there). */
  services?: LuaServices;
  needsThread: boolean;
}

/** What runWaiting asks Lua: the prelude's __go, with the globals it set from goArguments (run pushes them). */
const GO = 'return __go(__calling, __called, __ip, __thread, __storage, __chunk, __name)';
const GO_ARGUMENTS = 7;

/** The prelude's __go's arguments for a call, in its order. */
function goArguments(call: LuaCall): (string | number | undefined)[] {
  const { association: a } = call;
  return [a.calling, a.called, a.connectedIp, a.thread, call.storage, call.chunk, call.name];
}

export class ScriptEngine {
  private deadline = Number.POSITIVE_INFINITY;
  private current?: Current;

  private readonly lua: LuaEngine;

  private constructor(lua: LuaEngine) {
    this.lua = lua;
  }

  static async create(memoryBytes: number): Promise<ScriptEngine> {
    const lua = await new LuaFactory(WASM).createEngine({
      traceAllocations: true,
      enableProxy: false,
      injectObjects: false,
    });
    const engine = new ScriptEngine(lua);
    engine.install();
    engine.budget();
    lua.global.setMemoryMax(memoryBytes);
    return engine;
  }

  private ended = false;

  get closed(): boolean {
    return this.ended;
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.lua.global.close();
  }

  /** Run one chunk to its end on this thread; one that calls something that waits ends with `needsThread`. */
  run(call: LuaCall): LuaOutcome {
    for (const chunk of this.setupsDue(call)) {
      const ran = this.run({ ...call, chunk, name: '[lua] setup', setup: undefined });
      // One that waits (a query, a sleep) runs where waiting can, and one out of time or memory ended this state:
      // either way the chunk that needs it goes on elsewhere.
      if (ran.needsThread || ran.spent) return { ...ran, lines: [] };
      this.setupsDone.add(chunk);
    }
    const current = this.begin(call);
    try {
      // __go called with the chunk's values pushed straight on the stack: no globals set, nothing compiled per call.
      const g = this.lua.global;
      g.lua.lua_getglobal(g.address, '__go');
      for (const value of goArguments(call)) {
        if (value === undefined) g.lua.lua_pushnil(g.address);
        else if (typeof value === 'number')
          if (Number.isSafeInteger(value)) g.lua.lua_pushinteger(g.address, BigInt(value));
          else g.lua.lua_pushnumber(g.address, value);
        else g.lua.lua_pushstring(g.address, value);
      }
      const value = g.runSync(GO_ARGUMENTS)[0];
      return this.outcome(current, undefined, value);
    } catch (err) {
      return this.outcome(current, err);
    } finally {
      // What a failed call left on the stack (its error, or what was pushed before it failed) goes.
      this.lua.global.setTop(0);
      this.end();
    }
  }

  /** Run one chunk whose calls may wait (DICOM nodes, the index, sleep), each answered by `services`. */
  async runWaiting(call: LuaCall, services: LuaServices = NO_SERVICES): Promise<LuaOutcome> {
    for (const chunk of this.setupsDue(call)) {
      const ran = await this.runWaiting({ ...call, chunk, name: '[lua] setup', setup: undefined }, services);
      if (ran.spent) return { ...ran, lines: [] };
      this.setupsDone.add(chunk);
    }
    const current = this.begin(call);
    current.services = services;
    const g = this.lua.global;
    const names = ['__calling', '__called', '__ip', '__thread', '__storage', '__chunk', '__name'];
    goArguments(call).forEach((value, i) => {
      g.set(names[i]!, value);
    });
    try {
      const value = await this.lua.doString(GO);
      return this.outcome(current, undefined, value);
    } catch (err) {
      return this.outcome(current, err);
    } finally {
      this.end();
    }
  }

  /** The setup chunks this state has not run yet (each runs once per state, whatever its outcome). */
  private readonly setupsDone = new Set<string>();
  /** Whether the last chunk had a `Command` (request converters): the next without one clears it. */
  private commandSet = true;

  private setupsDue(call: LuaCall): string[] {
    return (call.setup ?? []).filter((chunk) => !this.setupsDone.has(chunk));
  }

  /**
   * The chunk's state, and Command. Its association's values, storage, the chunk and its name go to the prelude's __go
   * as arguments (goArguments), which makes Association of them: a table from here costs more than the chunk itself.
   */
  private begin(call: LuaCall): Current {
    if (this.current) throw new Error('a Lua state runs one chunk at a time');
    const data = new ScriptData(ownCopy(call.dataSet));
    const current: Current = {
      data,
      objects: new ScriptObjects(data),
      result: emptyResult(data.root),
      call,
      lines: [],
      needsThread: false,
    };
    this.current = current;
    const g = this.lua.global;
    if (call.command !== undefined || this.commandSet) g.set('Command', call.command);
    this.commandSet = call.command !== undefined;
    this.deadline = Date.now() + call.timeoutMs;
    return current;
  }

  private end(): void {
    this.deadline = Number.POSITIVE_INFINITY;
    this.current = undefined;
  }

  private outcome({ data, result, lines, call, needsThread }: Current, err?: unknown, value?: unknown): LuaOutcome {
    if (needsThread) return { result, lines, needsThread, error: NEEDS_THREAD };
    if (err === undefined) {
      result.dataSet = data.root;
      result.changed ||= data.changed;
      const returned = typeof value === 'string' || typeof value === 'number' ? { value: String(value) } : {};
      return { result, lines, ...returned };
    }
    const message = errorText(err);
    const late = message.includes(OUT_OF_TIME);
    return {
      result,
      lines,
      error: late ? `${call.name}: ran longer than ${call.timeoutMs} ms (LuaTimeout)` : message,
      spent: late ? 'time' : /not enough memory/.test(message) ? 'memory' : undefined,
    };
  }

  /**
   * The time budget: every HOOK_COUNT instructions Lua calls this hook, which ends the chunk once its deadline passed.
   * One hook for the state's life (coroutines inherit it); wasmoon's own setTimeout adds a function per call.
   */
  private budget(): void {
    const g = this.lua.global;
    const hook = g.lua.module.addFunction((L: number) => {
      if (Date.now() <= this.deadline) return;
      g.lua.lua_pushstring(L, OUT_OF_TIME);
      g.lua.lua_error(L);
    }, 'vii');
    g.lua.lua_sethook(g.address, hook, LuaEventMasks.Count, HOOK_COUNT);
  }

  /** A chunk's syntax error as Lua reports it (`ImportConverter3:1: ...`), or undefined when it compiles; nothing runs. */
  syntaxError(chunk: string, name: string): string | undefined {
    const g = this.lua.global;
    g.set('__chunk', chunk);
    g.set('__name', name);
    const error = this.lua.doStringSync("local _, err = load(__chunk, '=' .. __name) return err") as unknown;
    return typeof error === 'string' ? error : undefined;
  }

  private active() {
    if (!this.current) throw new Error('no object is being converted');
    return this.current;
  }

  private install(): void {
    const g = this.lua.global;
    const at = (path: string) => this.active().objects.resolve(String(path));
    g.set('__get', (path: string, key: string) => {
      const { data, inner, prefix } = at(path);
      const v = data.get(inner, key);
      return prefix && typeof v === 'string' && v.startsWith(SEQUENCE_MARK)
        ? SEQUENCE_MARK + prefix + v.slice(SEQUENCE_MARK.length)
        : v;
    });
    g.set('__set', (path: string, key: string, value: unknown, sequence: boolean) => {
      const { data, inner } = at(path);
      data.set(inner, key, value, sequence);
    });
    g.set('__count', (path: string) => at(path).data.count(at(path).inner));
    g.set('__delete_item', (path: string, n: number) => at(path).data.deleteItem(at(path).inner, Number(n)));
    g.set('__list_items', (path: string) => at(path).data.listItems(at(path).inner));
    g.set('__get_bytes', (path: string, group: number, element: number) =>
      at(path).data.bytes(at(path).inner, ((group << 16) | element) >>> 0),
    );
    g.set('__set_bytes', (path: string, group: number, element: number, bytes: number[]) =>
      at(path).data.setBytes(at(path).inner, ((group << 16) | element) >>> 0, Array.isArray(bytes) ? bytes : []),
    );
    const objects = () => this.active().objects;
    g.set('__new_object', () => objects().add());
    g.set('__new_array', () => objects().addArray([]));
    g.set('__copy', (path: string) => objects().add(objects().dataSetAt(String(path))));
    g.set('__append', (arrayPath: string, path: string) =>
      objects().append(String(arrayPath), objects().dataSetAt(String(path))),
    );
    g.set('__free', (path: string) => objects().free(String(path)));
    g.set('__script_file', (name: string) => scriptFile(this.active().call.scriptDir, String(name)));
    g.set('__io', (op: 'read' | 'write' | 'append' | 'remove', name: string, text: string, binary: boolean) =>
      fileOp(this.active().call.files, op, String(name), text === undefined ? '' : String(text), binary === true),
    );
    g.set('__serialize', (path: string, json: boolean) => {
      const { data, inner } = at(path);
      return data.serialize(inner, json === true);
    });
    g.set('__adopt', (target: string, source: string) => {
      const { data, inner, prefix } = at(target);
      if (!prefix || inner) throw new Error('Read fills an object the script made (not Data, not an item)');
      data.root = objects().dataSetAt(String(source));
      objects().free(String(source));
    });
    g.set('__from_json', (path: string, text: string) => {
      const { data, inner } = at(path);
      fillFromJson(data, inner, String(text));
    });
    g.set('__dump', (path: string) => {
      const { data, inner } = at(path);
      return dumpText(data, inner);
    });
    g.set('__reset', (path: string) => {
      const { data, inner } = at(path);
      data.reset(inner);
    });
    g.set('__wait', (name: string, a: unknown, b: unknown, c: unknown, d: unknown) => this.wait(name, [a, b, c, d]));
    g.set('__script', (text: string) => this.script(String(text)));
    g.set('__log', (level: 'info' | 'debug', text: string) => {
      const { lines } = this.active();
      if (lines.length < MAX_LINES) lines.push({ level, text: String(text).slice(0, MAX_LINE) });
    });
    g.set('__dictionary', (a: unknown, b: unknown) => {
      if (typeof a === 'string') {
        const tag = attributeTag(a);
        return [tag >>> 16, tag & 0xffff];
      }
      return keywordOf(((Number(a) << 16) | Number(b)) >>> 0) || undefined;
    });
    g.set('genuid', () => newUid());
    g.set('crc', (s: unknown) => crc32(String(s ?? '')));
    g.set('tickcount', () => Math.floor(performance.now()));
    this.lua.doStringSync(LUA_PRELUDE);
  }

  /**
   * A call that waits, as a promise Lua awaits (runWaiting) resolving to `{ error, value }`; objects go to the services
   * as data sets and come back as new objects. Waiting for the archive's answer does not count against the deadline.
   */
  private wait(name: string, args: unknown[]): Promise<{ error?: string; value?: unknown }> {
    const current = this.active();
    if (!current.services) {
      current.needsThread = true;
      throw new Error(NEEDS_THREAD);
    }
    const { services, objects } = current;
    const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
    const [a, b, c, d] = args;
    const work = async (): Promise<unknown> => {
      switch (name) {
        case 'sleep': {
          const ms = Math.max(0, Math.min(MAX_SLEEP, Number(a) || 0));
          await new Promise((resolve) => setTimeout(resolve, ms));
          return undefined;
        }
        case 'echo':
          await services.echo(text(a));
          return true;
        case 'query':
          return objects.addArray(await services.query(text(a), text(b), objects.dataSetAt(text(c))));
        case 'move':
          await services.move(text(a), text(b), objects.dataSetAt(text(c)), Number(d) === 1);
          return undefined;
        case 'get':
          return objects.addArray(await services.get(text(a), text(b), objects.dataSetAt(text(c))));
        case 'store':
          await services.store(text(a), c ? objects.itemsAt(text(b)) : [objects.dataSetAt(text(b))]);
          return undefined;
        case 'popen':
          return services.popen(text(a));
        case 'modify':
          return services.modify(objects.dataSetAt(text(a)), text(b));
        case 'sql':
          // Conquest gives an empty string for NULL (and nothing in a JS value may be null here).
          return (await services.sql(text(a))).map((row) => row.map((v) => v ?? ''));
        case 'amap':
          return services.amap(Number(a));
        case 'sqldef':
          return services.sqlDef(Number(a), Number(b));
        case 'gpps':
          return services.gpps(text(a), text(b));
        case 'changeuid':
          return services.changeUid(text(a), b === undefined || b === null ? undefined : text(b), text(c));
        case 'changeuidback':
          return services.changeUidBack(text(a), text(b));
        case 'global':
          return services.global(text(a));
        case 'readobject':
          return objects.add(await services.readObject(text(a)));
        case 'writeobject':
          await services.writeObject(text(a), objects.dataSetAt(text(b)));
          return true;
        case 'read':
          return objects.addArray(await services.read(objects.dataSetAt(text(a))));
        case 'delete':
          return services.delete(objects.dataSetAt(text(a)));
        case 'servercommand':
          return services.serverCommand(text(a));
        case 'oldestpatients':
          return services.oldestPatients(Number(a) || 0, Number(/\d+/.exec(text(b))?.[0] ?? 0));
        default:
          throw new Error(`${name} is not a function scripts may call`);
      }
    };
    const started = Date.now();
    return work()
      .then(
        (value) => ({ value }),
        (err: Error) => ({ error: err.message || String(err) }),
      )
      .finally(() => {
        if (name !== 'sleep' && this.current === current) this.deadline += Date.now() - started;
      });
  }

  /** `script('command')`: converter commands run on the object as it is now, their effects joining the chunk's. */
  private script(text: string): void {
    const { data, result, call } = this.active();
    const statements = checkConverter(text);
    result.dataSet = data.root;
    runConvertersInto([statements], result, {
      callingAe: call.association.calling,
      calledAe: call.association.called,
      uidKey: call.uidKey,
    });
    data.root = result.dataSet;
  }
}

/** A Lua file for dofile/require: inside `dir` only (folders below it allowed), read whole. */
function scriptFile(dir: string | undefined, name: string): string {
  if (!dir) throw new Error(`${name}: scripts are not read from files here`);
  const file = path.resolve(dir, name.replace(/\\/g, '/'));
  const inside = path.relative(path.resolve(dir), file);
  if (inside.startsWith('..') || path.isAbsolute(inside))
    throw new Error(`${name}: scripts are read only from beside dicom.ini`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${name}: no such Lua file beside dicom.ini`);
  }
}

/** io.open's reads and writes and os.remove, on files the scope allows (confinedPathSync); a read gives the text. */
function fileOp(
  files: LuaCall['files'],
  op: 'read' | 'write' | 'append' | 'remove',
  name: string,
  text: string,
  binary = false,
): string | undefined {
  if (!files) throw new Error(`${name}: scripts have no files here`);
  if (op !== 'read' && files.readOnly) throw new Error(`a try does not write files (${name})`);
  const file = confinedPathSync(files.dataDir, name, files.protectedDirs);
  // Binary ('rb', 'wb'): each byte as the character of that code (the prelude turns them into Lua's bytes and back).
  // A NUL cannot cross to Lua or back (its strings end there): it goes as U+0100.
  if (op === 'read') return binary ? readFileSync(file, 'latin1').replace(/\0/g, '\u0100') : readFileSync(file, 'utf8');
  const bytes = binary ? Buffer.from(text.replace(/\u0100/g, '\0'), 'latin1') : text;
  if (op === 'remove') rmSync(file);
  else if (op === 'append') appendFileSync(file, bytes);
  else writeFileSync(file, bytes);
  return undefined;
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^Error: /, '');
}
