import { newUid } from '../../../common/uids.ts';
import { parseHl7Source, type Hl7Source } from '../../config/dicom-sql.ts';
import { MWL_ATTRIBUTES, MWL_STEP_ATTRIBUTES } from '../../query/attributes.ts';
import {
  WORKLIST_COLUMNS,
  WORKLIST_FIELDS,
  type WorklistEntry,
  type WorklistField,
} from '../../index/worklist-entry.ts';
import type { IndexSchema } from '../../config/index-schema.ts';
import type { Hl7Message, Segment } from './message.ts';
import { dateTime, personName } from './hl7-values.ts';

/**
 * dicom.sql's WorkList table as Conquest reads it: each column's HL7 field says where an order's value comes from,
 * replacing this archive's own mapping (orders.ts, IHE RAD-4) for that column. `SEG.N` is field N whole, `SEG.N.M`
 * its component M counted from 0 (OBR.4.0 the code, OBR.4.1 the text), `.DATE` and `.TIME` the two halves of a time
 * stamp, `*AN` a new accession number, `*UI` a new UID; `---` keeps ours.
 */

/** The worklist's own fields, by the tag dicom.sql names them with (the Modality Worklist keys' columns). */
const FIELD_BY_TAG = new Map<number, WorklistField>(
  [...MWL_ATTRIBUTES, ...MWL_STEP_ATTRIBUTES].flatMap((a) => {
    const at = WORKLIST_COLUMNS.indexOf(a.column.replace(/^w\./, ''));
    return at >= 0 ? [[a.tag, WORKLIST_FIELDS[at]!] as const] : [];
  }),
);

const NAMES = new Set<WorklistField>(['patientName', 'referringPhysician', 'performingPhysician']);

/** Where an order's value goes: one of the worklist's own fields, or a column dicom.sql added (by its name). */
export interface OrderColumn {
  target: { field: WorklistField } | { more: string };
  source: Hl7Source;
}

/**
 * The worklist columns dicom.sql maps from HL7: its own fields, and the columns it added (index-schema.ts), each
 * where its line gives an HL7 field.
 */
export function orderColumns(schema: Pick<IndexSchema, 'worklist' | 'added'>): OrderColumn[] {
  const columns: OrderColumn[] = [];
  const added = schema.added.filter((c) => c.table === 'worklist');
  for (const entry of schema.worklist) {
    if (entry.dicomType === 'DT_STARTSEQUENCE' || entry.dicomType === 'DT_ENDSEQUENCE') continue;
    const source = parseHl7Source(entry.hl7);
    if (!source || source === 'none') continue;
    const more = added.find((c) => c.line === entry.line)?.name;
    const field = FIELD_BY_TAG.get(entry.tag);
    if (more) columns.push({ target: { more }, source });
    else if (field) columns.push({ target: { field }, source });
  }
  return columns;
}

/** The segment an order's value is read from: the order's own (its ORC group's OBR, IPC, TQ1), else the message's first. */
function segmentOf(name: string, group: readonly Segment[], message: Hl7Message): Segment | undefined {
  return group.find((s) => s.name === name) ?? message.segments.find((s) => s.name === name);
}

/** `entry` with the columns dicom.sql maps taken from the message (an order's group of segments). */
export function withOrderColumns(
  entry: Partial<WorklistEntry>,
  columns: readonly OrderColumn[],
  message: Hl7Message,
  group: readonly Segment[],
): Partial<WorklistEntry> {
  if (!columns.length) return entry;
  const out: Partial<WorklistEntry> = { ...entry };
  const put = (target: OrderColumn['target'], value: string) => {
    if ('field' in target) out[target.field] = value;
    else out.more = { ...out.more, [target.more]: value };
  };
  for (const { target, source } of columns) {
    if (source.kind === 'new') {
      const uid = newUid();
      put(target, source.what === 'UI' ? uid : uid.slice(-16));
      continue;
    }
    const segment = segmentOf(source.segment, group, message);
    if (!segment) continue;
    let value: string;
    if (source.component !== undefined) value = segment.get(source.field, source.component + 1);
    else if ('field' in target && NAMES.has(target.field)) value = personName(segment.components(source.field));
    else value = segment.components(source.field).join('^').replace(/\^+$/, '');
    if (source.part) value = source.part === 'DATE' ? dateTime(value).date : dateTime(value).time;
    put(target, value);
  }
  return out;
}
