import type { ArchiveCore } from '../core/archive-core.ts';
import type { ConverterTrialDto, ConverterTryDto } from '../api/automation-dto.ts';
import type { ForwardCommand } from '../automation/forward-command.ts';
import { emptyResult, runConverters, type ConverterResult } from '../automation/converter-run.ts';
import { archiveUidKey, luaStep, oldUidsStep } from '../automation/converter-steps.ts';
import type { LuaHost } from '../automation/lua-host.ts';
import { converterLookups } from './converter-lookups.ts';
import { filterMatches } from '../config/import-converters.ts';
import { ruleMatches } from '../config/forward-rules.ts';
import { objectHeadOf, readObjectHead } from '../edit/object-rewrite.ts';
import { valueText } from '../dicom/dataset.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { isSequence, textOf, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { keywordOf } from '../dicom/dictionary.ts';
import { Tag } from '../dicom/tags.ts';
import { HttpError } from '../api/router.ts';
import { msg } from '../../common/message.ts';

/**
 * "Try on an object" (the Automation screen): the converters of dicom.ini run on a stored object as if it had just
 * arrived from its sender, and nothing is done: no file is changed or written, no forward queued. The answer says, for
 * each converter, whether its filters let the object through, what it decided, what it would cause and print; and the
 * attributes the import converters would change, before and after.
 */
export async function tryConverters(core: ArchiveCore, lua: LuaHost, sopInstanceUid: string): Promise<ConverterTryDto> {
  const row = await core.index.findInstance(sopInstanceUid);
  if (!row) throw new HttpError(404, msg('no object {uid} in the archive', { uid: sopInstanceUid }));
  const head = await readObjectHead(core.store.absolutePath(row.location));
  return tryOn(core, lua, head.dataSet, row.callingAe ?? '');
}

/**
 * The same on a file dropped on the screen (a Part-10 file, or a bare data set): as if `callingAe` had just sent it;
 * nothing is stored. A file that is not DICOM is refused (400) with the reason.
 */
export async function tryConvertersOnFile(
  core: ArchiveCore,
  lua: LuaHost,
  bytes: Buffer,
  callingAe: string,
): Promise<ConverterTryDto> {
  let head: Awaited<ReturnType<typeof objectHeadOf>>;
  try {
    head = await objectHeadOf([bytes], 'the dropped file');
  } catch (err) {
    throw new HttpError(400, msg('not a DICOM file: {reason}', { reason: (err as Error).message }));
  }
  return tryOn(core, lua, head.dataSet, callingAe);
}

async function tryOn(core: ArchiveCore, lua: LuaHost, original: DataSet, callingAe: string): Promise<ConverterTryDto> {
  const sopInstanceUid = textOf(original.get(Tag.SOPInstanceUID));
  const sopClassUid = textOf(original.get(Tag.SOPClassUID));
  const calledAe = core.settings.aeTitle;
  const text = texts(original);
  const modality = text(Tag.Modality);
  const trials: ConverterTrialDto[] = [];
  let current = original;
  let outcome: ConverterTryDto['outcome'] = 'store';
  let droppedBy = '';
  for (const c of core.config.importConverters) {
    const key = `ImportConverter${c.index}`;
    if (droppedBy) {
      trials.push({ key, ran: false, skipped: `${droppedBy} dropped the object first`, actions: [], prints: [] });
      continue;
    }
    const stopped = firstFilter([
      [`ImportModality${c.index}`, c.modality, modality],
      [`ImportStationName${c.index}`, c.stationName, texts(current)(Tag.StationName)],
      [`ImportCalledAE${c.index}`, c.calledAe, calledAe],
      [`ImportCallingAE${c.index}`, c.callingAe, callingAe],
    ]);
    if (stopped) {
      trials.push({ key, ran: false, skipped: stopped, actions: [], prints: [] });
      continue;
    }
    // As the object would arrive: on the first storage device (Data.Storage).
    const trial = await trialOf(key, [c.statements], current, { callingAe, calledAe, storage: 'MAG0' }, lua, core);
    trials.push(trial.dto);
    if (trial.result && !trial.dto.error) {
      current = trial.result.dataSet;
      if (trial.result.outcome !== 'store') {
        outcome = trial.result.outcome;
        droppedBy = key;
      }
    }
  }
  for (const rule of core.config.forwardRules) {
    const key = `ExportConverter${rule.index}`;
    if (outcome !== 'store') {
      trials.push({ key, ran: false, skipped: 'the object would not be stored', actions: [], prints: [] });
      continue;
    }
    const matches = ruleMatches(rule, {
      modality: texts(current)(Tag.Modality),
      callingAe,
      calledAe,
      sopClassUid,
    });
    const stopped = !matches
      ? 'ExportModality, ExportCallingAE, ExportCalledAE or ExportSOPClass'
      : rule.stationName && !filterMatches(rule.stationName, texts(current)(Tag.StationName))
        ? `ExportStationName${rule.index} = ${rule.stationName}`
        : rule.filter && !rule.filter.test(current)
          ? `ExportFilter${rule.index} = ${rule.filter.text}`
          : '';
    if (stopped) {
      trials.push({ key, ran: false, skipped: stopped, actions: [], prints: [] });
      continue;
    }
    const trial = await trialOf(key, [rule.statements], current, { callingAe, calledAe }, lua, core);
    trials.push({ ...trial.dto, decision: undefined });
  }
  return {
    sopInstanceUid,
    patientName: text(Tag.PatientName),
    modality,
    changes: changesBetween(original, current),
    outcome,
    converters: trials,
  };
}

async function trialOf(
  key: string,
  lines: Parameters<typeof runConverters>[0],
  dataSet: DataSet,
  context: { callingAe: string; calledAe: string; storage?: string },
  lua: LuaHost,
  core: ArchiveCore,
): Promise<{ dto: ConverterTrialDto; result?: ConverterResult }> {
  const prints: string[] = [];
  const uidKey = await archiveUidKey(core.config.configDir);
  const step = luaStep(lua, core.settings, core.child('converters'), {
    name: () => key,
    sopInstanceUid: '',
    association: { calling: context.callingAe, called: context.calledAe, connectedIp: '', thread: 0 },
    storage: context.storage,
    uidKey,
    onLine: (l) => prints.push(l.text),
  });
  try {
    const result = await runConverters(
      lines,
      dataSet,
      {
        ...context,
        uidKey,
        lookup: converterLookups(core),
        // A try decides without doing: the program is not run, and the try says so (as for dicommove).
        external: (command) => Promise.reject(new Error(`a try does not run this: process with ${command}`)),
      },
      step,
      oldUidsStep(core.index.uidMapStore()),
    );
    return { dto: { key, ran: true, decision: result.outcome, actions: actionsOf(result), prints }, result };
  } catch (err) {
    const empty = emptyResult(dataSet);
    return {
      dto: { key, ran: true, decision: 'store', actions: actionsOf(empty), prints, error: (err as Error).message },
    };
  }
}

function actionsOf(r: ConverterResult): string[] {
  return [
    ...r.forwards.map(forwardWords),
    ...r.files.map((f) =>
      'text' in f
        ? `${f.op === 'append' ? 'append to' : 'write'} ${f.file}: ${JSON.stringify(f.text)}`
        : `${f.op} ${f.file}`,
    ),
    ...r.commands.map((c) => `system ${c}`),
    ...(r.compression !== undefined ? [`store compressed as ${r.compression}`] : []),
    ...r.notes.map((n) => `nop ${n}`),
    ...(r.deferred ? ['defer: this line would run on the object again after RetryDelay'] : []),
    ...(r.device !== undefined ? [`store on MAG${r.device}`] : []),
    ...r.gets.map(
      (g) =>
        `${g.preretrieve ? 'preretrieve' : `get ${g.level}`}${Object.entries(g.keys)
          .map(([k, v]) => ` ${k} ${v}`)
          .join(
            '',
          )} from ${g.source}${g.afterSeconds === undefined ? ' (after ForwardCollectDelay)' : ` after ${g.afterSeconds} s`}`,
    ),
    ...r.saves.map((v) => (v.kind === 'dicom' ? `save to ${v.file}` : `save ${v.kind} frame ${v.frame} to ${v.file}`)),
    ...r.processes.map(processWords),
    ...r.deletes.map(
      (d) =>
        `delete ${d.level}${d.filters.modality ? ` modality ${d.filters.modality}` : ''}${d.filters.study ? ` study ${d.filters.study}` : ''}${d.afterSeconds === undefined ? ' (after ForwardCollectDelay)' : ` after ${d.afterSeconds} s`}`,
    ),
  ];
}

function processWords(p: ConverterResult['processes'][number]): string {
  if ('prefetch' in p) return 'prefetch (the patient, after ForwardCollectDelay)';
  const after = (s: number | undefined) => (s === undefined ? ' (after ForwardCollectDelay)' : ` after ${s} s`);
  if ('merge' in p) {
    const { modality, seriesdesc } = p.merge.filters;
    return `merge study${modality ? ` modality ${modality}` : ''}${seriesdesc ? ` seriesdesc ${seriesdesc}` : ''}${after(p.merge.afterSeconds)}`;
  }
  if ('submit' in p) {
    const { level, target, command, afterSeconds } = p.submit;
    return `submit2 ${level}${target ? ` target ${target}` : ''} command [${command}]${after(afterSeconds)}`;
  }
  const by = p.by.kind === 'command' ? p.by.line : `${p.by.file}(${p.by.args})`;
  return `process ${p.level} by ${by}${after(p.afterSeconds)}`;
}

function forwardWords(f: ForwardCommand): string {
  const as = f.compression ? ` compressed as ${f.compression}` : '';
  const script = f.script === undefined ? '' : ` script "${f.script.replace(/"/g, '""')}"`;
  const via = `${f.org ? ` org ${f.org}` : ''}${f.dest ? ` dest ${f.dest}` : ''}`;
  if (!f.level) return `forward${as} to ${f.destination}${via}${script}`;
  const filters = Object.entries(f.filters)
    .map(([k, v]) => ` ${k} ${v}`)
    .join('');
  const after = f.afterSeconds === undefined ? ' (after ForwardCollectDelay)' : ` after ${f.afterSeconds} s`;
  const dates = !f.dates
    ? ''
    : f.dates.kind === 'date'
      ? ` date ${f.dates.from}-${f.dates.to}`
      : ` ${f.dates.kind} ${f.dates.from}+${f.dates.to}`;
  const split = f.split ? ` split ${f.split.n}/${f.split.m}` : '';
  const imageType = f.imageType ? ` imagetype ${f.imageType}` : '';
  return `forward ${f.level}${filters}${imageType}${dates}${split}${as} to ${f.destination}${via}${after}${script}`;
}

/** The first filter (key = value) that stops the object, or ''. */
function firstFilter(filters: [string, string, string][]): string {
  for (const [key, filter, value] of filters) if (!filterMatches(filter, value)) return `${key} = ${filter}`;
  return '';
}

function texts(ds: DataSet): (tag: number) => string {
  const charset = new CharacterSet(textOf(ds.get(Tag.SpecificCharacterSet)) || undefined);
  return (tag) => shown(ds.get(tag), (b) => charset.decode(b));
}

function shown(e: DicomElement | undefined, decode: (b: Buffer) => string): string {
  if (!e) return '';
  if (isSequence(e)) return `(${e.value.length} item${e.value.length === 1 ? '' : 's'})`;
  return valueText(e, decode);
}

function changesBetween(before: DataSet, after: DataSet): ConverterTryDto['changes'] {
  if (before === after) return [];
  const a = texts(before);
  const b = texts(after);
  const tags = [...new Set([...before.keys(), ...after.keys()])].sort((x, y) => x - y);
  return tags
    .filter((t) => a(t) !== b(t) || before.has(t) !== after.has(t))
    .map((t) => ({
      tag: `${(t >>> 16).toString(16).padStart(4, '0')},${(t & 0xffff).toString(16).padStart(4, '0')}`,
      name: keywordOf(t),
      before: before.has(t) ? a(t) : '',
      after: after.has(t) ? b(t) : '',
    }));
}
