import { removeKey, setKey, valueOfKey } from '../../common/dicom-ini-text.ts';
import { FORWARD_FILTERS, type ForwardFilter } from '../../common/forward-rule.ts';

/**
 * Conquest's forwarding rules in dicom.ini as rows for the settings form: `ExportConverters = N`, and for each i < N
 * `ExportConverter<i> = forward to AE` with the filters `ExportModality<i>`, `ExportCallingAE<i>`, `ExportCalledAE<i>`
 * and `ExportSOPClass<i>` (empty: everything passes), and `ExportCommitment<i> = 1` to ask for storage commitment. The
 * server checks the result when it is saved.
 */

/** A rule as the form shows it: the converter as written (`forward to AE` for rules made here), its filters, and whether it asks for storage commitment (`ExportCommitment<i>`). */
export type ForwardRuleRow = {
  converter: string;
  commitment?: boolean;
  /** Keys of the rule the form does not edit (`ExportStationName<i>`, `ExportFilter<i>`), kept with it when renumbered. */
  kept?: Record<string, string>;
} & Record<ForwardFilter, string>;

/** A rule's keys the form keeps as they are written. */
const KEPT = ['ExportStationName', 'ExportFilter'];

export function readRules(text: string): ForwardRuleRow[] {
  const n = Number(valueOfKey(text, 'ExportConverters') ?? 0);
  if (!Number.isInteger(n) || n < 0) return [];
  return Array.from({ length: Math.min(n, 100) }, (_, i) => {
    const row: ForwardRuleRow = {
      converter: valueOfKey(text, `ExportConverter${i}`) ?? '',
      modality: '',
      callingAe: '',
      calledAe: '',
      sopClass: '',
    };
    for (const [field, key] of FORWARD_FILTERS) row[field] = valueOfKey(text, `${key}${i}`) ?? '';
    row.commitment = valueOfKey(text, `ExportCommitment${i}`)?.trim() === '1';
    row.kept = Object.fromEntries(
      KEPT.flatMap((key) => {
        const value = valueOfKey(text, `${key}${i}`);
        return value === undefined ? [] : [[key, value]];
      }),
    );
    return row;
  });
}

/** dicom.ini with exactly these rules: numbered from 0, empty filters left out, keys of removed rules taken away. */
export function writeRules(text: string, rules: ForwardRuleRow[]): string {
  const before = readRules(text).length;
  let out = text;
  for (let i = 0; i < Math.max(before, rules.length); i++) {
    const rule = rules[i];
    out = rule ? setKey(out, `ExportConverter${i}`, rule.converter) : removeKey(out, `ExportConverter${i}`);
    for (const [field, key] of FORWARD_FILTERS) {
      const value = rule?.[field].trim() ?? '';
      out = value ? setKey(out, `${key}${i}`, value) : removeKey(out, `${key}${i}`);
    }
    out = rule?.commitment ? setKey(out, `ExportCommitment${i}`, '1') : removeKey(out, `ExportCommitment${i}`);
    for (const key of KEPT) {
      const value = rule?.kept?.[key]?.trim() ?? '';
      out = value ? setKey(out, `${key}${i}`, value) : removeKey(out, `${key}${i}`);
    }
  }
  return rules.length || valueOfKey(out, 'ExportConverters') !== undefined
    ? setKey(out, 'ExportConverters', String(rules.length))
    : out;
}
