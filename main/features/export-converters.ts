import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { StoredEvent } from '../archive/ingest.ts';
import type { SourceLogger } from '../util/log.ts';
import { needsObject, ruleMatches, type ForwardRule } from '../config/forward-rules.ts';
import { filterMatches } from '../config/import-converters.ts';
import { readObjectHead } from '../edit/object-rewrite.ts';
import { runConverters } from '../automation/converter-run.ts';
import { luaStep, writeConverterFiles } from '../automation/converter-steps.ts';
import { HOST_PORT } from '../../common/forward-rule.ts';
import { LuaHost } from '../automation/lua-host.ts';
import { luaServices } from './lua-services.ts';
import { Tag } from '../dicom/tags.ts';
import { textOf } from '../dicom/dataset.ts';
import { transfers } from './transfers.ts';
import { archiveFolders, queueForwards, runSystemCommands } from './converter-effects.ts';
import { msg } from '../../common/message.ts';

/**
 * Conquest's ExportConverters beyond plain forwarding rules (those the transfers feature queues at once): lines in the
 * converter language, and rules filtered by `ExportStationName<i>` or `ExportFilter<i>`, run on each object once it is
 * stored and its sender heard success, each line on its own (as Conquest's converters run side by side: one line's
 * `stop` ends only that line). What they say is queued as jobs (forwards), written (files inside the data folder) or
 * logged; a line that fails is logged and shown on the Monitor, and never touches the stored object.
 */
export const exportConverters: Feature<{ scripts: LuaHost }> = {
  name: 'export-converters',
  needs: [transfers],
  start(core, { the }) {
    const nodes = the(transfers);
    const lua = new LuaHost(luaServices(core, the(transfers)));
    const log = core.child('converters');
    core.onStored((e) => {
      const rules = core.config.forwardRules.filter(
        (r) =>
          needsObject(r) &&
          ruleMatches(r, {
            modality: e.header.modality,
            callingAe: e.callingAe,
            calledAe: e.calledAe,
            sopClassUid: e.header.sopClassUid,
          }),
      );
      if (rules.length) void runExports(core, e, rules, { lua, log, known: (ae) => !!nodes.node(ae) });
    });
    return { provides: { scripts: lua }, stop: () => lua.close() };
  },
};

async function runExports(
  core: ArchiveCore,
  e: StoredEvent,
  rules: ForwardRule[],
  { lua, log, known }: { lua: LuaHost; log: SourceLogger; known: (ae: string) => boolean },
): Promise<void> {
  const sop = e.header.sopInstanceUid;
  let head: Awaited<ReturnType<typeof readObjectHead>>;
  try {
    head = await readObjectHead(core.store.absolutePath(e.location));
  } catch (err) {
    failed(core, log, sop, 'ExportConverters', (err as Error).message);
    return;
  }
  const stationName = textOf(head.dataSet.get(Tag.StationName));
  for (const rule of rules) {
    const name = `ExportConverter${rule.index}`;
    try {
      if (rule.stationName && !filterMatches(rule.stationName, stationName)) continue;
      if (rule.filter && !rule.filter.test(head.dataSet)) continue;
      const result = await runConverters(
        [rule.statements],
        head.dataSet,
        { callingAe: e.callingAe, calledAe: e.calledAe },
        luaStep(lua, core.settings, log, {
          name: () => name,
          sopInstanceUid: sop,
          association: { calling: e.callingAe, called: e.calledAe, connectedIp: '', thread: 0 },
        }),
      );
      for (const note of result.notes) log.info(`${name} (${sop}): ${note}`);
      await writeConverterFiles(core.dataDir, result.files, log, archiveFolders(core));
      runSystemCommands(core, result.commands, name);
      for (const f of result.forwards)
        if (!known(f.destination) && !HOST_PORT.test(f.destination))
          throw new Error(`forward to ${f.destination}: not in acrnema.map`);
      await queueForwards(core, result.forwards, e.header, {
        compression: rule.compression,
        commitment: rule.commitment,
      });
    } catch (err) {
      failed(core, log, sop, name, (err as Error).message);
    }
  }
}

function failed(core: ArchiveCore, log: SourceLogger, sop: string, name: string, reason: string): void {
  log.error(`${name} failed on ${sop}: ${reason}`);
  core.activity.problem(msg('{converter} failed on {uid}: {reason}', { converter: name, uid: sop, reason }));
}
