/**
 * PrefetchRules (dicom.ini): when the archive fetches a patient's earlier studies from other nodes before they are
 * needed (Conquest's preretrieve, dcm4chee's HL7 prefetch rules). Rules are separated by `;`, each of words:
 *
 *   on order|mpps|arrival  from AE[,AE...]  [newest N]  [modality CT,MR]  [bodypart CHEST,ABDOMEN]
 *   [years N | days N]  [between HH:MM-HH:MM]
 *
 * `order`: a worklist entry made (an HL7 order, or by hand); `mpps`: a procedure step reported IN PROGRESS; `arrival`:
 * the first object of a study new here. `from`: the DICOM or DICOMweb nodes asked, in order. `newest N` (3 when not
 * said): how many of the patient's earlier studies, newest first; `modality` / `bodypart`: only studies with a series of
 * one of these; `years` / `days`: not older than this; `between`: the fetch waits for that time of day (a window
 * through midnight, 19:00-06:00, too).
 */

export type PrefetchTrigger = 'order' | 'mpps' | 'arrival';

export interface PrefetchRule {
  /** The rule as written (a job says which rule made it). */
  text: string;
  trigger: PrefetchTrigger;
  sources: string[];
  newest: number;
  modalities: string[];
  bodyParts: string[];
  /** Not older than this many days (0: any age). */
  maxAgeDays: number;
  /** Minutes since midnight, local time: [from, to); undefined: at once. */
  window?: [number, number];
}

export class PrefetchRuleError extends Error {}

const TRIGGERS: readonly PrefetchTrigger[] = ['order', 'mpps', 'arrival'];

function list(value: string | undefined, word: string): string[] {
  if (!value) throw new PrefetchRuleError(`"${word}" needs a value after it`);
  return value
    .split(',')
    .map((v) => v.trim().toUpperCase())
    .filter(Boolean);
}

function count(value: string | undefined, word: string, max: number): number {
  if (!value || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max)
    throw new PrefetchRuleError(`"${word}" needs a whole number from 1 to ${max}, not "${value ?? ''}"`);
  return Number(value);
}

function clock(value: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) throw new PrefetchRuleError(`"${value}" is not a time of day (HH:MM)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** One rule; refused with the reason. */
export function parsePrefetchRule(text: string): PrefetchRule {
  const words = text.trim().split(/\s+/);
  const rule: Partial<PrefetchRule> & { text: string } = {
    text: text.trim(),
    newest: 3,
    modalities: [],
    bodyParts: [],
    maxAgeDays: 0,
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!.toLowerCase();
    const value = words[i + 1];
    i++;
    switch (word) {
      case 'on': {
        const t = value?.toLowerCase() as PrefetchTrigger | undefined;
        if (!t || !TRIGGERS.includes(t))
          throw new PrefetchRuleError(`"on" is followed by ${TRIGGERS.join(', ')}, not "${value ?? ''}"`);
        rule.trigger = t;
        break;
      }
      case 'from':
        rule.sources = list(value, word);
        break;
      case 'newest':
        rule.newest = count(value, word, 50);
        break;
      case 'modality':
        rule.modalities = list(value, word);
        break;
      case 'bodypart':
        rule.bodyParts = list(value, word);
        break;
      case 'years':
        rule.maxAgeDays = count(value, word, 100) * 365;
        break;
      case 'days':
        rule.maxAgeDays = count(value, word, 36500);
        break;
      case 'between': {
        const m = /^(\S+)-(\S+)$/.exec(value ?? '');
        if (!m) throw new PrefetchRuleError(`"between" needs a time window HH:MM-HH:MM, not "${value ?? ''}"`);
        const from = clock(m[1]!);
        const to = clock(m[2]!);
        if (from === to) throw new PrefetchRuleError(`the window ${value} is empty`);
        rule.window = [from, to];
        break;
      }
      default:
        throw new PrefetchRuleError(
          `"${words[i - 1]}" is not a word of a prefetch rule (on, from, newest, modality, bodypart, years, days, between)`,
        );
    }
  }
  if (!rule.trigger) throw new PrefetchRuleError('a rule says when it applies: on order, on mpps or on arrival');
  if (!rule.sources?.length) throw new PrefetchRuleError('a rule says where priors come from: from AE[,AE]');
  return rule as PrefetchRule;
}

/** Every rule of a PrefetchRules value (`;` between rules); the first refused one names its number. */
export function parsePrefetchRules(value: string): PrefetchRule[] {
  const texts = value
    .split(';')
    .map((t) => t.trim())
    .filter(Boolean);
  return texts.map((t, n) => {
    try {
      return parsePrefetchRule(t);
    } catch (err) {
      throw new PrefetchRuleError(`rule ${n + 1} ("${t}"): ${(err as Error).message}`);
    }
  });
}

/**
 * When a prefetch of a rule may start, from `now`: now when the rule has no window or now is inside it, else the
 * window's next start (local time). A window through midnight (19:00-06:00) holds from its start to its end the next day.
 */
export function startWithin(rule: Pick<PrefetchRule, 'window'>, now: Date): Date {
  if (!rule.window) return now;
  const [from, to] = rule.window;
  const minute = now.getHours() * 60 + now.getMinutes();
  const inside = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  if (inside) return now;
  const start = new Date(now);
  start.setHours(Math.floor(from / 60), from % 60, 0, 0);
  if (start.getTime() <= now.getTime()) start.setDate(start.getDate() + 1);
  return start;
}

/** A rule written back as its words (the Settings form's rows become PrefetchRules' text this way). */
export function formatPrefetchRule(rule: Omit<PrefetchRule, 'text'>): string {
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const words = [`on ${rule.trigger}`, `from ${rule.sources.join(',')}`, `newest ${rule.newest}`];
  if (rule.modalities.length) words.push(`modality ${rule.modalities.join(',')}`);
  if (rule.bodyParts.length) words.push(`bodypart ${rule.bodyParts.join(',')}`);
  if (rule.maxAgeDays)
    words.push(rule.maxAgeDays % 365 === 0 ? `years ${rule.maxAgeDays / 365}` : `days ${rule.maxAgeDays}`);
  if (rule.window) words.push(`between ${hhmm(rule.window[0])}-${hhmm(rule.window[1])}`);
  return words.join(' ');
}
