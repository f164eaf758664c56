import { ConfigError, ConfigErrors } from './config-error.ts';
import { aeMatches, aeTitleProblem } from './ae-title.ts';
import type { AcrNemaMap } from './acrnema-map.ts';
import type { IniDocument } from '../../common/ini-document.ts';
import { FORWARD_FILTERS, parseForwardConverter, type ForwardFilter } from '../../common/forward-rule.ts';
import { SECTION } from './server-settings.ts';
import { parseCompressionCode } from '../../common/compression-code.ts';
import { msg } from '../../common/message.ts';

/**
 * Conquest's forwarding rules in dicom.ini: `ExportConverters = N`, then for each i < N `ExportConverter<i> = forward
 * to AE` with optional filters `ExportModality<i>`, `ExportCallingAE<i>`, `ExportCalledAE<i>` (Conquest's) and
 * `ExportSOPClass<i>` (ours), and `ExportCommitment<i> = 1` (ours: ask for Storage Commitment); an empty filter or `*` lets everything through, `*` and `?` match as in AE titles.
 */
export type ForwardRule = {
  index: number;
  destination: string;
  line: number;
  /** `forward compressed as xx to AE`: the code objects are sent in, instead of the node's own; '' for the node's. */
  compression: string;
  /** `ExportCommitment<i> = 1` (ours): each forward asks the destination for Storage Commitment once sent. */
  commitment: boolean;
} & Record<ForwardFilter, string>;

/** What a rule looks at in a newly stored object. */
export interface ForwardCandidate {
  modality: string;
  callingAe: string;
  calledAe: string;
  sopClassUid: string;
}

export function readForwardRules(doc: IniDocument, nodes: AcrNemaMap): ForwardRule[] {
  const count = doc.get(SECTION, 'ExportConverters');
  if (!count) return [];
  const errors: ConfigError[] = [];
  const n = Number(count.value);
  if (!/^\d+$/.test(count.value) || n > 100)
    throw new ConfigErrors([
      new ConfigError(
        doc.file,
        count.line,
        msg('ExportConverters: "{value}" is not a whole number from 0 to 100', { value: count.value }),
      ),
    ]);
  const rules: ForwardRule[] = [];
  for (let i = 0; i < n; i++) {
    const converter = doc.get(SECTION, `ExportConverter${i}`);
    if (!converter) {
      errors.push(
        new ConfigError(
          doc.file,
          count.line,
          msg('ExportConverters is {n} but ExportConverter{i} is not set', { n: String(n), i: String(i) }),
        ),
      );
      continue;
    }
    const forward = parseForwardConverter(converter.value);
    if (!forward) {
      errors.push(
        new ConfigError(
          doc.file,
          converter.line,
          msg('ExportConverter{i}: "{value}" is not a forward rule this version runs ("forward to AE")', {
            i: String(i),
            value: converter.value,
          }),
        ),
      );
      continue;
    }
    const destination = forward.destination;
    const problem = aeTitleProblem(destination);
    if (problem) {
      errors.push(
        new ConfigError(
          doc.file,
          converter.line,
          msg('ExportConverter{i}: {reason}', { i: String(i), reason: problem }),
        ),
      );
      continue;
    }
    if (!nodes.find(destination)) {
      errors.push(
        new ConfigError(
          doc.file,
          converter.line,
          msg('ExportConverter{i}: destination {ae} is not in acrnema.map', { i: String(i), ae: destination }),
        ),
      );
      continue;
    }
    const plan = forward.compression === undefined ? undefined : parseCompressionCode(forward.compression);
    if (plan && 'error' in plan) {
      errors.push(
        new ConfigError(
          doc.file,
          converter.line,
          msg('ExportConverter{i}: compression {reason}', { i: String(i), reason: plan.error }),
        ),
      );
      continue;
    }
    const filters = Object.fromEntries(
      FORWARD_FILTERS.map(([field, key]) => [field, doc.get(SECTION, `${key}${i}`)?.value.trim() ?? '']),
    ) as Record<ForwardFilter, string>;
    const commit = doc.get(SECTION, `ExportCommitment${i}`);
    if (commit && !['0', '1', ''].includes(commit.value.trim())) {
      errors.push(
        new ConfigError(
          doc.file,
          commit.line,
          msg('ExportCommitment{i}: "{value}" must be 0 or 1', { i: String(i), value: commit.value }),
        ),
      );
      continue;
    }
    rules.push({
      index: i,
      destination,
      line: converter.line,
      compression: forward.compression ?? '',
      commitment: commit?.value.trim() === '1',
      ...filters,
    });
  }
  if (errors.length) throw new ConfigErrors(errors);
  return rules;
}

function passes(filter: string, value: string): boolean {
  return filter === '' || filter === '*' || aeMatches(filter, value);
}

export function ruleMatches(rule: ForwardRule, c: ForwardCandidate): boolean {
  return (
    passes(rule.modality, c.modality) &&
    passes(rule.callingAe, c.callingAe) &&
    passes(rule.calledAe, c.calledAe) &&
    passes(rule.sopClass, c.sopClassUid)
  );
}
