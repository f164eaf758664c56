import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveCore } from '../core/archive-core.ts';
import { msg } from '../../common/message.ts';
import type { InstanceHeader } from '../dicom/instance-header.ts';
import type {
  DelayedDelete,
  DelayedGet,
  DelayedMerge,
  DelayedProcess,
  DelayedSubmit,
} from '../automation/forward-command.ts';
import type { Condition } from '../query/condition.ts';
import { Tag } from '../dicom/tags.ts';
import { PermanentJobError, type JobContext, type JobRunner } from '../jobs/job-queue.ts';
import type { Job, RetrieveQuery } from '../jobs/job.ts';
import { byTag, textElement, textOf, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { vrOf } from '../dicom/dictionary.ts';
import type { Transfers } from '../archive/transfers.ts';
import { QrSopClass } from '../../common/uids.ts';
import { Level, QR_BY_TAG } from '../query/attributes.ts';
import { parseMatch } from '../query/matching.ts';
import type { LuaHost } from '../automation/lua-host.ts';
import { emptyResult, type ConverterResult } from '../automation/converter-run.ts';
import { luaStep, writeConverterFiles } from '../automation/converter-steps.ts';
import { readObjectHead } from '../edit/object-rewrite.ts';
import { runProgram } from './outside-programs.ts';
import { headerOfDataSet } from '../automation/converted-header.ts';
import {
  LEVEL_KEY,
  archiveFolders,
  queueForwards,
  runSystemCommands,
  seriesDateRange,
  single,
} from './converter-effects.ts';

/**
 * Converters' delayed work on whole patients, studies or series, each a job in the index that every new object of it
 * moves on (ForwardCollectDelay seconds, or the command's `after NN`), so it starts once the data stopped arriving:
 * deletes, gets (retrieves to this archive), and `process ... by` (a program or a Lua file) and `prefetch`.
 */

/**
 * A converter's delayed deletes (`delete patient|study [modality mm] [study uid] [after NN]`): a 'delete' job per
 * study, which each new object of it moves on to NN seconds later (ForwardCollectDelay when no `after`); then the
 * study is deleted as the Studies screen deletes one (journaled; a protected study is kept), and audited.
 */
export async function queueDeletes(
  core: ArchiveCore,
  deletes: readonly DelayedDelete[],
  header: InstanceHeader,
  converter: string,
): Promise<void> {
  for (const d of deletes) {
    const notBefore = Date.now() + (d.afterSeconds ?? core.settings.forwardCollectDelaySeconds) * 1000;
    const conditions: Condition[] =
      d.level === 'study'
        ? [single(Tag.StudyInstanceUID, d.filters.study || header.studyInstanceUid)]
        : [single(Tag.PatientID, header.patientId)];
    if (d.level === 'patient' && d.filters.study) conditions.push(single(Tag.StudyInstanceUID, d.filters.study));
    if (d.filters.modality) conditions.push(single(Tag.Modality, d.filters.modality));
    const studies = new Set((await core.index.instancesMatching(conditions)).map((i) => i.studyInstanceUid ?? ''));
    studies.delete('');
    for (const study of studies)
      await core.queue.studyJob('delete', study, JSON.stringify({ by: converter }), notBefore);
  }
}

/**
 * A converter's delayed gets (`get ... from AE`, `preretrieve AE`): a C-MOVE from AE to this archive of what the object
 * names (its patient, study, series or itself; the clauses' UIDs instead), as a retrieve job that each new object moves
 * on (ForwardCollectDelay when no `after`). A preretrieve on an object that came from AE itself does nothing.
 */
export async function queueGets(
  core: ArchiveCore,
  gets: readonly DelayedGet[],
  header: InstanceHeader,
  callingAe: string,
  converter: string,
): Promise<void> {
  for (const g of gets) {
    if (g.preretrieve && g.source.toUpperCase() === callingAe.toUpperCase()) continue;
    if (!core.config.nodes.find(g.source)) throw new Error(`get from ${g.source}: not in acrnema.map`);
    const level = g.level.toUpperCase() as 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
    const keys: Record<string, string> = {};
    if (level === 'PATIENT') keys.PatientID = header.patientId;
    else {
      keys.StudyInstanceUID = g.keys.study || header.studyInstanceUid;
      if (level !== 'STUDY') keys.SeriesInstanceUID = g.keys.series || header.seriesInstanceUid;
      if (level === 'IMAGE') keys.SOPInstanceUID = g.keys.sop || header.sopInstanceUid;
    }
    const query = { level, keys };
    const notBefore = Date.now() + (g.afterSeconds ?? core.settings.forwardCollectDelaySeconds) * 1000;
    if (g.filters || g.dates) {
      // The matching series are found when it runs: a 'process' job that asks the source, then queues their moves.
      const narrowed: ProcessDetail = {
        by: converter,
        level: g.level,
        uid: keys.StudyInstanceUID ?? keys.PatientID ?? '',
        get: {
          source: g.source,
          query,
          modality: g.filters?.modality,
          seriesdesc: g.filters?.seriesdesc,
          dates: g.dates ? seriesDateRange(g.dates, header) : undefined,
        },
      };
      await core.queue.studyJob('process', keys.StudyInstanceUID ?? '', JSON.stringify(narrowed), notBefore);
      continue;
    }
    const detail = JSON.stringify({ by: converter, from: g.source, query });
    await core.queue.studyJob('move', keys.StudyInstanceUID ?? '', detail, notBefore, { source: g.source, query });
  }
}

/** The 'delete' jobs' runner: the study deleted (already gone: nothing to do; protected: kept, the job failed). */
export function deleteRunner(core: ArchiveCore): JobRunner {
  return async ({ job, progress }) => {
    const by = String((JSON.parse(job.detail || '{}') as { by?: unknown }).by ?? 'a converter');
    await progress({ total: 1 }, true);
    const done = await core.removal.remove(job.studyUid, `deleted by ${by}`);
    if (done === 'protected')
      throw new PermanentJobError(
        msg('study {uid} is protected: {converter} did not delete it', { uid: job.studyUid, converter: by }),
      );
    if (done)
      core.audit.record({
        action: 'delete',
        user: by,
        source: 'converters',
        studyUid: job.studyUid,
        detail: `${done.objects} objects, by ${by}`,
      });
    await progress({ done: 1 }, true);
  };
}

/** A delayed process job's detail: what it runs on (the level's UID) and what it runs. */
interface ProcessDetail {
  by: string;
  level: DelayedProcess['level'];
  uid: string;
  run?: DelayedProcess['by'];
  prefetch?: boolean;
  /** `merge study`: which of the study's series become one. */
  merge?: DelayedMerge['filters'];
  /** `get ... modality|seriesdesc|date ... from AE`: the series of `query` on `source` that match, to move here. */
  get?: NarrowedGet;
  /** `submit2`: a command line run for each object of the level. */
  submit?: DelayedSubmit;
}

interface NarrowedGet {
  source: string;
  query: RetrieveQuery;
  modality?: string;
  seriesdesc?: string;
  dates?: { from: string; to: string };
}

/**
 * `process ... by ...`, `prefetch`, `merge study` and `submit2`: a 'process' job for the patient, study or series
 * (prefetch: the patient).
 */
export async function queueProcesses(
  core: ArchiveCore,
  processes: ConverterResult['processes'],
  header: InstanceHeader,
  converter: string,
): Promise<void> {
  const uids = {
    patient: header.patientId,
    study: header.studyInstanceUid,
    series: header.seriesInstanceUid,
    image: header.sopInstanceUid,
  };
  for (const p of processes) {
    const level = 'prefetch' in p ? 'patient' : 'merge' in p ? 'study' : 'submit' in p ? p.submit.level : p.level;
    const detail: ProcessDetail =
      'prefetch' in p
        ? { by: converter, level, uid: uids.patient, prefetch: true }
        : 'merge' in p
          ? { by: converter, level, uid: uids.study, merge: p.merge.filters }
          : 'submit' in p
            ? { by: converter, level, uid: uids[level], submit: p.submit }
            : { by: converter, level, uid: uids[level], run: p.by };
    const after =
      'prefetch' in p
        ? undefined
        : 'merge' in p
          ? p.merge.afterSeconds
          : 'submit' in p
            ? p.submit.afterSeconds
            : p.afterSeconds;
    const notBefore = Date.now() + (after ?? core.settings.forwardCollectDelaySeconds) * 1000;
    await core.queue.studyJob(
      'process',
      level === 'patient' ? '' : header.studyInstanceUid,
      JSON.stringify(detail),
      notBefore,
    );
  }
}

/**
 * The 'process' jobs' runner: `prefetch` reads each file of the patient once; a command runs only where
 * AllowExternalCommands = 1 (audited); a Lua file beside dicom.ini runs with `command_line` and `Data` (the newest
 * object of the level), its forwards, files and programs done as a converter's.
 */
export function processRunner(
  core: ArchiveCore,
  lua: LuaHost,
  merge: (seriesUids: string[]) => Promise<Job>,
  find: (ae: string, level: 'STUDY' | 'SERIES', identifier: DataSet) => Promise<DataSet[]>,
): JobRunner {
  return async ({ job, progress, signal }) => {
    const d = JSON.parse(job.detail) as ProcessDetail;
    if (d.get) {
      await progress({ total: 1 }, true);
      const moves = await narrowedMoves(d.get, find);
      for (const query of moves)
        await core.queue.add('move', { source: d.get.source, query, studyUid: query.keys.StudyInstanceUID });
      core
        .child('converters')
        .info(`${d.by}: get from ${d.get.source}: ${moves.length} study(ies) with matching series queued`);
      await progress({ done: 1 }, true);
      return;
    }
    if (d.submit) {
      await submitEach(core, d.by, d.level, d.uid, d.submit, progress, signal);
      return;
    }
    const found = await core.index.instancesMatching([single(LEVEL_KEY[d.level], d.uid)]);
    await progress({ total: d.prefetch ? found.length : 1 }, true);
    if (d.prefetch) {
      let done = 0;
      for (const i of found) {
        if (signal.aborted) return;
        await readThrough(core.store.absolutePath(i.location));
        await progress({ done: ++done });
      }
      await progress({ done }, true);
      return;
    }
    if (d.merge) {
      const series = await seriesToMerge(core, d.uid, d.merge);
      if (series.length > 1) {
        const edit = await merge(series);
        core.audit.record({
          action: 'edit',
          user: d.by,
          source: 'converters',
          studyUid: d.uid,
          detail: `series ${series.join(', ')} merged (edit job ${edit.id})`,
        });
      }
      await progress({ done: 1 }, true);
      return;
    }
    const run = d.run!;
    if (run.kind === 'command') {
      mayRunPrograms(core, d.by);
      runSystemCommands(core, [run.line], d.by);
    } else {
      const code = await readFile(path.resolve(core.config.configDir, run.file.replace(/\\/g, '/')), 'utf8').catch(
        () => {
          throw new PermanentJobError(msg('{file}: no such Lua file beside dicom.ini', { file: run.file }));
        },
      );
      const newest = found.at(-1);
      const head = newest ? await readObjectHead(core.store.absolutePath(newest.location)) : undefined;
      const result = emptyResult(head?.dataSet ?? new Map());
      const log = core.child('converters');
      await luaStep(lua, core.settings, log, {
        name: () => `${d.by} ${run.file}`,
        sopInstanceUid: d.uid,
        association: { calling: '', called: core.settings.aeTitle, connectedIp: 'process', thread: 0 },
      })(`command_line = ${JSON.stringify(run.args)}\n${code}`, result, 0);
      for (const note of result.notes) log.info(`${d.by} ${run.file}: ${note}`);
      await writeConverterFiles(core.dataDir, result.files, log, archiveFolders(core));
      runSystemCommands(core, result.commands, d.by);
      if (head) await queueForwards(core, result.forwards, headerOfDataSet(head.dataSet));
    }
    await progress({ done: 1 }, true);
  };
}

/** A delayed job that would run an outside program ends here, for good, where AllowExternalCommands = 0. */
function mayRunPrograms(core: ArchiveCore, converter: string): void {
  if (!core.settings.allowExternalCommands)
    throw new PermanentJobError(
      msg('{converter}: an outside program was not run (AllowExternalCommands = 0)', { converter }),
    );
}

/**
 * `submit2`: the command line for each object of the level (the clauses' UIDs narrowing it), `%s` the object's file
 * and the second `%s` the target, only where AllowExternalCommands = 1, each run audited; a program that fails fails
 * the job (retried as any job), after the objects before it went.
 */
async function submitEach(
  core: ArchiveCore,
  by: string,
  level: DelayedSubmit['level'],
  uid: string,
  submit: DelayedSubmit,
  progress: JobContext['progress'],
  signal: AbortSignal,
): Promise<void> {
  mayRunPrograms(core, by);
  const conditions = [single(LEVEL_KEY[level], uid)];
  if (submit.keys.study) conditions.push(single(Tag.StudyInstanceUID, submit.keys.study));
  if (submit.keys.series) conditions.push(single(Tag.SeriesInstanceUID, submit.keys.series));
  if (submit.keys.sop) conditions.push(single(Tag.SOPInstanceUID, submit.keys.sop));
  const found = await core.index.instancesMatching(conditions);
  await progress({ total: found.length }, true);
  let done = 0;
  for (const i of found) {
    if (signal.aborted) return;
    const file = core.store.absolutePath(i.location);
    let n = 0;
    const line = submit.command.replace(/%s/g, () => (n++ === 0 ? `"${file}"` : submit.target));
    const { exit } = await runProgram(core, line, { user: by, label: 'submit2 ', timeoutMs: 3_600_000 });
    if (exit !== 0)
      throw new Error(
        `submit2 of ${i.sopInstanceUid}: ${line}: ${exit === 'timeout' ? 'ran longer than an hour' : `exit ${exit}`}`,
      );
    await progress({ done: ++done });
  }
  await progress({ done }, true);
}

/** A C-FIND (study root) on a node of acrnema.map, for a narrowed get. */
export function remoteFind(transfers: Transfers) {
  return async (ae: string, level: 'STUDY' | 'SERIES', identifier: DataSet): Promise<DataSet[]> => {
    const node = transfers.node(ae);
    if (!node) throw new PermanentJobError(msg('{ae} is not in acrnema.map or dicomweb.map', { ae }));
    const ask: DataSet = new Map(identifier);
    ask.set(Tag.QueryRetrieveLevel, textElement(Tag.QueryRetrieveLevel, 'CS', level));
    return transfers.client.find(node, QrSopClass.StudyRootFind, byTag(ask));
  };
}

/**
 * A narrowed get's moves: the studies (the one named, or the patient's, by a C-FIND at STUDY level), then each one's
 * series that match (a C-FIND at SERIES level with Modality, Series Description and Series Date as asked, and the
 * series or object the get names); one SERIES-level move per study with matching series.
 */
async function narrowedMoves(
  g: NarrowedGet,
  find: (ae: string, level: 'STUDY' | 'SERIES', identifier: DataSet) => Promise<DataSet[]>,
): Promise<RetrieveQuery[]> {
  const keys = g.query.keys;
  const text = (tag: number, value: string): [number, DicomElement] => [tag, textElement(tag, vrOf(tag), value)];
  const studies = keys.StudyInstanceUID
    ? [keys.StudyInstanceUID]
    : (
        await find(
          g.source,
          'STUDY',
          new Map([text(Tag.PatientID, keys.PatientID ?? ''), text(Tag.StudyInstanceUID, '')]),
        )
      )
        .map((a) => textOf(a.get(Tag.StudyInstanceUID)))
        .filter(Boolean);
  const out: RetrieveQuery[] = [];
  for (const study of studies) {
    const ask: DataSet = new Map([
      text(Tag.StudyInstanceUID, study),
      text(Tag.SeriesInstanceUID, keys.SeriesInstanceUID ?? ''),
      text(Tag.Modality, g.modality ?? ''),
      text(Tag.SeriesDescription, g.seriesdesc ?? ''),
      text(Tag.SeriesDate, g.dates ? `${g.dates.from}-${g.dates.to}` : ''),
    ]);
    const series = (await find(g.source, 'SERIES', ask))
      .map((a) => textOf(a.get(Tag.SeriesInstanceUID)))
      .filter(Boolean);
    if (!series.length) continue;
    const moveKeys: Record<string, string> = {
      StudyInstanceUID: study,
      SeriesInstanceUID: [...new Set(series)].join('\\'),
    };
    if (keys.SOPInstanceUID) moveKeys.SOPInstanceUID = keys.SOPInstanceUID;
    out.push({ level: keys.SOPInstanceUID ? 'IMAGE' : 'SERIES', keys: moveKeys });
  }
  return out;
}

/**
 * The series of a study a `merge study` makes one: those of its modality and whose description matches (`*` and `?`
 * as in a query), by series number (the first is the one the others join).
 */
async function seriesToMerge(core: ArchiveCore, study: string, filters: DelayedMerge['filters']): Promise<string[]> {
  const conditions: Condition[] = [single(Tag.StudyInstanceUID, study)];
  if (filters.modality) conditions.push(single(Tag.Modality, filters.modality));
  if (filters.seriesdesc)
    conditions.push({
      attr: QR_BY_TAG.get(Tag.SeriesDescription)!,
      match: parseMatch(filters.seriesdesc, 'LO'),
    });
  const rows = await core.index.queryArchive(
    Level.SERIES,
    [QR_BY_TAG.get(Tag.SeriesInstanceUID)!, QR_BY_TAG.get(Tag.SeriesNumber)!],
    conditions,
  );
  return rows
    .map((r) => ({ uid: String(r.SeriesInstanceUID ?? ''), number: Number(r.SeriesNumber || Number.MAX_SAFE_INTEGER) }))
    .filter((r) => r.uid)
    .sort((a, b) => a.number - b.number || a.uid.localeCompare(b.uid))
    .map((r) => r.uid);
}

/** A file read to its end (and dropped): afterwards it is in the system's cache. */
function readThrough(file: string): Promise<void> {
  return new Promise((resolve) => {
    const stream = createReadStream(file, { highWaterMark: 1 << 20 });
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('error', () => resolve());
  });
}
