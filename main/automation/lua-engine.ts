import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { LuaEventMasks, LuaFactory, type LuaEngine } from 'wasmoon';
import type { DataSet } from '../dicom/dataset.ts';
import { keywordOf } from '../dicom/dictionary.ts';
import { newUid } from '../../common/uids.ts';
import { checkConverter, emptyResult, runConvertersInto, type ConverterResult } from './converter-run.ts';
import { ScriptData, attributeTag, ownCopy } from './lua-data.ts';
import { LUA_PRELUDE } from './lua-prelude.ts';

/**
 * One Lua state with Conquest's environment (lua-prelude.ts), running converter chunks on one object at a time. The VM
 * is wasmoon (Lua 5.4 compiled to WebAssembly): each call has a time budget (Lua stops it between instructions) and the
 * state a memory ceiling; what a chunk does to `Data`, and the converter commands it runs through `script()`, come back
 * as a converter result. It runs in the scripts' worker thread (lua-worker.ts), never on the archive's own thread.
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
  /** Conquest's `Command` in request converters (`MoveDestination`, ...); nil elsewhere. */
  command?: Record<string, string | number>;
}

export interface LuaOutcome {
  result: ConverterResult;
  /** print() and debuglog() lines, in order (at most MAX_LINES). */
  lines: { level: 'info' | 'debug'; text: string }[];
  /** The error that ended the chunk (its changes are then discarded by the caller). */
  error?: string;
  /** The state was ended (time or memory ran out): the caller starts a fresh one. */
  spent?: 'time' | 'memory';
}

const MAX_LINES = 200;
const HOOK_COUNT = 1000;
const OUT_OF_TIME = 'the script ran out of time';
const MAX_LINE = 4000;
const WASM = createRequire(import.meta.url).resolve('wasmoon/dist/glue.wasm');

export class ScriptEngine {
  private deadline = Number.POSITIVE_INFINITY;
  private current?: { data: ScriptData; result: ConverterResult; call: LuaCall; lines: LuaOutcome['lines'] };

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

  run(call: LuaCall): LuaOutcome {
    const data = new ScriptData(ownCopy(call.dataSet));
    const result = emptyResult(data.root);
    const lines: LuaOutcome['lines'] = [];
    this.current = { data, result, call, lines };
    const g = this.lua.global;
    g.set('Association', {
      Calling: call.association.calling,
      Called: call.association.called,
      ConnectedIP: call.association.connectedIp,
      Thread: call.association.thread,
    });
    g.set('Command', call.command);
    g.set('__chunk', call.chunk);
    g.set('__name', call.name);
    try {
      this.deadline = Date.now() + call.timeoutMs;
      this.lua.doStringSync('return __run(__chunk, __name)');
      result.dataSet = data.root;
      result.changed ||= data.changed;
      return { result, lines };
    } catch (err) {
      const message = errorText(err);
      const late = message.includes(OUT_OF_TIME);
      return {
        result,
        lines,
        error: late ? `${call.name}: ran longer than ${call.timeoutMs} ms (LuaTimeout)` : message,
        spent: late ? 'time' : /not enough memory/.test(message) ? 'memory' : undefined,
      };
    } finally {
      this.deadline = Number.POSITIVE_INFINITY;
      this.current = undefined;
    }
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
    const data = () => this.active().data;
    g.set('__get', (path: string, key: string) => data().get(path, key));
    g.set('__set', (path: string, key: string, value: unknown, sequence: boolean) =>
      data().set(path, key, value, sequence),
    );
    g.set('__count', (path: string) => data().count(path));
    g.set('__delete_item', (path: string, n: number) => data().deleteItem(path, Number(n)));
    g.set('__list_items', (path: string) => data().listItems(path));
    g.set('__get_bytes', (path: string, group: number, element: number) =>
      data().bytes(path, ((group << 16) | element) >>> 0),
    );
    g.set('__set_bytes', (path: string, group: number, element: number, bytes: number[]) =>
      data().setBytes(path, ((group << 16) | element) >>> 0, Array.isArray(bytes) ? bytes : []),
    );
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

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^Error: /, '');
}
