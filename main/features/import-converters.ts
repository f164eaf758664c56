import type { Feature } from '../core/feature.ts';
import type { SourceLogger } from '../util/log.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { ArrivalDecision, ArrivingObject, HoldMode } from '../archive/ingest.ts';
import { filterMatches, type ImportConverter } from '../config/import-converters.ts';
import type { Statement } from '../automation/converter-script.ts';
import { runConverters } from '../automation/converter-run.ts';
import {
  ConverterFailed,
  archiveUidKey,
  luaStep,
  oldUidsStep,
  writeConverterFiles,
} from '../automation/converter-steps.ts';
import { LuaHost } from '../automation/lua-host.ts';
import { luaServices } from './lua-services.ts';
import { headerOfDataSet } from '../automation/converted-header.ts';
import { objectBytesWith, objectHeadOf, readObjectHead, writeObjectWith } from '../edit/object-rewrite.ts';
import { Tag } from '../dicom/tags.ts';
import { textOf } from '../dicom/dataset.ts';
import { transfers } from './transfers.ts';
import { edit } from './edit.ts';
import { forwardScriptRunner } from './forward-scripts.ts';
import { scriptedChange } from './script-runs.ts';
import { saveCopies } from './converter-saves.ts';
import type { SaveCommand } from '../automation/save-command.ts';
import { converterLookups } from './converter-lookups.ts';
import { archiveFolders, luaScope, queueForwards, runSystemCommands } from './converter-effects.ts';
import { deleteRunner, processRunner, remoteFind, queueDeletes, queueGets, queueProcesses } from './converter-jobs.ts';
import { msg } from '../../common/message.ts';
import { compressionPlan } from '../../common/compression-code.ts';
import { processWithRunner, type ConvertedSource } from './process-with.ts';
import { scriptedFileName } from './lua-file-names.ts';
import { open, unlink } from 'node:fs/promises';

/**
 * Conquest's ImportConverters (dicom.ini `ImportConverter0..99` and their filters): run in order on each object received
 * in full, before it is stored and before its sender hears the outcome. They may change its attributes (the temporary
 * file is written again), drop it (`destroy`: the sender hears success) or refuse it (`reject`), and forward it once it
 * is stored. dicom.ini's converters apply from the next object on when the settings are saved.
 */
export const importConverters: Feature<{ scripts: LuaHost }> = {
  name: 'import-converters',
  needs: [transfers, edit],
  settings: ['LuaTimeout', 'LuaMemory', 'ConverterErrorPolicy', 'ForwardCollectDelay', 'AllowExternalCommands'],
  start(core, { the }) {
    const lua = new LuaHost(luaServices(core, the(transfers), the(edit)), luaScope(core));
    core.queue.addRunner('delete', deleteRunner(core));
    core.queue.addRunner(
      'process',
      processRunner(core, lua, (series) => the(edit).mergeSeries(series), remoteFind(the(transfers))),
    );
    the(transfers).scriptWith(forwardScriptRunner(core, lua));
    the(edit).scriptWith(scriptedChange(core, lua));
    core.ingest.beforeStore(
      (object) => convertArriving(core, object, lua),
      () => holdFor(core.config.importConverters),
    );
    // After the converters: the name is the object's as they left it. FileNameSyntax is read at start only, so an
    // archive whose files a template names has no such check on its path.
    if (core.store.layoutScript !== undefined) core.ingest.beforeStore((object) => scriptedFileName(core, object, lua));
    return { provides: { scripts: lua }, stop: () => lua.close() };
  },
};

/**
 * What the converters need of an arriving object in memory: its head (they run while its pixel data arrives), or all
 * of it when one hands it to a program (`process with`).
 */
export function holdFor(converters: readonly ImportConverter[]): HoldMode {
  if (!converters.length) return 'none';
  const whole = (statements: readonly Statement[]): boolean =>
    statements.some((s) => (s.kind === 'block' ? whole(s.body) : /^\s*process\s+with\b/i.test(s.text)));
  return converters.some((c) => whole(c.statements)) ? 'whole' : 'head';
}

/** The import converters' saves, from the object as stored. */
async function savesOf(
  core: ArchiveCore,
  saves: readonly SaveCommand[],
  sop: string,
  log: SourceLogger,
): Promise<void> {
  if (!saves.length) return;
  const stored = await core.index.findInstance(sop);
  if (stored) await saveCopies(core, saves, stored.location, log, 'ImportConverters');
}

/** What the converters decide for one object received in full (the ingest's check). */
export async function convertArriving(
  core: ArchiveCore,
  object: ArrivingObject,
  lua: LuaHost,
): Promise<ArrivalDecision> {
  const { header } = object;
  if (!core.config.importConverters.length) return { outcome: 'store', header };
  const log = core.child('converters');
  try {
    return await runOn(core, object, log, lua);
  } catch (err) {
    // Converters that fail (a script's error, an object they cannot read or write again) leave it as received: stored
    // (or refused, ConverterErrorPolicy = reject), never lost or half-changed (the object held in memory or its
    // temporary file is replaced only by a complete copy, after every converter ran).
    const reason = (err as Error).message;
    if (err instanceof ConverterFailed && core.settings.converterErrorPolicy === 'reject') {
      log.error(`${header.sopInstanceUid} from ${object.callingAe}: an import converter failed, refused: ${reason}`);
      core.activity.problem(
        msg('an import converter failed on {uid}, refused to {ae}: {reason}', {
          uid: header.sopInstanceUid,
          ae: object.callingAe,
          reason,
        }),
      );
      return { outcome: 'reject', comment: `an import converter of this archive failed: ${reason}`.slice(0, 64) };
    }
    log.error(`${header.sopInstanceUid}: the import converters failed, stored as received: ${reason}`);
    core.activity.problem(
      msg('import converters failed on {uid}, stored as received: {reason}', { uid: header.sopInstanceUid, reason }),
    );
    return { outcome: 'store', header };
  }
}

async function runOn(
  core: ArchiveCore,
  object: ArrivingObject,
  log: SourceLogger,
  lua: LuaHost,
): Promise<ArrivalDecision> {
  const { header } = object;
  // Held in memory (the usual case): read and rewritten there, written once. Else (a very large object) from its file.
  const held = object.held();
  const head = held ? await objectHeadOf(held, object.file) : await readObjectHead(object.file);
  const { dataSet } = head;
  const stationName = textOf(dataSet.get(Tag.StationName));
  const applying = core.config.importConverters.filter(
    (c) =>
      filterMatches(c.modality, header.modality) &&
      filterMatches(c.stationName, stationName) &&
      filterMatches(c.calledAe, object.calledAe) &&
      filterMatches(c.callingAe, object.callingAe),
  );
  if (!applying.length) return { outcome: 'store', header };
  const uidKey = await archiveUidKey(core.config.configDir);
  const name = (line: number) => `ImportConverter${applying[line]!.index}`;
  // What `process with` leaves replaces the object (its bytes held from then on).
  const source = { current: { head, held, file: object.file } as ConvertedSource };
  const result = await runConverters(
    applying.map((c) => c.statements),
    dataSet,
    {
      callingAe: object.callingAe,
      calledAe: object.calledAe,
      uidKey,
      lookup: converterLookups(core),
      // Never asked for on a head alone (holdFor holds such objects whole): refused rather than given half an object.
      external: object.headOnly
        ? () => Promise.reject(new ConverterFailed('process with needs the whole object, which has not arrived'))
        : processWithRunner(core, source, name),
    },
    luaStep(lua, core.settings, log, {
      uidKey,
      name,
      sopInstanceUid: header.sopInstanceUid,
      storage: `MAG${object.device}`,
      association: {
        calling: object.callingAe,
        called: object.calledAe,
        connectedIp: object.peerAddress,
        thread: object.association,
      },
    }),
    oldUidsStep(core.index.uidMapStore()),
  );
  // Once the object is in full (the converters may run while its pixel data arrives): the files they write and the
  // programs they run; newuids' pairs kept before the object is stored, so an olduids on it (or on a query) can
  // always undo them.
  const effects = async (): Promise<void> => {
    for (const note of result.notes) log.info(`${header.sopInstanceUid}: ${note}`);
    await writeConverterFiles(core.dataDir, result.files, log, archiveFolders(core));
    runSystemCommands(core, result.commands, 'ImportConverters');
    if (result.outcome === 'destroy' && !result.quiet)
      log.info(`${header.sopInstanceUid} from ${object.callingAe} destroyed by an import converter`);
    if (result.outcome === 'reject')
      log.info(`${header.sopInstanceUid} from ${object.callingAe} rejected by an import converter`);
    if (result.uidPairs.length) await core.index.uidMapStore().remember(result.uidPairs);
  };
  if (result.outcome === 'destroy') return { outcome: 'destroy', effects };
  if (result.outcome === 'reject')
    return { outcome: 'reject', comment: 'rejected by an import converter of this archive', effects };
  let stored = header;
  const now = source.current;
  if (result.changed) {
    if (held && now.held) object.replaceHeld(objectBytesWith(now.held, now.head, result.dataSet));
    else {
      const rewritten = `${object.file}.cv`;
      // Flushed when the archive writes durably: it stands in for the received file, whose flush it replaces.
      const size = now.held
        ? await writeWhole(rewritten, objectBytesWith(now.held, now.head, result.dataSet), core.settings.durableWrites)
        : await writeObjectWith(object.file, head, result.dataSet, rewritten, core.settings.durableWrites);
      await object.replaceWith(rewritten, size);
    }
    stored = headerOfDataSet(result.dataSet);
  }
  // A program (process with) may have left it in another syntax.
  const syntax = now.head.meta.transferSyntaxUid;
  const transferSyntaxUid = syntax === head.meta.transferSyntaxUid ? undefined : syntax;
  const { forwards, deletes, gets, processes, saves } = result;
  const afterStore =
    forwards.length || deletes.length || gets.length || processes.length || saves.length
      ? () => {
          savesOf(core, saves, stored.sopInstanceUid, log)
            .then(() => queueForwards(core, forwards, stored))
            .then(() => queueDeletes(core, deletes, stored, 'ImportConverters'))
            .then(() => queueGets(core, gets, stored, object.callingAe, 'ImportConverters'))
            .then(() => queueProcesses(core, processes, stored, 'ImportConverters'))
            .catch((err: Error) =>
              log.error(`cannot queue the delayed work of ${stored.sopInstanceUid}: ${err.message}`),
            );
        }
      : undefined;
  const compression = result.compression === undefined ? undefined : compressionPlan(result.compression);
  const devices = core.store.devices.length;
  if (result.device !== undefined && result.device >= devices)
    log.error(
      `${header.sopInstanceUid}: storage MAG${result.device} is not a device here (MAGDevices is ${devices}); kept where it came`,
    );
  const device = result.device !== undefined && result.device < devices ? result.device : undefined;
  return { outcome: 'store', header: stored, afterStore, compression, device, transferSyntaxUid, effects };
}

/** Chunks written as one new file (flushed when `flush`); its size. On failure the file is removed. */
async function writeWhole(file: string, chunks: readonly Uint8Array[], flush: boolean): Promise<number> {
  const out = await open(file, 'w');
  try {
    let at = 0;
    for (const c of chunks) {
      await out.write(c, 0, c.length, at);
      at += c.length;
    }
    if (flush) await out.datasync();
    return at;
  } catch (err) {
    await unlink(file).catch(() => undefined);
    throw err;
  } finally {
    await out.close();
  }
}
