import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLogger } from '../util/log.ts';
import type { ConverterResult, FileOp, LuaRunner, OldUidsRunner } from './converter-run.ts';
import type { UidMapStore } from '../index/sql-uid-map.ts';
import { confinedPath } from './confined-path.ts';

export { confinedPath };
import { remapUids, uidsIn } from './uid-remap.ts';
import type { LuaCall, LuaOutcome } from './lua-engine.ts';
import type { LuaHost } from './lua-host.ts';

/** What import and export converters share around the runner: their Lua step and the files they write. */

/** A converter that failed (its script's error): the object is stored as received or refused, as the admin chose. */
export class ConverterFailed extends Error {}

/**
 * The runner's Lua step: the chunk runs on the object as the converters before it left it, under LuaTimeout and
 * LuaMemory; its prints go to the log with the converter's name (or to `onLine`), its error ends the run (ConverterFailed).
 */
export function luaStep(
  host: LuaHost,
  settings: { luaTimeoutSeconds: number; luaMemoryMB: number },
  log: SourceLogger,
  about: {
    name: (line: number) => string;
    sopInstanceUid: string;
    association: LuaCall['association'];
    uidKey?: string;
    command?: LuaCall['command'];
    /** Data.Storage: the device the object is kept on (import converters). */
    storage?: string;
    /** Where prints go instead of the log (the Automation screen's try shows them). */
    onLine?: (line: LuaOutcome['lines'][number]) => void;
  },
): LuaRunner {
  return async (chunk, into, line) => {
    const name = about.name(line);
    const ran = await host.run(
      {
        chunk,
        name,
        dataSet: into.dataSet,
        association: about.association,
        timeoutMs: settings.luaTimeoutSeconds * 1000,
        uidKey: about.uidKey,
        command: about.command,
        storage: about.storage,
      },
      settings.luaMemoryMB << 20,
    );
    for (const l of ran.lines) {
      if (about.onLine) about.onLine(l);
      else log[l.level](`${name} (${about.sopInstanceUid}): ${l.text}`);
    }
    if (ran.error !== undefined) throw new ConverterFailed(ran.error);
    foldIn(into, ran.result);
  };
}

/** A Lua chunk's effects joined to those of the converters before it. */
function foldIn(into: ConverterResult, ran: ConverterResult): void {
  into.dataSet = ran.dataSet;
  into.changed ||= ran.changed;
  if (ran.outcome !== 'store') {
    into.outcome = ran.outcome;
    into.quiet = ran.quiet;
  }
  into.forwards.push(...ran.forwards);
  into.files.push(...ran.files);
  into.commands.push(...ran.commands);
  into.notes.push(...ran.notes);
  into.uidPairs.push(...ran.uidPairs);
  into.deletes.push(...ran.deletes);
  into.gets.push(...ran.gets);
  into.processes.push(...ran.processes);
  into.saves.push(...ran.saves);
  if (ran.compression !== undefined) into.compression = ran.compression;
  if (ran.deferred) into.deferred = true;
  if (ran.device !== undefined) into.device = ran.device;
}

/**
 * A converter's file operations (`write`, `append`, `mkdir`, `rm`): a relative name is in the data folder, and nothing
 * outside it is touched (folders resolved, links included), nor the archive's own folders inside it (`protectedDirs`:
 * the storage folders, the index, the configuration). One that cannot be done is logged; the object goes on all the same.
 */
export async function writeConverterFiles(
  dataDir: string,
  ops: readonly FileOp[],
  log: SourceLogger,
  protectedDirs: readonly string[] = [],
): Promise<void> {
  if (!ops.length) return;
  for (const f of ops) {
    try {
      const target = await confinedPath(dataDir, f.file, protectedDirs, f.op === 'mkdir');
      if (f.op === 'mkdir') await mkdir(target, { recursive: true });
      else if (f.op === 'rm') await rm(target);
      else if ('text' in f) await (f.op === 'append' ? appendFile(target, f.text) : writeFile(target, f.text));
    } catch (err) {
      log.error(`a converter could not ${WORDS[f.op]} ${f.file}: ${(err as Error).message}`);
    }
  }
}

const WORDS: Record<FileOp['op'], string> = { write: 'write', append: 'append to', mkdir: 'make', rm: 'remove' };

/** The runner's olduids step: the object's UIDs looked up in the index's pairs (of that stage), the old ones put back. */
export function oldUidsStep(store: UidMapStore): OldUidsRunner {
  return async (command, result) => {
    const known = await store.oldUids(command.stage, uidsIn(result.dataSet, command));
    if (!known.size) return;
    result.dataSet = remapUids(result.dataSet, command, (uid) => known.get(uid) ?? uid);
    result.changed = true;
  };
}

let keys: Map<string, Promise<string>> | undefined;

/**
 * The archive's key for newuids (uid-remap.ts): made once, kept in the configuration folder (`uid-key`, readable by its
 * owner only), so the same old UID gets the same new one after a restart and nowhere else.
 */
export function archiveUidKey(configDir: string): Promise<string> {
  keys ??= new Map();
  let key = keys.get(configDir);
  if (!key) {
    const file = path.join(configDir, 'uid-key');
    key = readFile(file, 'utf8').then(
      (text) => text.trim(),
      async () => {
        const fresh = randomBytes(32).toString('hex');
        await writeFile(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
        return (await readFile(file, 'utf8')).trim();
      },
    );
    keys.set(configDir, key);
  }
  return key;
}
