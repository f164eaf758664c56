import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import type { StoredEvent } from '../archive/ingest.ts';
import type { SourceLogger } from '../util/log.ts';
import { needsObject, ruleMatches, type ForwardRule } from '../config/forward-rules.ts';
import { filterMatches } from '../config/import-converters.ts';
import { readObjectHead, type ObjectHead } from '../edit/object-rewrite.ts';
import { headerOfDataSet } from '../automation/converted-header.ts';
import { JobDeferred, PermanentJobError, type JobRunner } from '../jobs/job-queue.ts';
import { runConverters } from '../automation/converter-run.ts';
import { luaStep, writeConverterFiles } from '../automation/converter-steps.ts';
import { HOST_PORT } from '../../common/forward-rule.ts';
import { LuaHost } from '../automation/lua-host.ts';
import { luaServices } from './lua-services.ts';
import { Tag } from '../dicom/tags.ts';
import { textOf } from '../dicom/dataset.ts';
import { transfers } from './transfers.ts';
import { edit } from './edit.ts';
import { saveCopies } from './converter-saves.ts';
import { converterLookups } from './converter-lookups.ts';
import { archiveFolders, luaScope, queueForwards, runSystemCommands } from './converter-effects.ts';
import { deleteRunner, processRunner, remoteFind, queueDeletes, queueGets, queueProcesses } from './converter-jobs.ts';
import { msg } from '../../common/message.ts';

/**
 * Conquest's ExportConverters beyond plain forwarding rules (those the transfers feature queues at once): lines in the
 * converter language, and rules filtered by `ExportStationName<i>` or `ExportFilter<i>`, run on each object once it is
 * stored and its sender heard success, each line on its own (as Conquest's converters run side by side: one line's
 * `stop` ends only that line). What they say is queued as jobs (forwards), written (files inside the data folder) or
 * logged; a line that fails is logged and shown on the Monitor, and never touches the stored object. A line that says
 * `defer` runs on that object again RetryDelay seconds later, as a 'deferred' job, until it no longer defers.
 */
export const exportConverters: Feature<{ scripts: LuaHost }> = {
  name: 'export-converters',
  needs: [transfers, edit],
  start(core, { the }) {
    const nodes = the(transfers);
    const lua = new LuaHost(luaServices(core, the(transfers), the(edit)), luaScope(core));
    const log = core.child('converters');
    const context: ExportContext = { lua, log, known: (ae) => !!nodes.node(ae) };
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
      if (rules.length) void runExports(core, e, rules, context);
    });
    core.queue.addRunner('deferred', deferredRunner(core, context));
    core.queue.addRunner('delete', deleteRunner(core));
    core.queue.addRunner(
      'process',
      processRunner(core, lua, (series) => the(edit).mergeSeries(series), remoteFind(the(transfers))),
    );
    return { provides: { scripts: lua }, stop: () => lua.close() };
  },
};

/** What an export line runs on: a stored object, as it arrived (or as a deferred job finds it again). */
type ExportSubject = Pick<StoredEvent, 'header' | 'location' | 'callingAe' | 'calledAe'>;

interface ExportContext {
  lua: LuaHost;
  log: SourceLogger;
  known: (ae: string) => boolean;
}

async function runExports(
  core: ArchiveCore,
  e: ExportSubject,
  rules: ForwardRule[],
  ctx: ExportContext,
): Promise<void> {
  const sop = e.header.sopInstanceUid;
  let head: ObjectHead;
  try {
    head = await readObjectHead(core.store.absolutePath(e.location));
  } catch (err) {
    failed(core, ctx.log, sop, 'ExportConverters', (err as Error).message);
    return;
  }
  for (const rule of rules) {
    try {
      if (await runRule(core, e, rule, head, ctx)) await deferRule(core, e, rule);
    } catch (err) {
      failed(core, ctx.log, sop, `ExportConverter${rule.index}`, (err as Error).message);
    }
  }
}

/** One export line on one object, its effects done; true when it said `defer` (it runs again later). */
async function runRule(
  core: ArchiveCore,
  e: ExportSubject,
  rule: ForwardRule,
  head: ObjectHead,
  { lua, log, known }: ExportContext,
): Promise<boolean> {
  const name = `ExportConverter${rule.index}`;
  const sop = e.header.sopInstanceUid;
  if (rule.stationName && !filterMatches(rule.stationName, textOf(head.dataSet.get(Tag.StationName)))) return false;
  if (rule.filter && !rule.filter.test(head.dataSet)) return false;
  const result = await runConverters(
    [rule.statements],
    head.dataSet,
    {
      callingAe: e.callingAe,
      calledAe: e.calledAe,
      lookup: converterLookups(core),
      file: core.store.absolutePath(e.location),
    },
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
  await queueForwards(core, result.forwards, e.header, { compression: rule.compression, commitment: rule.commitment });
  await queueDeletes(core, result.deletes, e.header, name);
  await queueGets(core, result.gets, e.header, e.callingAe, name);
  await queueProcesses(core, result.processes, e.header, name);
  await saveCopies(core, result.saves, e.location, log, name);
  return result.deferred === true;
}

/** What a deferred job keeps: the line (by number and text: a changed line does not run) and the object's sender. */
interface DeferredDetail {
  rule: number;
  text: string;
  callingAe: string;
  calledAe: string;
}

/** `defer`: the line runs on this object again in RetryDelay seconds, as a job (kept in the index: a restart keeps it). */
async function deferRule(core: ArchiveCore, e: ExportSubject, rule: ForwardRule): Promise<void> {
  const detail: DeferredDetail = { rule: rule.index, text: rule.text, callingAe: e.callingAe, calledAe: e.calledAe };
  await core.queue.add(
    'deferred',
    {
      studyUid: e.header.studyInstanceUid,
      detail: JSON.stringify(detail),
      nextAttemptAt: Date.now() + core.settings.retryDelaySeconds * 1000,
    },
    [e.header.sopInstanceUid],
  );
}

/** A deferred job: the line again on its object (gone meanwhile: nothing to do); deferred again, it waits again. */
function deferredRunner(core: ArchiveCore, ctx: ExportContext): JobRunner {
  return async ({ job, progress }) => {
    const d = JSON.parse(job.detail) as DeferredDetail;
    const name = `ExportConverter${d.rule}`;
    const [sop] = await core.index.jobStore().items(job.id);
    const stored = sop ? await core.index.findInstance(sop) : undefined;
    await progress({ total: 1 }, true);
    if (!stored) return;
    const rule = core.config.forwardRules.find((r) => r.index === d.rule && r.text === d.text);
    if (!rule)
      throw new PermanentJobError(
        msg('{converter} changed or was removed since it deferred this object', { converter: name }),
      );
    const head = await readObjectHead(core.store.absolutePath(stored.location));
    const e = {
      header: headerOfDataSet(head.dataSet),
      location: stored.location,
      callingAe: d.callingAe,
      calledAe: d.calledAe,
    };
    if (await runRule(core, e, rule, head, ctx)) {
      const seconds = core.settings.retryDelaySeconds;
      throw new JobDeferred(
        msg('{converter} deferred it: it runs again in {n} s', { converter: name, n: String(seconds) }),
        Date.now() + seconds * 1000,
      );
    }
    await progress({ done: 1 }, true);
  };
}

function failed(core: ArchiveCore, log: SourceLogger, sop: string, name: string, reason: string): void {
  log.error(`${name} failed on ${sop}: ${reason}`);
  core.activity.problem(msg('{converter} failed on {uid}: {reason}', { converter: name, uid: sop, reason }));
}
