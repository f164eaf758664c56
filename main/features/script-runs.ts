import type { ArchiveCore } from '../core/archive-core.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { Statement } from '../automation/converter-script.ts';
import { checkForwardScript, runConverters, type ConverterResult } from '../automation/converter-run.ts';
import { archiveUidKey, luaStep, oldUidsStep, writeConverterFiles } from '../automation/converter-steps.ts';
import type { LuaHost } from '../automation/lua-host.ts';
import { scriptSourceOf } from '../config/import-converters.ts';
import type { DataSet } from '../dicom/dataset.ts';
import { converterLookups } from './converter-lookups.ts';
import { archiveFolders } from './converter-effects.ts';

/** Who a script run on one object speaks for: the name its prints and errors carry, and the AE titles it sees. */
export interface ScriptRunAbout {
  name: string;
  sopInstanceUid: string;
  callingAe: string;
  calledAe: string;
}

/**
 * Converter commands that change one object and do nothing else (a forward's script, newdicommodify): checked as
 * checkForwardScript checks them (what would queue other work is refused) and parsed once per script and
 * configuration (`call` and file.lua read what dicom.ini and its folder hold now), then run with Lua, %R/%Q lookups
 * and olduids; their `write`/`append` files are written, their newuids' pairs kept.
 */
export function scriptRuns(core: ArchiveCore, lua: LuaHost) {
  const parsed = new WeakMap<LoadedConfig, Map<string, Statement[]>>();
  const statementsOf = (script: string): Statement[] => {
    const scripts = parsed.get(core.config) ?? new Map<string, Statement[]>();
    parsed.set(core.config, scripts);
    const statements = scripts.get(script) ?? checkForwardScript(script, scriptSourceOf(core.config.ini));
    scripts.set(script, statements);
    return statements;
  };
  const log = core.child('converters');
  return async (script: string, dataSet: DataSet, about: ScriptRunAbout): Promise<ConverterResult> => {
    const statements = statementsOf(script);
    const uidKey = await archiveUidKey(core.config.configDir);
    const result = await runConverters(
      [statements],
      dataSet,
      { callingAe: about.callingAe, calledAe: about.calledAe, uidKey, lookup: converterLookups(core) },
      luaStep(lua, core.settings, log, {
        uidKey,
        name: () => about.name,
        sopInstanceUid: about.sopInstanceUid,
        association: { calling: about.callingAe, called: about.calledAe, connectedIp: '', thread: 0 },
      }),
      oldUidsStep(core.index.uidMapStore()),
    );
    for (const note of result.notes) log.info(`${about.sopInstanceUid} (${about.name}): ${note}`);
    await writeConverterFiles(core.dataDir, result.files, log, archiveFolders(core));
    if (result.outcome === 'store' && result.uidPairs.length) await core.index.uidMapStore().remember(result.uidPairs);
    return result;
  };
}

/** newdicommodify's commands on one stored object (StudyEditor.modifyByScript): the changed attributes, or undefined. */
export function scriptedChange(core: ArchiveCore, lua: LuaHost) {
  const run = scriptRuns(core, lua);
  return async (script: string, dataSet: DataSet, sopInstanceUid: string): Promise<DataSet | undefined> => {
    const result = await run(script, dataSet, {
      name: 'newdicommodify',
      sopInstanceUid,
      callingAe: core.settings.aeTitle,
      calledAe: core.settings.aeTitle,
    });
    return result.outcome === 'store' && result.changed ? result.dataSet : undefined;
  };
}
