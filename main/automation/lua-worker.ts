import { parentPort } from 'node:worker_threads';
import { ScriptEngine, type LuaCall, type LuaOutcome } from './lua-engine.ts';
import { revived } from './lua-data.ts';
import { LUA_SERVICE_NAMES, type LuaServiceAnswer, type LuaServiceRequest, type LuaServices } from './lua-services.ts';

/**
 * The scripts' worker thread: one Lua state (lua-engine.ts), one chunk at a time. A state whose chunk ran out of time
 * or memory is closed and a fresh one made for the next chunk (what the old one held might be half-built). What a
 * chunk asks of the archive (a DICOM node, the index) goes to the archive's thread as a message and the chunk waits,
 * suspended, for the answer (lua-host.ts).
 */

export type LuaJob = { id: number; memoryBytes: number; call: LuaCall };
export type LuaAnswer = { id: number; outcome: LuaOutcome } | { id: number; failed: string };
export type ToWorker = LuaJob | LuaServiceAnswer;
/** `started`: the job's chunk begins now (its budget counts from here: a cold worker may take a while to get there). */
export type FromWorker = LuaAnswer | LuaServiceRequest | { id: number; started: true };

let engine: { memoryBytes: number; lua: Promise<ScriptEngine> } | undefined;

function engineFor(memoryBytes: number): Promise<ScriptEngine> {
  if (engine?.memoryBytes !== memoryBytes) {
    const old = engine;
    engine = { memoryBytes, lua: ScriptEngine.create(memoryBytes) };
    old?.lua.then((e) => e.close()).catch(() => {});
  }
  return engine.lua;
}

const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextService = 1;

/** The archive's services, through messages. */
const services = Object.fromEntries(
  LUA_SERVICE_NAMES.map((name) => [
    name,
    (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const service = nextService++;
        waiting.set(service, { resolve, reject });
        parentPort!.postMessage({ service, name, args } satisfies FromWorker);
      }),
  ]),
) as unknown as LuaServices;

async function runJob(job: LuaJob): Promise<void> {
  let lua: ScriptEngine;
  try {
    lua = await engineFor(job.memoryBytes);
  } catch (err) {
    engine = undefined;
    parentPort!.postMessage({
      id: job.id,
      failed: `Lua could not start: ${(err as Error).message}`,
    } satisfies FromWorker);
    return;
  }
  parentPort!.postMessage({ id: job.id, started: true } satisfies FromWorker);
  const outcome = await lua.runWaiting(job.call, services);
  if (outcome.spent) {
    lua.close();
    engine = undefined;
  }
  // Only a changed object goes back (the caller keeps its own otherwise).
  const answer = outcome.result.changed ? outcome : { ...outcome, result: { ...outcome.result, dataSet: new Map() } };
  parentPort!.postMessage({ id: job.id, outcome: answer } satisfies FromWorker);
}

parentPort?.on('message', (message: ToWorker) => {
  if ('service' in message) {
    const pending = waiting.get(message.service);
    waiting.delete(message.service);
    if (message.error !== undefined) pending?.reject(new Error(message.error));
    else pending?.resolve(revived(message.value));
    return;
  }
  void runJob(message);
});
