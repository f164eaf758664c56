import type { KeyAttribute } from './attributes.ts';
import type { Match } from './matching.ts';

/** One key of a query with a value to match (PS3.4 C.2.2.2), as the index is asked for it. */
export interface Condition {
  attr: KeyAttribute;
  match: Match;
  /** Person names: match the spelling-forgiving key (name-fold.ts) instead of the exact upper-case one. */
  foldNames?: boolean;
}

/** The conditions with person names matched forgivingly where the attribute has a folded key. */
export function withFoldedNames(conditions: Condition[]): Condition[] {
  return conditions.map((c) => (c.attr.foldColumn ? { ...c, foldNames: true } : c));
}
