import { parentPort } from 'node:worker_threads';
import { ScriptEngine, type LuaCall, type LuaOutcome } from './lua-engine.ts';

/**
 * The scripts' worker thread: one Lua state (lua-engine.ts), one chunk at a time. A state whose chunk ran out of time
 * or memory is closed and a fresh one made for the next chunk (what the old one held might be half-built).
 */

export type LuaJob = { id: number; memoryBytes: number; call: LuaCall };
export type LuaAnswer = { id: number; outcome: LuaOutcome } | { id: number; failed: string };

let engine: { memoryBytes: number; lua: Promise<ScriptEngine> } | undefined;

function engineFor(memoryBytes: number): Promise<ScriptEngine> {
  if (engine?.memoryBytes !== memoryBytes) {
    const old = engine;
    engine = { memoryBytes, lua: ScriptEngine.create(memoryBytes) };
    old?.lua.then((e) => e.close()).catch(() => {});
  }
  return engine.lua;
}

parentPort?.on('message', (job: LuaJob) => {
  engineFor(job.memoryBytes).then(
    (lua) => {
      const outcome = lua.run(job.call);
      if (outcome.spent) {
        lua.close();
        engine = undefined;
      }
      // Only a changed object goes back (the caller keeps its own otherwise).
      const answer = outcome.result.changed
        ? outcome
        : { ...outcome, result: { ...outcome.result, dataSet: new Map() } };
      parentPort!.postMessage({ id: job.id, outcome: answer } satisfies LuaAnswer);
    },
    (err: Error) => {
      engine = undefined;
      parentPort!.postMessage({ id: job.id, failed: `Lua could not start: ${err.message}` } satisfies LuaAnswer);
    },
  );
});
