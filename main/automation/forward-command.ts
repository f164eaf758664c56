/**
 * Conquest's `forward` command in converters (its Windows manual's command table): `forward [compressed as CC] to AE`
 * sends the object once stored; with a level, `forward patient|study|series|image ... to AE [after NN]` is the delayed
 * forward: once no object of it arrived for NN seconds (ForwardCollectDelay by default), the whole patient, study or
 * series as the archive then holds it goes, narrowed by `modality`, `seriesdesc`, `study`, `series` and `sop`.
 * `channel N` (Conquest keeps a connection per channel; ours are pooled) is accepted and changes nothing. Clauses are
 * single words, in any order. What this version does not run (`org`, `dest`, `date`, `now`, `age`, `imagetype`,
 * `split`, `script`, `host:port` destinations) is refused with its reason.
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
}

export type ForwardFilterClause = 'modality' | 'seriesdesc' | 'study' | 'series' | 'sop';

const LEVELS: readonly string[] = ['patient', 'study', 'series', 'image'];
const FILTERS: readonly string[] = ['modality', 'seriesdesc', 'study', 'series', 'sop'];
const NOT_RUN: Readonly<Record<string, string>> = {
  org: 'org (sending as another AE) is not run by this version',
  dest: 'dest (sending to another called AE) is not run by this version',
  date: 'the date filter is not run by this version',
  now: 'the now filter is not run by this version',
  age: 'the age filter is not run by this version',
  imagetype: 'the imagetype filter is not run by this version',
  split: 'split is not run by this version',
  script: 'a script on sent objects is not run by this version',
};

/** The words after `forward`; an error says what is wrong. */
export function parseForwardCommand(rest: string): ForwardCommand | { error: string } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  const command: ForwardCommand = { destination: '', compression: '', filters: {} };
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
        const v = value('after');
        if (!/^\d+$/.test(v)) return { error: `after takes seconds, not "${v}"` };
        command.afterSeconds = Number(v);
      } else if (clause === 'channel') value('channel');
      else if (FILTERS.includes(clause)) {
        if (!command.level) return { error: `${clause} narrows a delayed forward: forward patient|study|series ...` };
        command.filters[clause as ForwardFilterClause] = value(clause);
      } else if (NOT_RUN[clause]) return { error: NOT_RUN[clause] };
      else return { error: `"${clause}" is not part of forward` };
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (!command.destination) return { error: 'forward names its destination: to AE' };
  if (/^[^%]*:\d+$/.test(command.destination))
    return { error: 'forward to host:port is not run by this version: name a node of acrnema.map' };
  if (command.afterSeconds !== undefined && !command.level) command.level = 'image';
  return command;
}
