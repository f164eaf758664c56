/**
 * The matching kinds of PS3.4 C.2.2.2, decided from a key's value and VR: universal (empty or "*"), single value,
 * wildcard ("*" and "?"), list (values separated by "\", UID list matching and its like), and range ("a-b", "a-", "-b"
 * for dates and times).
 */
export type Match =
  | { kind: 'universal' }
  | { kind: 'single'; value: string }
  | { kind: 'wildcard'; pattern: string }
  | { kind: 'list'; values: string[] }
  | { kind: 'range'; from: string; to: string };

/** VRs whose values may hold wildcards (PS3.4 C.2.2.2.4); in the others "*" and "?" are literal or meaningless. */
const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
const RANGE_VRS = new Set(['DA', 'TM', 'DT']);

export class MatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatchError';
  }
}

/** Upper bound templates: a partial time "12" ranges to the end of that hour. */
const TIME_END = '235959.999999';

export function parseMatch(raw: string, vr: string): Match {
  const value = raw.trim();
  if (value === '' || (value === '*' && vr !== 'UI')) return { kind: 'universal' };
  if (value.includes('\\')) {
    const values = value
      .split('\\')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (values.some((v) => v.includes('*') || v.includes('?') || (RANGE_VRS.has(vr) && v.includes('-')))) {
      throw new MatchError(`"${value}": a list of values cannot hold wildcards or ranges`);
    }
    return values.length ? { kind: 'list', values } : { kind: 'universal' };
  }
  if (RANGE_VRS.has(vr)) {
    checkDateOrTime(value, vr);
    const dash = value.indexOf('-');
    if (dash >= 0) {
      const from = value.slice(0, dash).trim();
      const to = value.slice(dash + 1).trim();
      if (!from && !to) return { kind: 'universal' };
      return { kind: 'range', from, to: vr === 'TM' && to ? to + TIME_END.slice(to.length) : to };
    }
    return { kind: 'single', value };
  }
  if (WILDCARD_VRS.has(vr) && (value.includes('*') || value.includes('?'))) return { kind: 'wildcard', pattern: value };
  return { kind: 'single', value };
}

function checkDateOrTime(value: string, vr: string): void {
  const ok =
    vr === 'DA'
      ? /^(\d{8})?-?(\d{8})?$/.test(value.replace(/\s/g, ''))
      : vr === 'TM'
        ? /^[\d.:]*-?[\d.:]*$/.test(value)
        : /^[\d.+-]*$/.test(value);
  if (!ok) throw new MatchError(`"${value}" is not a valid ${vr} value or range`);
}

/** Person names match without regard to case (what users expect; PS3.4 C.2.2.2.1 leaves it to the SCP). */
export function foldCase(m: Match): Match {
  switch (m.kind) {
    case 'single':
      return { kind: 'single', value: m.value.toUpperCase() };
    case 'wildcard':
      return { kind: 'wildcard', pattern: m.pattern.toUpperCase() };
    case 'list':
      return { kind: 'list', values: m.values.map((v) => v.toUpperCase()) };
    default:
      return m;
  }
}
