import { Worker } from 'node:worker_threads';
import type { FromWorker, LuaJob, ToWorker } from './lua-worker.ts';
import { ScriptEngine, type LuaCall, type LuaOutcome } from './lua-engine.ts';
import { ownCopy, revived } from './lua-data.ts';
import { emptyResult } from './converter-run.ts';
import { LUA_SERVICE_NAMES, NO_SERVICES, type LuaServiceRequest, type LuaServices } from './lua-services.ts';

/**
 * Where the converters' Lua runs. A chunk first runs here, on the archive's thread, with a slice of INLINE_MS: the
 * ordinary one-liners (set an attribute from others) end well within it, and a trip to another thread would cost more
 * than the script. A chunk that does not end within its slice is stopped (nothing it did is kept: it ran on a copy, and
 * nothing in its environment reaches outside the object) and from then on runs in a worker thread (lua-worker.ts) with
 * its whole budget: a script that loops or waits holds up only the objects whose converters wait for it, and a C-ECHO
 * or another sender's C-STORE is answered meanwhile. Two workers, started when first needed; calls wait in one
 * queue. A call that gets no answer within its budget and a grace period (the VM's own budget failed, or the thread is
 * stuck outside Lua) ends its worker, which is replaced; so does a worker that dies (its JavaScript heap is bounded).
 * A chunk that calls something that waits (a DICOM node, the index: lua-services.ts) goes on in a worker from that
 * call (run again from its start there); the worker asks, this thread does it with `services`, and the budget's
 * watchdog waits meanwhile. A worker whose chunk waits does no work: while one does, another worker may start (up to
 * MAX_WORKERS), so a chunk waiting for a C-MOVE never waits for the moved objects' own converters to find a worker.
 */

const WORKER_URL = new URL('./lua-worker.ts', import.meta.url);
const GRACE_MS = 2000;
/** How long a worker may take to begin a chunk handed to it (a cold one loads its module and Lua first). */
const START_MS = 30_000;
/** How long a chunk may run on the archive's own thread before it is moved to a worker. */
const INLINE_MS = 10;
/** The most chunks remembered as too slow for the archive's thread (converter lines; more only in the editor's tries). */
const MAX_SLOW = 1000;
/** The most workers: `size`, and one more for each whose chunk waits for the archive. */
const MAX_WORKERS = 8;

interface Pending {
  call: LuaCall;
  memoryBytes: number;
  resolve: (outcome: LuaOutcome) => void;
}

export class LuaHost {
  private readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, { pending: Pending; timer: NodeJS.Timeout; waiting: boolean }>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private started = 0;
  private closed = false;
  private inline?: { memoryBytes: number; engine: Promise<ScriptEngine> };
  private readonly slow = new Set<string>();
  private readonly services: LuaServices;

  private readonly scope: Pick<LuaCall, 'scriptDir' | 'files'>;
  private readonly setup?: () => string[];

  /**
   * `size`: the workers (more while some wait); `scriptDir`: where `dofile` and `require` find Lua files (the folder of
   * dicom.ini); `files`: what `io` may touch; `setup`: the chunks each state runs first (LuaCall's).
   */
  constructor(
    services: LuaServices = NO_SERVICES,
    options: { size?: number; setup?: () => string[] } & Pick<LuaCall, 'scriptDir' | 'files'> = {},
  ) {
    this.services = services;
    this.size = options.size ?? 2;
    this.scope = { scriptDir: options.scriptDir, files: options.files };
    this.setup = options.setup;
  }

  /** Run one chunk on one object; never rejects: what went wrong is the outcome's error. */
  async run(asked: LuaCall, memoryBytes: number): Promise<LuaOutcome> {
    const call = { ...this.scope, setup: this.setup?.(), ...asked };
    if (this.closed) return failed(call, 'the scripts are stopped');
    const key = `${call.name}\0${call.chunk}`;
    if (!this.slow.has(key)) {
      let engine: ScriptEngine;
      try {
        engine = await this.inlineEngine(memoryBytes);
        // Another call may have ended that state while this one waited for it.
        while (engine.closed) engine = await this.inlineEngine(memoryBytes);
      } catch (err) {
        this.inline = undefined;
        return failed(call, `Lua could not start: ${(err as Error).message}`);
      }
      const slice = Math.min(INLINE_MS, call.timeoutMs);
      const outcome = engine.run({ ...call, timeoutMs: slice });
      if (outcome.spent) {
        engine.close();
        this.inline = undefined;
      }
      if (outcome.needsThread) return this.inWorker(call, memoryBytes);
      // A chunk that waits is tried here again next time (it may end before its first wait); one that is slow is not.
      if (outcome.spent !== 'time' || slice === call.timeoutMs) return outcome;
      if (this.slow.size >= MAX_SLOW) this.slow.clear();
      this.slow.add(key);
    }
    return this.inWorker(call, memoryBytes);
  }

  /** Whether a chunk runs in a worker now (it did not end within its slice on the archive's thread). */
  runsInWorker(call: Pick<LuaCall, 'name' | 'chunk'>): boolean {
    return this.slow.has(`${call.name}\0${call.chunk}`);
  }

  /** The state chunks run in on this thread (a fresh one after one ran out of time or memory, or LuaMemory changed). */
  private async inlineEngine(memoryBytes: number): Promise<ScriptEngine> {
    let current = this.inline;
    if (!current || current.memoryBytes !== memoryBytes) {
      const old = current;
      current = { memoryBytes, engine: ScriptEngine.create(memoryBytes) };
      this.inline = current;
      old?.engine.then(
        (e) => e.close(),
        () => undefined,
      );
    }
    const engine = await current.engine;
    if (engine.closed && this.inline === current) this.inline = undefined;
    return engine;
  }

  private inWorker(call: LuaCall, memoryBytes: number): Promise<LuaOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ call, memoryBytes, resolve });
      this.next();
    });
  }

  /** How many calls run or wait now. */
  get load(): number {
    return this.busy.size + this.queue.length;
  }

  private next(): void {
    while (this.queue.length) {
      const worker = this.idle.pop() ?? (this.started < this.limit() ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift()!;
      this.busy.set(worker, { pending, timer: this.watchdog(worker, pending, false), waiting: false });
      worker.ref();
      worker.postMessage({ id: this.nextId++, memoryBytes: pending.memoryBytes, call: pending.call } satisfies LuaJob);
    }
  }

  /** How many workers may run now: `size`, and one more for each that waits for the archive. */
  private limit(): number {
    let waiting = 0;
    for (const b of this.busy.values()) if (b.waiting) waiting++;
    return Math.min(MAX_WORKERS, this.size + waiting);
  }

  /** The end of a call's budget (and a grace period) in a worker: past it, the worker is ended. */
  private watchdog(worker: Worker, pending: Pending, started = true): NodeJS.Timeout {
    return setTimeout(
      () => {
        this.finish(worker, failed(pending.call, `${pending.call.name}: the script did not end in time; stopped`));
        void worker.terminate();
      },
      pending.call.timeoutMs + GRACE_MS + (started ? 0 : START_MS),
    );
  }

  /** A worker's chunk asks for something that waits: done here, answered; the watchdog waits meanwhile. */
  private async serve(worker: Worker, request: LuaServiceRequest): Promise<void> {
    const running = this.busy.get(worker);
    if (!running) return;
    clearTimeout(running.timer);
    running.waiting = true;
    this.next();
    let answer: ToWorker;
    try {
      if (!LUA_SERVICE_NAMES.includes(request.name)) throw new Error(`${request.name} is not a service`);
      const fn = this.services[request.name] as (...args: unknown[]) => Promise<unknown>;
      const value = await fn.apply(this.services, request.args.map(revived));
      answer = { service: request.service, value };
    } catch (err) {
      answer = { service: request.service, error: (err as Error).message || String(err) };
    }
    // The call may have ended meanwhile (the scripts stopping, the worker gone).
    if (this.busy.get(worker) !== running) return;
    running.waiting = false;
    running.timer = this.watchdog(worker, running.pending);
    worker.postMessage(answer);
  }

  private finish(worker: Worker, outcome: LuaOutcome): void {
    const running = this.busy.get(worker);
    if (!running) return;
    clearTimeout(running.timer);
    this.busy.delete(worker);
    running.pending.resolve(outcome);
  }

  private spawn(): Worker {
    this.started++;
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: 256 } });
    worker.unref();
    worker.on('message', (answer: FromWorker) => {
      if ('service' in answer) {
        void this.serve(worker, answer);
        return;
      }
      if ('started' in answer) {
        // The budget counts from the chunk's start, not from when it was handed to a worker still starting up.
        const running = this.busy.get(worker);
        if (running && !running.waiting) {
          clearTimeout(running.timer);
          running.timer = this.watchdog(worker, running.pending);
        }
        return;
      }
      const running = this.busy.get(worker);
      if (!running) return;
      const { call } = running.pending;
      if ('failed' in answer) this.finish(worker, failed(call, answer.failed));
      else {
        const { result } = answer.outcome;
        result.dataSet = result.changed ? ownCopy(result.dataSet) : call.dataSet;
        this.finish(worker, answer.outcome);
      }
      // A worker started while another waited ends once the others are enough again.
      if (this.started > this.limit() && !this.queue.length) void worker.terminate();
      else {
        this.idle.push(worker);
        worker.unref();
        this.next();
      }
    });
    const gone = (why: string) => {
      const running = this.busy.get(worker);
      if (running) this.finish(worker, failed(running.pending.call, `the scripts' thread ${why}`));
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      this.started--;
      if (!this.closed) this.next();
    };
    let ended = false;
    const end = (why: string) => {
      if (ended) return;
      ended = true;
      gone(why);
    };
    worker.on('error', (err) => end(`failed: ${err.message}`));
    worker.on('exit', (code) => end(`ended (${code})`));
    return worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(failed(p.call, 'the scripts are stopping'));
    const inline = this.inline;
    this.inline = undefined;
    await inline?.engine.then((e) => e.close()).catch(() => undefined);
    const all = [...this.idle, ...this.busy.keys()];
    for (const w of this.busy.keys())
      this.finish(w, failed(this.busy.get(w)!.pending.call, 'the scripts are stopping'));
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }
}

function failed(call: LuaCall, error: string): LuaOutcome {
  return { result: emptyResult(call.dataSet), lines: [], error };
}
