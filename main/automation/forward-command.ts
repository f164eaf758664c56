/**
 * Conquest's `forward` command in converters (its Windows manual's command table): `forward [compressed as CC] to AE`
 * sends the object once stored; with a level, `forward patient|study|series|image ... to AE [after NN]` is the delayed
 * forward: once no object of it arrived for NN seconds (ForwardCollectDelay by default), the whole patient, study or
 * series as the archive then holds it goes, narrowed by `modality`, `seriesdesc`, `study`, `series`, `sop`, the series
 * dates (`date yyyymmdd-yyyymmdd`, `now -ddd+ddd` from today, `age -ddd+ddd` from this object's series date) and
 * `split N/M` (every M-th object from the N-th). `to` names a node of acrnema.map or `host:port`; `org AE` is the
 * calling AE title the forward uses, `dest AE` the called one. `channel N` (Conquest keeps a connection per channel;
 * ours are pooled) is accepted and changes nothing. Clauses are single words, in any order, except `script`, which
 * takes the rest of the line (quoted or not): converter commands run on the copy that is sent, never on the stored
 * object (features/forward-scripts.ts). `imagetype` (a delayed forward's) leaves out the objects whose Image Type does
 * not match, read from each as it is sent (archive/image-type-filter.ts).
 */

export type ForwardLevel = 'patient' | 'study' | 'series' | 'image';

export interface ForwardCommand {
  destination: string;
  compression: string;
  /** Set for a delayed forward. */
  level?: ForwardLevel;
  /** `after NN`: seconds; undefined for ForwardCollectDelay's. */
  afterSeconds?: number;
  filters: Partial<Record<ForwardFilterClause, string>>;
  /** `date`, `now`, `age`: a range of series dates (days relative to today or to this object's series date). */
  dates?: SeriesDates;
  /** `split N/M`: the objects at positions N, N+M, N+2M, ... */
  split?: { n: number; m: number };
  /** `org AE`: our calling AE title for this forward. */
  org?: string;
  /** `dest AE`: the called AE title (a `host:port` destination's, or another than acrnema.map's). */
  dest?: string;
  /** `script ...` (the rest of the line): converter commands run on each copy sent, not on the stored object. */
  script?: string;
  /** `imagetype pattern`: only the objects whose Image Type matches (`*`, `?`, no case; values joined by `\`). */
  imageType?: string;
}

export type ForwardFilterClause = 'modality' | 'seriesdesc' | 'study' | 'series' | 'sop';

const LEVELS: readonly string[] = ['patient', 'study', 'series', 'image'];
const FILTERS: readonly string[] = ['modality', 'seriesdesc', 'study', 'series', 'sop'];

/**
 * Conquest's `script` clause: the rest of the line; quoted (so it may hold `;`), the quotes go and a doubled `""` inside
 * is one `"`.
 */
export function splitScriptClause(rest: string): { before: string; script?: string } {
  const m = /(^|\s)script\s+(\S.*)$/is.exec(rest);
  if (!m) return { before: rest };
  const raw = m[2]!.trim();
  const script =
    raw.length > 1 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
  return { before: rest.slice(0, m.index), script };
}

/** A range of series dates: `date yyyymmdd-yyyymmdd`, or days from today (`now -ddd+ddd`) or from the object (`age`). */
export type SeriesDates =
  | { kind: 'date'; from: string; to: string }
  | { kind: 'now' | 'age'; from: number; to: number };

function parseDates(clause: 'date' | 'now' | 'age', v: string): SeriesDates | { error: string } {
  if (clause === 'date') {
    const m = /^(\d{8})?-(\d{8})?$/.exec(v);
    if (!m || (!m[1] && !m[2])) return { error: `date is "date yyyymmdd-yyyymmdd", not "${v}"` };
    return { kind: 'date', from: m[1] ?? '', to: m[2] ?? '' };
  }
  const m = /^([+-]\d+)?([+-]\d+)?$/.exec(v);
  if (!m || (!m[1] && !m[2])) return { error: `${clause} is "${clause} -ddd+ddd" (days), not "${v}"` };
  return { kind: clause, from: Number(m[1] ?? '-100000'), to: Number(m[2] ?? '+100000') };
}

/** An `after NN` clause's value: whole seconds. */
function seconds(value: string): number | { error: string } {
  return /^\d+$/.test(value) ? Number(value) : { error: `after takes seconds, not "${value}"` };
}

/**
 * The `clause value` pairs after a delayed command's level word: `after NN` and the `filters` it takes; a clause in
 * `refused` is refused with its reason, any other names what `what` takes.
 */
function filterClauses<F extends string>(
  words: readonly string[],
  filters: readonly F[],
  what: string,
  refused: Readonly<Record<string, string>> = {},
): { afterSeconds?: number; filters: Partial<Record<F, string>> } | { error: string } {
  const out: { afterSeconds?: number; filters: Partial<Record<F, string>> } = { filters: {} };
  for (let i = 1; i < words.length; i++) {
    const clause = words[i]!.toLowerCase();
    if (Object.hasOwn(refused, clause)) return { error: refused[clause]! };
    const value = words[++i];
    if (value === undefined) return { error: `${clause} needs a value` };
    if (clause === 'after') {
      const after = seconds(value);
      if (typeof after !== 'number') return after;
      out.afterSeconds = after;
    } else if ((filters as readonly string[]).includes(clause)) out.filters[clause as F] = value;
    else return { error: `"${clause}" is not part of ${what} (${[...filters, 'after'].join(', ')})` };
  }
  return out;
}

/** The words after `forward`; an error says what is wrong. */
export function parseForwardCommand(line: string): ForwardCommand | { error: string } {
  const { before: rest, script } = splitScriptClause(line);
  const words = rest.trim().split(/\s+/).filter(Boolean);
  const command: ForwardCommand = { destination: '', compression: '', filters: {}, ...(script ? { script } : {}) };
  let i = 0;
  if (LEVELS.includes(words[0]?.toLowerCase() ?? '')) command.level = words[i++]!.toLowerCase() as ForwardLevel;
  const value = (clause: string) => {
    const v = words[i++];
    if (v === undefined) throw new Error(`${clause} needs a value`);
    return v;
  };
  try {
    while (i < words.length) {
      const clause = words[i++]!.toLowerCase();
      if (clause === 'compressed') {
        if (words[i++]?.toLowerCase() !== 'as') return { error: 'compressed is "compressed as CC"' };
        command.compression = value('compressed as');
      } else if (clause === 'to') command.destination = value('to');
      else if (clause === 'after') {
        const after = seconds(value('after'));
        if (typeof after !== 'number') return after;
        command.afterSeconds = after;
      } else if (clause === 'channel') value('channel');
      else if (clause === 'org' || clause === 'dest') {
        const ae = value(clause);
        if (ae.length > 16) return { error: `${clause} takes an AE title (16 characters at most), not "${ae}"` };
        command[clause] = ae;
      } else if (clause === 'imagetype') {
        if (!command.level) return { error: 'imagetype narrows a delayed forward: forward patient|study|series ...' };
        command.imageType = value(clause);
      } else if (clause === 'date' || clause === 'now' || clause === 'age' || clause === 'split') {
        if (!command.level) return { error: `${clause} narrows a delayed forward: forward patient|study|series ...` };
        const v = value(clause);
        if (clause === 'split') {
          const m = /^(\d+)\/(\d+)$/.exec(v);
          if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2]))
            return { error: `split is "split N/M" with N below M, not "${v}"` };
          command.split = { n: Number(m[1]), m: Number(m[2]) };
        } else {
          const dates = parseDates(clause, v);
          if ('error' in dates) return dates;
          command.dates = dates;
        }
      } else if (FILTERS.includes(clause)) {
        if (!command.level) return { error: `${clause} narrows a delayed forward: forward patient|study|series ...` };
        command.filters[clause as ForwardFilterClause] = value(clause);
      } else return { error: `"${clause}" is not part of forward` };
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (!command.destination) return { error: 'forward names its destination: to AE' };
  if (command.afterSeconds !== undefined && !command.level) command.level = 'image';
  return command;
}

/**
 * Conquest's delayed `delete patient|study [modality mm] [study uid] [after NN]`: once no object of it arrived for NN
 * seconds (ForwardCollectDelay by default), the patient's studies (those with a series of that modality, or that one
 * study) or the study are deleted. Series and images are not deleted one by one in this version (refused).
 */
export interface DelayedDelete {
  level: 'patient' | 'study';
  afterSeconds?: number;
  filters: { modality?: string; study?: string };
}

export function parseDelayedDelete(rest: string): DelayedDelete | { error: string } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  const level = words[0]?.toLowerCase();
  if (level === 'series' || level === 'image')
    return { error: `delete ${level}: this version deletes whole studies (delete patient|study ...)` };
  if (level !== 'patient' && level !== 'study') return { error: 'a delayed delete is "delete patient|study ..."' };
  const clauses = filterClauses(words, ['modality', 'study'], 'a delayed delete');
  return 'error' in clauses ? clauses : { level, ...clauses };
}

/**
 * Conquest's delayed `get patient|study|series|image [study uid] [series uid] [sop uid] [after NN] from AE` and
 * `preretrieve AE` (the object's whole patient): once no object of it arrived for NN seconds (ForwardCollectDelay by
 * default), a C-MOVE from AE to this archive of what the object (or the clauses) name, as a retrieve job. A preretrieve
 * on an object that came from AE itself does nothing (what a preretrieve brings would otherwise ask again). With
 * `modality`, `seriesdesc` or a date range, the series that match are found first with a C-FIND on AE (the patient's
 * studies, or the study named) and only they are moved (converter-jobs.ts); `imagetype` is refused.
 */
export interface DelayedGet {
  level: ForwardLevel;
  source: string;
  afterSeconds?: number;
  keys: { study?: string; series?: string; sop?: string };
  /** `modality`, `seriesdesc`: only the series that match, found first with a C-FIND on the source. */
  filters?: { modality?: string; seriesdesc?: string };
  /** `date`, `now`, `age`: only the series whose date is in the range (a C-FIND first too). */
  dates?: SeriesDates;
  /** `preretrieve`: not run on objects that came from `source`. */
  preretrieve?: boolean;
}

export function parseDelayedGet(rest: string): DelayedGet | { error: string } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  const level = words[0]?.toLowerCase() ?? '';
  if (!LEVELS.includes(level)) return { error: 'get is "get patient|study|series|image ... from AE"' };
  const command: DelayedGet = { level: level as ForwardLevel, source: '', keys: {} };
  for (let i = 1; i < words.length; i++) {
    const clause = words[i]!.toLowerCase();
    const value = words[++i];
    if (value === undefined) return { error: `${clause} needs a value` };
    if (clause === 'from') command.source = value;
    else if (clause === 'after') {
      const after = seconds(value);
      if (typeof after !== 'number') return after;
      command.afterSeconds = after;
    } else if (clause === 'study' || clause === 'series' || clause === 'sop') command.keys[clause] = value;
    else if (clause === 'modality' || clause === 'seriesdesc')
      command.filters = { ...command.filters, [clause]: value };
    else if (clause === 'date' || clause === 'now' || clause === 'age') {
      const dates = parseDates(clause, value);
      if ('error' in dates) return dates;
      command.dates = dates;
    } else if (clause === 'imagetype')
      return { error: 'get ... imagetype is not run by this version (PACS seldom match Image Type in a query)' };
    else
      return {
        error: `"${clause}" is not part of get (study, series, sop, modality, seriesdesc, date, now, age, after, from)`,
      };
  }
  if (!command.source) return { error: 'get names where from: from AE' };
  return command;
}

/** `preretrieve AE`: get the object's whole patient from AE. */
export function parsePreretrieve(rest: string): DelayedGet | { error: string } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  if (words.length !== 1) return { error: 'preretrieve names one AE: preretrieve AE' };
  return { level: 'patient', source: words[0]!, keys: {}, preretrieve: true };
}

/**
 * Conquest's delayed `process [patient|study|series|image] [after NN] by command line|file.lua(arguments)` (the object
 * itself when no level is said): once no object of it arrived for NN seconds (ForwardCollectDelay by default), the
 * command runs (only where AllowExternalCommands =
 * 1, audited), or the Lua file beside dicom.ini runs with `command_line` set to the arguments and `Data` the newest
 * object of the patient, study or series. `prefetch` reads the patient's files once, so they are in the system's cache
 * when asked for (Conquest's use: hierarchical storage).
 */
export interface DelayedProcess {
  level: ForwardLevel;
  afterSeconds?: number;
  /** What runs: a command line, or `file.lua` with its arguments. */
  by: { kind: 'command'; line: string } | { kind: 'lua'; file: string; args: string };
}

export function parseDelayedProcess(rest: string): DelayedProcess | { error: string } {
  const m = /^(?:(patient|study|series|image)\s+)?(?:after\s+(\S+)\s+)?by\s+(\S.*)$/is.exec(rest.trim());
  if (!m) return { error: 'process is "process [patient|study|series|image] [after NN] by command|file.lua(args)"' };
  const after = m[2] === undefined ? undefined : seconds(m[2]);
  if (typeof after === 'object') return after;
  const by = m[3]!.trim();
  const lua = /^([\w./\\-]+\.lua)(?:\((.*)\))?$/i.exec(by);
  return {
    level: (m[1]?.toLowerCase() ?? 'image') as ForwardLevel,
    afterSeconds: after,
    by: lua
      ? { kind: 'lua', file: lua[1]!, args: (lua[2] ?? '').replace(/^"(.*)"$/s, '$1') }
      : { kind: 'command', line: by },
  };
}

/**
 * Conquest's delayed `submit2 patient|study|series|image [target T] command C|command [C with spaces] [study uid]
 * [series uid] [sop uid] [after NN]`: once no object of it arrived for NN seconds (ForwardCollectDelay by default), the
 * command line runs for each object of the level, its first `%s` the object's file and the second the target (an
 * sftp or scp destination, a share), only where AllowExternalCommands = 1. `submit` (Conquest's own 7-Zip and PSCP)
 * and the `script` clause (a change of the copy before it goes) are refused with their reasons.
 */
export interface DelayedSubmit {
  level: ForwardLevel;
  target: string;
  command: string;
  afterSeconds?: number;
  keys: { study?: string; series?: string; sop?: string };
}

export function parseDelayedSubmit(name: 'submit' | 'submit2', rest: string): DelayedSubmit | { error: string } {
  if (name === 'submit')
    return {
      error:
        'submit sends with the 7-Zip and PSCP Conquest ships: write it as submit2 with a command line of this computer (command [scp %s %s])',
    };
  const { before, script } = splitScriptClause(rest);
  if (script !== undefined)
    return { error: 'submit2 ... script (a change of the copy before it goes) is not run by this version' };
  // `command [a b c]` keeps its spaces; the other clauses are single words.
  const bracketed = /(^|\s)command\s+\[([^\]]*)\]/i.exec(before);
  const words = (bracketed ? before.replace(bracketed[0], ' ') : before).trim().split(/\s+/).filter(Boolean);
  const level = words[0]?.toLowerCase() ?? '';
  const command: DelayedSubmit = {
    level: (LEVELS.includes(level) ? level : 'image') as ForwardLevel,
    target: '',
    command: bracketed?.[2]?.trim() ?? '',
    keys: {},
  };
  for (let i = LEVELS.includes(level) ? 1 : 0; i < words.length; i++) {
    const clause = words[i]!.toLowerCase();
    const value = words[++i];
    if (value === undefined) return { error: `${clause} needs a value` };
    if (clause === 'target') command.target = value;
    else if (clause === 'command') command.command = value;
    else if (clause === 'study' || clause === 'series' || clause === 'sop') command.keys[clause] = value;
    else if (clause === 'after') {
      const after = seconds(value);
      if (typeof after !== 'number') return after;
      command.afterSeconds = after;
    } else return { error: `"${clause}" is not part of submit2 (target, command, study, series, sop, after)` };
  }
  if (!command.command) return { error: 'submit2 names its command line: command C or command [C with spaces]' };
  return command;
}

/**
 * Conquest's delayed `merge study [modality mm] [seriesdesc x] [after NN]`: once no object of the study arrived for NN
 * seconds (ForwardCollectDelay by default), its series (those of that modality, and whose description matches, `*`
 * allowed) become one, as the Studies screen's merge does it (an edit job). The `script` clause (converters run on the
 * merged objects) is refused.
 */
export interface DelayedMerge {
  afterSeconds?: number;
  filters: { modality?: string; seriesdesc?: string };
}

export function parseDelayedMerge(rest: string): DelayedMerge | { error: string } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  if (words[0]?.toLowerCase() !== 'study')
    return { error: 'merge is "merge study [modality mm] [seriesdesc x] [after NN]"' };
  return filterClauses(words, ['modality', 'seriesdesc'], 'merge', {
    script: 'merge ... script (converters on the merged objects) is not run by this version',
  });
}
