import type { KeyAttribute } from './attributes.ts';
import type { Match } from './matching.ts';

/** One key of a query with a value to match (PS3.4 C.2.2.2), as the index is asked for it. */
export interface Condition {
  attr: KeyAttribute;
  match: Match;
  /** Forgiving: person names by their spelling-forgiving key (name-fold.ts), identifiers case aside. */
  foldNames?: boolean;
}

/** The conditions matched forgivingly: person names where the attribute has a folded key, identifiers case aside. */
export function withFoldedNames(conditions: Condition[]): Condition[] {
  return conditions.map((c) => (c.attr.foldColumn || c.attr.caseFold ? { ...c, foldNames: true } : c));
}
