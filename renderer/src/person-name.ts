/**
 * A DICOM person name (PS3.5 6.2.1: Family^Given^Middle^Prefix^Suffix, then =ideographic=phonetic groups) edited as
 * its family and given names, the way people write them; the other components and groups are kept as they were.
 */

export function nameParts(pn: string): { family: string; given: string } {
  const [family = '', given = ''] = (pn.split('=')[0] ?? '').split('^');
  return { family, given };
}

export function withNameParts(pn: string, family: string, given: string): string {
  const groups = pn.split('=');
  const parts = (groups[0] ?? '').split('^');
  parts[0] = family.trim();
  parts[1] = given.trim();
  groups[0] = parts.join('^').replace(/\^+$/, '');
  return groups.join('=').replace(/=+$/, '');
}

/** Patient's Sex (0010,0040) codes with their words (for t()). */
export const SEXES: [string, string][] = [
  ['', 'unknown'],
  ['F', 'female'],
  ['M', 'male'],
  ['O', 'other'],
];

/** DICOM DA (YYYYMMDD) to ISO (YYYY-MM-DD) and back; anything else is kept as it is. */
export const daToIso = (d: string) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d);
export const isoToDa = (d: string) => d.replaceAll('-', '');
/** DICOM TM (HHMMSS.frac) to HH:MM[:SS] and back. */
export const tmToClock = (tm: string) =>
  /^\d{4}/.test(tm) ? [tm.slice(0, 2), tm.slice(2, 4), tm.slice(4, 6)].filter(Boolean).join(':') : tm;
export const clockToTm = (clock: string) => clock.replaceAll(':', '');
