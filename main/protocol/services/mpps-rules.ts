import { isSequence, textOf, type DataSet } from '../../dicom/dataset.ts';
import { DimseError, Status } from '../../dicom/status.ts';
import { Tag } from '../../dicom/tags.ts';

/**
 * What Modality Performed Procedure Step requires of N-CREATE and N-SET (PS3.4 F.7.2, Table F.7.2-1): pure checks over
 * data sets, answered with the statuses PS3.4 F.7.2.1.2 and F.7.2.2.4 name. The archive behind the port never sees a
 * message that breaks them.
 */

export type PpsStatus = 'IN PROGRESS' | 'COMPLETED' | 'DISCONTINUED';
const STATUSES: readonly string[] = ['IN PROGRESS', 'COMPLETED', 'DISCONTINUED'];
/** Final states: a step in one may no longer be changed (PS3.4 F.7.2.2.2). */
const FINAL: readonly string[] = ['COMPLETED', 'DISCONTINUED'];

/** Attributes an N-CREATE must carry with a value (Table F.7.2-1, N-CREATE usage 1/1). */
const CREATE_REQUIRED: [number, string][] = [
  [Tag.PerformedStationAETitle, 'Performed Station AE Title (0040,0241)'],
  [Tag.PerformedProcedureStepStartDate, 'Performed Procedure Step Start Date (0040,0244)'],
  [Tag.PerformedProcedureStepStartTime, 'Performed Procedure Step Start Time (0040,0245)'],
  [Tag.PerformedProcedureStepID, 'Performed Procedure Step ID (0040,0253)'],
  [Tag.Modality, 'Modality (0008,0060)'],
];

/** Attributes an N-SET may not change (Table F.7.2-1, N-SET usage "Not allowed"). */
const SET_NOT_ALLOWED: [number, string][] = [
  [Tag.ScheduledStepAttributesSequence, 'Scheduled Step Attribute Sequence (0040,0270)'],
  [Tag.PatientID, 'Patient ID (0010,0020)'],
  [Tag.PerformedProcedureStepID, 'Performed Procedure Step ID (0040,0253)'],
  [Tag.PerformedStationAETitle, 'Performed Station AE Title (0040,0241)'],
  [Tag.PerformedProcedureStepStartDate, 'Performed Procedure Step Start Date (0040,0244)'],
  [Tag.PerformedProcedureStepStartTime, 'Performed Procedure Step Start Time (0040,0245)'],
  [Tag.Modality, 'Modality (0008,0060)'],
];

/** PS3.7 C.5: "Missing Attribute Value", for attributes present but empty where a final state needs a value. */
const MISSING_ATTRIBUTE_VALUE = 0x0121;

export function statusOf(ds: DataSet): string {
  return textOf(ds.get(Tag.PerformedProcedureStepStatus)).toUpperCase();
}

/** Check an N-CREATE's attribute list: the Type 1 attributes, one scheduled step with its study, status IN PROGRESS. */
export function checkCreate(ds: DataSet | undefined): DataSet {
  if (!ds) throw new DimseError(Status.MissingAttribute, 'N-CREATE without an attribute list');
  for (const [tag, name] of CREATE_REQUIRED) {
    if (!ds.has(tag)) throw new DimseError(Status.MissingAttribute, `${name} is missing`);
    if (!textOf(ds.get(tag))) throw new DimseError(MISSING_ATTRIBUTE_VALUE, `${name} has no value`);
  }
  const steps = ds.get(Tag.ScheduledStepAttributesSequence);
  if (!steps || !isSequence(steps))
    throw new DimseError(Status.MissingAttribute, 'Scheduled Step Attribute Sequence (0040,0270) is missing');
  if (!steps.value.length || !textOf(steps.value[0]!.get(Tag.StudyInstanceUID))) {
    throw new DimseError(
      MISSING_ATTRIBUTE_VALUE,
      'Scheduled Step Attribute Sequence needs an item with a Study Instance UID',
    );
  }
  if (!ds.has(Tag.PerformedProcedureStepStatus))
    throw new DimseError(Status.MissingAttribute, 'Performed Procedure Step Status (0040,0252) is missing');
  if (statusOf(ds) !== 'IN PROGRESS')
    throw new DimseError(Status.InvalidAttributeValue, `a step is created IN PROGRESS, not "${statusOf(ds)}"`);
  return ds;
}

/**
 * Check an N-SET against the step as it stands and return the step with the changes applied: a step in a final state
 * is not changed (0110, PS3.4 F.7.2.2.4), attributes that identify the step are not changed, and a step set to COMPLETED
 * or DISCONTINUED has its end date and time (and, when completed, its performed series).
 */
export function applySet(current: DataSet, changes: DataSet | undefined): DataSet {
  if (!changes) throw new DimseError(Status.MissingAttribute, 'N-SET without a modification list');
  if (FINAL.includes(statusOf(current))) {
    throw new DimseError(
      Status.ProcessingFailure,
      `Performed Procedure Step Object may no longer be updated (it is ${statusOf(current)})`,
    );
  }
  for (const [tag, name] of SET_NOT_ALLOWED)
    if (changes.has(tag)) throw new DimseError(Status.InvalidAttributeValue, `${name} may not be changed by N-SET`);
  const merged: DataSet = new Map(current);
  for (const [tag, element] of changes) merged.set(tag, element);
  const status = statusOf(merged);
  if (!STATUSES.includes(status))
    throw new DimseError(
      Status.InvalidAttributeValue,
      `Performed Procedure Step Status "${status}" is not IN PROGRESS, COMPLETED or DISCONTINUED`,
    );
  if (FINAL.includes(status)) {
    if (
      !textOf(merged.get(Tag.PerformedProcedureStepEndDate)) ||
      !textOf(merged.get(Tag.PerformedProcedureStepEndTime))
    ) {
      throw new DimseError(
        MISSING_ATTRIBUTE_VALUE,
        `a step ${status} needs its End Date (0040,0250) and End Time (0040,0251)`,
      );
    }
    const series = merged.get(Tag.PerformedSeriesSequence);
    if (status === 'COMPLETED' && (!series || !isSequence(series) || !series.value.length)) {
      throw new DimseError(MISSING_ATTRIBUTE_VALUE, 'a step COMPLETED needs its Performed Series Sequence (0040,0340)');
    }
  }
  return merged;
}
