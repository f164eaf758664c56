import { ConfigError, ConfigErrors, type SkippedConverter } from './config-error.ts';
import { aeMatches, aeTitleProblem } from './ae-title.ts';
import type { AcrNemaMap } from './acrnema-map.ts';
import type { IniDocument } from '../../common/ini-document.ts';
import { FORWARD_FILTERS, HOST_PORT, parseForwardConverter, type ForwardFilter } from '../../common/forward-rule.ts';
import { SECTION } from './server-settings.ts';
import { isDisabled, scriptSourceOf } from './import-converters.ts';
import { parseCompressionCode } from '../../common/compression-code.ts';
import { msg } from '../../common/message.ts';
import { parseConverter, type Statement } from '../automation/converter-script.ts';
import { checkExportConverter, forwardDestinations } from '../automation/converter-run.ts';
import { parseExportFilter, type ExportFilter, type ExportFilterError } from '../automation/export-filter.ts';

/**
 * Conquest's export converters in dicom.ini: `ExportConverters = N`, then for each i < N `ExportConverter<i>`, run on
 * each object once stored, behind the filters `ExportModality<i>`, `ExportCallingAE<i>`, `ExportCalledAE<i>`,
 * `ExportStationName<i>` (Conquest's; `*` and `?` match as in AE titles, an empty filter or `*` lets everything
 * through), `ExportFilter<i>` (Conquest's SQL condition: automation/export-filter.ts) and `ExportSOPClass<i>` (ours),
 * and `ExportCommitment<i> = 1` (ours: ask for Storage Commitment). A line that is only `forward [compressed as xx] to
 * AE` is a forwarding rule the Settings screen edits; any other line is a script in the converter language (the
 * export-converters feature runs it).
 */
export type ForwardRule = {
  index: number;
  /** A plain forwarding rule's destination; '' for a script. */
  destination: string;
  line: number;
  /** The line as written. */
  text: string;
  /** `forward` for a plain rule, `script` for any other line. */
  kind: 'forward' | 'script';
  statements: Statement[];
  /** Every AE the line forwards to by name (acrnema.map entries it depends on). */
  destinations: string[];
  /** `forward compressed as xx to AE`: the code objects are sent in, instead of the node's own; '' for the node's. */
  compression: string;
  /** `ExportCommitment<i> = 1` (ours): each forward asks the destination for Storage Commitment once sent. */
  commitment: boolean;
  /** `ExportStationName<i>` ('' when not set: everything passes). */
  stationName: string;
  /** `ExportFilter<i>`. */
  filter?: ExportFilter;
} & Record<ForwardFilter, string>;

/** What a rule looks at in a newly stored object. */
export interface ForwardCandidate {
  modality: string;
  callingAe: string;
  calledAe: string;
  sopClassUid: string;
}

/**
 * `onSkipped`: a start's leniency (config/load.ts): a rule with a problem is left out and reported there, the others
 * run; without it (a save of the settings) every problem is refused.
 */
export function readForwardRules(doc: IniDocument, nodes: AcrNemaMap, onSkipped?: SkippedConverter): ForwardRule[] {
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
  const countLine = count.line;
  for (let i = 0; i < n; i++) {
    const before = errors.length;
    try {
      readRule(i);
    } finally {
      if (onSkipped && errors.length > before) onSkipped(`ExportConverter${i}`, errors.splice(before));
    }
  }
  if (errors.length) throw new ConfigErrors(errors);
  return rules;

  function readRule(i: number): void {
    const converter = doc.get(SECTION, `ExportConverter${i}`);
    if (!converter) {
      errors.push(
        new ConfigError(
          doc.file,
          countLine,
          msg('ExportConverters is {n} but ExportConverter{i} is not set', { n: String(n), i: String(i) }),
        ),
      );
      return;
    }
    if (isDisabled(doc, 'export', i)) return;
    const plain = parseForwardConverter(converter.value);
    // A forward to host:port is run as the converter language runs it (no node of acrnema.map to check).
    const forward = plain && !HOST_PORT.test(plain.destination) ? plain : undefined;
    const common = commonParts(doc, i, errors);
    if (!common) return;
    if (!forward) {
      let statements: Statement[];
      try {
        statements = checkExportConverter(converter.value, (ae) => !!nodes.find(ae), scriptSourceOf(doc));
      } catch (err) {
        errors.push(
          new ConfigError(
            doc.file,
            converter.line,
            msg('ExportConverter{i}, column {column}: {reason}', {
              i: String(i),
              column: String((err as { column?: number }).column ?? 1),
              reason: (err as Error).message,
            }),
          ),
        );
        return;
      }
      rules.push({
        ...common,
        index: i,
        destination: '',
        line: converter.line,
        text: converter.value,
        kind: 'script',
        statements,
        destinations: forwardDestinations(statements),
        compression: '',
      });
      return;
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
      return;
    }
    if (!nodes.find(destination)) {
      errors.push(
        new ConfigError(
          doc.file,
          converter.line,
          msg('ExportConverter{i}: destination {ae} is not in acrnema.map', { i: String(i), ae: destination }),
        ),
      );
      return;
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
      return;
    }
    rules.push({
      ...common,
      index: i,
      destination,
      line: converter.line,
      text: converter.value,
      kind: 'forward',
      statements: parseConverter(converter.value),
      destinations: [destination],
      compression: forward.compression ?? '',
    });
  }
}

/** What every line has: its filters and ExportCommitment; undefined (and the error noted) when one is wrong. */
function commonParts(
  doc: IniDocument,
  i: number,
  errors: ConfigError[],
): (Record<ForwardFilter, string> & { commitment: boolean; stationName: string; filter?: ExportFilter }) | undefined {
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
    return undefined;
  }
  const sql = doc.get(SECTION, `ExportFilter${i}`);
  let filter: ExportFilter | undefined;
  if (sql?.value.trim()) {
    try {
      filter = parseExportFilter(sql.value.trim());
    } catch (err) {
      errors.push(
        new ConfigError(
          doc.file,
          sql.line,
          msg('ExportFilter{i}, column {column}: {reason}', {
            i: String(i),
            column: String((err as ExportFilterError).column),
            reason: (err as Error).message,
          }),
        ),
      );
      return undefined;
    }
  }
  return {
    ...filters,
    commitment: commit?.value.trim() === '1',
    stationName: doc.get(SECTION, `ExportStationName${i}`)?.value.trim() ?? '',
    filter,
  };
}

/** Whether a rule needs the stored object's attributes to decide (a station name or an SQL filter), or runs a script. */
export function needsObject(rule: ForwardRule): boolean {
  return rule.kind === 'script' || (rule.stationName !== '' && rule.stationName !== '*') || !!rule.filter;
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
