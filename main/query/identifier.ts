import { CharacterSet } from '../dicom/charset.ts';
import { answerCharacterSet, encodeText } from '../dicom/charset-encode.ts';
import { isSequence, textOf, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { DimseError, Status } from '../dicom/status.ts';
import {
  LEVEL_NAMES,
  MWL_ATTRIBUTES,
  MWL_STEP_ATTRIBUTES,
  qrAttribute,
  type KeyAttribute,
  type LevelNumber,
  type QrAttribute,
} from './attributes.ts';
import { MatchError, parseMatch } from './matching.ts';
import type { Condition } from './condition.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * From a C-FIND / C-MOVE identifier to what the index is asked, and from an index row back to an answer identifier
 * (PS3.4 C.4.1.1.3, K.4.1.1.3).
 */

/** A request the SCP answers with a failure status (A900 identifier does not match, C000 cannot process). */
/** An identifier the SCP cannot take: answered with its status (A900, C000 ...) and the reason. */
export class IdentifierError extends DimseError {}

export type Row = Record<string, string | number | null>;

export interface QrRequest {
  level: LevelNumber;
  conditions: Condition[];
  /** Supported keys asked for, whose values the index returns. */
  returns: QrAttribute[];
  identifier: DataSet;
  requestCharset: string;
  /** A key with a value we do not match on was given (answers then say FF01, PS3.4 C.4.1.1.4). */
  unsupportedMatching: boolean;
  /** The keys dicom.sql added to the index (index-schema.ts). */
  added: readonly QrAttribute[];
}

export type QrModel = 'PATIENT' | 'STUDY';

function charsetOf(identifier: DataSet): string {
  return textOf(identifier.get(Tag.SpecificCharacterSet));
}

/** The value of a key as text (binary US values as their number). */
function keyValue(e: DicomElement, attr: KeyAttribute, charset: CharacterSet): string {
  if (attr.vr === 'US') return Buffer.isBuffer(e.value) && e.value.length >= 2 ? String(e.value.readUInt16LE(0)) : '';
  return textOf(e, attr.text ? (b) => charset.decode(b) : undefined);
}

function conditionFor(e: DicomElement, attr: KeyAttribute, charset: CharacterSet): Condition | undefined {
  if (attr.returnOnly) return undefined;
  try {
    const match = parseMatch(keyValue(e, attr, charset), attr.vr);
    return match.kind === 'universal' ? undefined : { attr, match };
  } catch (err) {
    if (err instanceof MatchError) throw new IdentifierError(Status.UnableToProcess, `${attr.keyword}: ${err.message}`);
    throw err;
  }
}

function hasValue(e: DicomElement): boolean {
  return isSequence(e) ? e.value.some((item) => item.size > 0) : Buffer.isBuffer(e.value) ? e.value.length > 0 : true;
}

/** An identifier's Query/Retrieve Level as written (upper case) and as its number (-1: none this archive knows). */
export function levelOf(identifier: DataSet): { levelName: string; level: number } {
  const levelName = textOf(identifier.get(Tag.QueryRetrieveLevel)).toUpperCase();
  return { levelName, level: LEVEL_NAMES.indexOf(levelName as (typeof LEVEL_NAMES)[number]) };
}

/**
 * Read a Query/Retrieve identifier; `model` decides which levels exist (Study Root has no PATIENT level), `added` are
 * the keys dicom.sql added to the index.
 */
export function qrRequestFrom(identifier: DataSet, model: QrModel, added: readonly QrAttribute[] = []): QrRequest {
  const { levelName, level } = levelOf(identifier);
  if (level < 0) {
    throw new IdentifierError(
      Status.IdentifierDoesNotMatchSopClass,
      levelName
        ? `Query/Retrieve Level "${levelName}" is not PATIENT, STUDY, SERIES or IMAGE`
        : 'identifier has no Query/Retrieve Level (0008,0052)',
    );
  }
  if (model === 'STUDY' && level === 0)
    throw new IdentifierError(Status.IdentifierDoesNotMatchSopClass, 'the Study Root model has no PATIENT level');
  const requestCharset = charsetOf(identifier);
  const charset = new CharacterSet(requestCharset);
  const request: QrRequest = {
    level: level as LevelNumber,
    conditions: [],
    returns: [],
    identifier,
    requestCharset,
    unsupportedMatching: false,
    added,
  };
  for (const [tag, e] of identifier) {
    if (tag === Tag.SpecificCharacterSet || tag === Tag.QueryRetrieveLevel) continue;
    const attr = qrAttribute(tag, level as LevelNumber, added);
    if (!attr || attr.level > level) {
      if (hasValue(e) && tag !== Tag.RetrieveAETitle && tag !== Tag.InstanceAvailability)
        request.unsupportedMatching = true;
      continue;
    }
    request.returns.push(attr);
    const condition = conditionFor(e, attr, charset);
    if (condition) request.conditions.push(condition);
  }
  return request;
}

// ------------------------------------------------------------------ answers

interface AnswerValue {
  attr: KeyAttribute;
  value: string;
}

/** Empty element of the same kind as the request's (an empty sequence for a sequence). */
function emptyLike(e: DicomElement): DicomElement {
  return { tag: e.tag, vr: e.vr, value: isSequence(e) ? [] : Buffer.alloc(0) };
}

function valueOf(row: Row, attr: KeyAttribute): string {
  const v = row[attr.keyword];
  return v === null || v === undefined ? '' : String(v);
}

function encodeValues(values: AnswerValue[], requestCharset: string): { charset: string; elements: DicomElement[] } {
  const charset = answerCharacterSet(
    requestCharset,
    values.filter((v) => v.attr.text).map((v) => v.value),
  );
  const elements = values.map(({ attr, value }): DicomElement => {
    if (attr.vr === 'US') {
      const b = Buffer.alloc(value === '' ? 0 : 2);
      if (value !== '') b.writeUInt16LE(Number(value), 0);
      return { tag: attr.tag, vr: 'US', value: b };
    }
    const bytes = attr.text ? (encodeText(value, charset) ?? Buffer.from(value, 'utf8')) : Buffer.from(value, 'latin1');
    return { tag: attr.tag, vr: attr.vr, value: bytes };
  });
  return { charset, elements };
}

function put(ds: DataSet, e: DicomElement): void {
  ds.set(e.tag, e);
}

/** One C-FIND answer: every key the request named, ours filled in, others empty (PS3.4 C.4.1.1.3.2). */
export function qrAnswer(row: Row, request: QrRequest, retrieveAeTitle: string): DataSet {
  const answer: DataSet = new Map();
  const values: AnswerValue[] = [];
  for (const [tag, e] of request.identifier) {
    if (tag === Tag.SpecificCharacterSet || tag === Tag.QueryRetrieveLevel) continue;
    const attr = qrAttribute(tag, request.level, request.added);
    if (attr && attr.level <= request.level) values.push({ attr, value: valueOf(row, attr) });
    else if (tag === Tag.RetrieveAETitle) put(answer, { tag, vr: 'AE', value: Buffer.from(retrieveAeTitle, 'latin1') });
    else if (tag === Tag.InstanceAvailability) put(answer, { tag, vr: 'CS', value: Buffer.from('ONLINE', 'latin1') });
    else put(answer, emptyLike(e));
  }
  const { charset, elements } = encodeValues(values, request.requestCharset);
  for (const e of elements) put(answer, e);
  if (charset) put(answer, { tag: Tag.SpecificCharacterSet, vr: 'CS', value: Buffer.from(charset, 'latin1') });
  put(answer, { tag: Tag.QueryRetrieveLevel, vr: 'CS', value: Buffer.from(LEVEL_NAMES[request.level], 'latin1') });
  return answer;
}

// ------------------------------------------------------------------ Modality Worklist

/** A Modality Worklist key beyond ours (dicom.sql's WorkList table): at the top, or in the step's item. */
export interface WorklistKey {
  attr: KeyAttribute;
  step: boolean;
}

export interface WorklistRequest {
  /** The keys answered at the top and in the Scheduled Procedure Step item: ours and dicom.sql's. */
  keys: { top: Map<number, KeyAttribute>; step: Map<number, KeyAttribute> };
  conditions: Condition[];
  returns: KeyAttribute[];
  stepReturns: KeyAttribute[];
  identifier: DataSet;
  /** The request's Scheduled Procedure Step Sequence item, when it gave one. */
  stepItem: DataSet | undefined;
  requestCharset: string;
  unsupportedMatching: boolean;
}

const MWL_BY_TAG = new Map(MWL_ATTRIBUTES.map((a) => [a.tag, a]));
const MWL_STEP_BY_TAG = new Map(MWL_STEP_ATTRIBUTES.map((a) => [a.tag, a]));

/**
 * Read a worklist identifier (PS3.4 K.6.1.2); matching reaches into the one Scheduled Procedure Step item. `added`:
 * the keys dicom.sql's WorkList table adds to ours.
 */
export function worklistRequestFrom(identifier: DataSet, added: readonly WorklistKey[] = []): WorklistRequest {
  const requestCharset = charsetOf(identifier);
  const charset = new CharacterSet(requestCharset);
  const withAdded = (ours: Map<number, KeyAttribute>, step: boolean) =>
    added.some((k) => k.step === step)
      ? new Map([...ours, ...added.filter((k) => k.step === step).map((k) => [k.attr.tag, k.attr] as const)])
      : ours;
  const request: WorklistRequest = {
    keys: { top: withAdded(MWL_BY_TAG, false), step: withAdded(MWL_STEP_BY_TAG, true) },
    conditions: [],
    returns: [],
    stepReturns: [],
    identifier,
    stepItem: undefined,
    requestCharset,
    unsupportedMatching: false,
  };
  const collect = (ds: DataSet, table: Map<number, KeyAttribute>, returns: KeyAttribute[]) => {
    for (const [tag, e] of ds) {
      if (tag === Tag.SpecificCharacterSet || tag === Tag.ScheduledProcedureStepSequence) continue;
      const attr = table.get(tag);
      if (!attr) {
        if (hasValue(e)) request.unsupportedMatching = true;
        continue;
      }
      returns.push(attr);
      const condition = conditionFor(e, attr, charset);
      if (condition) request.conditions.push(condition);
    }
  };
  collect(identifier, request.keys.top, request.returns);
  const steps = identifier.get(Tag.ScheduledProcedureStepSequence);
  if (steps) {
    if (!isSequence(steps))
      throw new IdentifierError(
        Status.IdentifierDoesNotMatchSopClass,
        'Scheduled Procedure Step Sequence (0040,0100) is not a sequence',
      );
    if (steps.value.length > 1)
      throw new IdentifierError(
        Status.IdentifierDoesNotMatchSopClass,
        'Scheduled Procedure Step Sequence holds more than one item',
      );
    request.stepItem = steps.value[0] ?? new Map();
    collect(request.stepItem, request.keys.step, request.stepReturns);
  }
  return request;
}

export function worklistAnswer(row: Row, request: WorklistRequest): DataSet {
  const top: AnswerValue[] = request.returns.map((attr) => ({ attr, value: valueOf(row, attr) }));
  const step: AnswerValue[] = request.stepReturns.map((attr) => ({ attr, value: valueOf(row, attr) }));
  const { charset, elements } = encodeValues([...top, ...step], request.requestCharset);
  const answer: DataSet = new Map();
  const build = (source: DataSet, target: DataSet, table: Map<number, KeyAttribute>) => {
    for (const [tag, e] of source)
      if (!table.has(tag) && tag !== Tag.SpecificCharacterSet && tag !== Tag.ScheduledProcedureStepSequence)
        put(target, emptyLike(e));
    for (const e of elements) if (table.has(e.tag) && source.has(e.tag)) put(target, e);
  };
  build(request.identifier, answer, request.keys.top);
  if (request.stepItem) {
    const item: DataSet = new Map();
    build(request.stepItem, item, request.keys.step);
    put(answer, { tag: Tag.ScheduledProcedureStepSequence, vr: 'SQ', value: [item] });
  }
  if (charset) put(answer, { tag: Tag.SpecificCharacterSet, vr: 'CS', value: Buffer.from(charset, 'latin1') });
  return answer;
}
