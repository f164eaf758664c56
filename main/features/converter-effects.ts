import path from 'node:path';
import type { ArchiveCore } from '../core/archive-core.ts';
import { externalAllowed, runProgram } from './outside-programs.ts';
import type { InstanceHeader } from '../dicom/instance-header.ts';
import type { ForwardCommand, ForwardFilterClause, SeriesDates } from '../automation/forward-command.ts';
import { forwardGroup } from '../jobs/job-queue.ts';
import type { Condition } from '../query/condition.ts';
import { QR_BY_TAG } from '../query/attributes.ts';
import { Tag } from '../dicom/tags.ts';

/** What converters' results cause outside the object: forwards queued, files kept to their folders, programs run. */

/**
 * The forwards converters said for one stored object, queued: `forward to AE` adds it to the destination's forward job
 * of its study; a delayed forward (`forward study to AE after 60`) puts the patient's, study's or series' objects as
 * the index holds them now, narrowed by its filters, in a delayed forward job per study, whose start moves on with each
 * object that arrives (ForwardCollectDelay seconds when no `after` is said). Jobs are in the index: a restart loses none.
 */
export async function queueForwards(
  core: ArchiveCore,
  forwards: readonly ForwardCommand[],
  header: InstanceHeader,
  options: { compression?: string; commitment?: boolean } = {},
): Promise<void> {
  for (const f of forwards) {
    const compression = f.compression || options.compression || '';
    const via = { org: f.org, dest: f.dest, script: f.script, imageType: f.imageType };
    if (!f.level) {
      const { group, acrossStudies } = forwardGroup(core.settings.forwardAssociationLevel, header);
      await core.queue.forward(
        f.destination,
        acrossStudies ? '' : header.studyInstanceUid,
        header.sopInstanceUid,
        compression,
        options.commitment,
        undefined,
        { ...via, group },
      );
      continue;
    }
    const notBefore = Date.now() + (f.afterSeconds ?? core.settings.forwardCollectDelaySeconds) * 1000;
    let found = await core.index.instancesMatching(conditions(f, header));
    if (f.split) found = found.filter((_, at) => at % f.split!.m === f.split!.n);
    const byStudy = new Map<string, string[]>();
    for (const i of found) {
      const study = i.studyInstanceUid ?? header.studyInstanceUid;
      byStudy.set(study, [...(byStudy.get(study) ?? []), i.sopInstanceUid]);
    }
    for (const [study, sops] of byStudy)
      await core.queue.forward(f.destination, study, sops, compression, options.commitment, notBefore, via);
  }
}

export const LEVEL_KEY = {
  patient: Tag.PatientID,
  study: Tag.StudyInstanceUID,
  series: Tag.SeriesInstanceUID,
  image: Tag.SOPInstanceUID,
} as const;

const FILTER_KEY: Record<ForwardFilterClause, number> = {
  modality: Tag.Modality,
  seriesdesc: Tag.SeriesDescription,
  study: Tag.StudyInstanceUID,
  series: Tag.SeriesInstanceUID,
  sop: Tag.SOPInstanceUID,
};

function conditions(f: ForwardCommand, header: InstanceHeader): Condition[] {
  const own: Record<ForwardCommand['level'] & string, string> = {
    patient: header.patientId,
    study: header.studyInstanceUid,
    series: header.seriesInstanceUid,
    image: header.sopInstanceUid,
  };
  const out: Condition[] = [single(LEVEL_KEY[f.level!], own[f.level!])];
  for (const [clause, value] of Object.entries(f.filters))
    out.push(single(FILTER_KEY[clause as ForwardFilterClause], value!));
  if (f.dates) out.push(seriesDates(f.dates, header));
  return out;
}

/** `date a-b`, `now -d+d` (days from today) and `age -d+d` (days from this object's series date) as a series date range. */
function seriesDates(dates: SeriesDates, header: InstanceHeader): Condition {
  return { attr: QR_BY_TAG.get(Tag.SeriesDate)!, match: { kind: 'range', ...seriesDateRange(dates, header) } };
}

/** The yyyymmdd range (either end '' for open) a `date`, `now` or `age` clause means for this object. */
export function seriesDateRange(dates: SeriesDates, header: InstanceHeader): { from: string; to: string } {
  if (dates.kind === 'date') return { from: dates.from, to: dates.to };
  const base = dates.kind === 'now' ? new Date() : dicomDate(header.seriesDate || header.studyDate);
  return { from: base ? daysFrom(base, dates.from) : '', to: base ? daysFrom(base, dates.to) : '' };
}

function dicomDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text.trim());
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
}

/** A date `days` after `base` (before, when negative), as yyyymmdd; '' (open) far beyond any series date. */
function daysFrom(base: Date, days: number): string {
  if (Math.abs(days) >= 100000) return '';
  const d = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate()) + days * 86_400_000);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function single(tag: number, value: string): Condition {
  return { attr: QR_BY_TAG.get(tag)!, match: { kind: 'single', value } };
}

/**
 * Where converters' Lua finds its files (scripts beside dicom.ini, `io` inside the data folder, read only in a try) and
 * what each of its states runs first (the `[lua]` hooks' definitions; not for the hooks' own states).
 */
export function luaScope(core: ArchiveCore, readOnly = false, withSetup = true) {
  return {
    scriptDir: core.config.configDir,
    files: { dataDir: core.dataDir, protectedDirs: archiveFolders(core), readOnly },
    // What `[lua] startup` and `association` define, the converters see (lua-engine.ts's setup).
    setup: withSetup
      ? () =>
          [core.config.luaHooks.startup?.chunk, core.config.luaHooks.association?.chunk].filter((c) => c !== undefined)
      : undefined,
  };
}

/**
 * The folders converters' file operations leave alone: the storage folders, the index's (SQLite) and the
 * configuration.
 */
export function archiveFolders(core: ArchiveCore): string[] {
  const index = core.settings.index;
  return [
    ...core.store.devices,
    core.config.configDir,
    ...(index.engine === 'sqlite' ? [path.dirname(index.file)] : []),
  ];
}

/**
 * `system command line` of converters: run through the system's shell only where the admin set AllowExternalCommands =
 * 1, each run written to the audit trail with its command line and outcome; refused (logged, on the Monitor) otherwise.
 * The converter does not wait for it (as Conquest's runs in the background).
 */
export function runSystemCommands(core: ArchiveCore, commands: readonly string[], converter: string): void {
  for (const command of commands) {
    if (!externalAllowed(core, converter, `system ${command}`)) continue;
    runProgram(core, command, { user: converter }).catch((err: Error) =>
      core.child('converters').error(`${converter}: "system ${command}" failed: ${err.message}`),
    );
  }
}
