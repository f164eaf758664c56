import { Tag } from '../dicom/tags.ts';
/**
 * The keys the archive answers on, per information model: where each lives in the index (an SQL expression over the
 * tables aliased p, st, se, i for Query/Retrieve and w for the worklist) and how it matches. Keys not listed here are
 * returned empty (PS3.4 C.2.2.1.2 lets an SCP leave optional keys unsupported).
 */

export const Level = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 } as const;
export type LevelNumber = (typeof Level)[keyof typeof Level];
export const LEVEL_NAMES = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'] as const;

export interface KeyAttribute {
  tag: number;
  keyword: string;
  vr: string;
  /** SQL expression that gives the value. */
  column: string;
  /** Expression to match against when not `column` (person names match on their upper-case form). */
  matchColumn?: string;
  /** Matched through `EXISTS (… AND <matchColumn> <condition>)` rather than on the row itself. */
  existsFrom?: string;
  /** Values are in the Specific Character Set (PN, LO, SH, …). */
  text?: boolean;
  personName?: boolean;
  /** A column holding the name folded for forgiving search (name-fold.ts), where there is one. */
  foldColumn?: string;
  /** An identifier a forgiving search matches case aside (cz780 finds CZ780). */
  caseFold?: boolean;
  /** Where an engine keeps the value in upper case, indexed (MariaDB's generated columns), for `caseFold`. */
  upperColumn?: string;
  /** Only returned (counts); a value given for it is not matched. */
  returnOnly?: boolean;
  /** Matched case aside always (dicom.sql's DT_ISTR): against `matchColumn`, the value in upper case. */
  ignoreCase?: boolean;
  /** Holds several values separated by "\" (dicom.sql's DT_MSTR): a key matches when any one of them does. */
  multiValued?: boolean;
  /** Added to the index lately (dicom.sql): objects stored before are still being read, so some may not match yet. */
  filling?: boolean;
}

export interface QrAttribute extends KeyAttribute {
  level: LevelNumber;
}

const countOf = (sql: string) => `(${sql})`;

export const QR_ATTRIBUTES: QrAttribute[] = [
  // Patient (PS3.4 C.6.1.1.2)
  {
    level: 0,
    tag: Tag.PatientName,
    keyword: 'PatientName',
    vr: 'PN',
    column: 'p.patient_name',
    matchColumn: 'p.name_key',
    foldColumn: 'p.name_fold',
    text: true,
    personName: true,
  },
  {
    level: 0,
    tag: Tag.PatientID,
    keyword: 'PatientID',
    vr: 'LO',
    column: 'p.patient_id',
    text: true,
    caseFold: true,
    upperColumn: 'p.patient_id_upper',
  },
  { level: 0, tag: Tag.PatientBirthDate, keyword: 'PatientBirthDate', vr: 'DA', column: 'p.birth_date' },
  { level: 0, tag: Tag.PatientSex, keyword: 'PatientSex', vr: 'CS', column: 'p.sex' },
  {
    level: 0,
    tag: Tag.NumberOfPatientRelatedStudies,
    keyword: 'NumberOfPatientRelatedStudies',
    vr: 'IS',
    returnOnly: true,
    column: countOf('SELECT count(*) FROM studies x WHERE x.patient_fk = p.id'),
  },
  {
    level: 0,
    tag: Tag.NumberOfPatientRelatedSeries,
    keyword: 'NumberOfPatientRelatedSeries',
    vr: 'IS',
    returnOnly: true,
    column: countOf('SELECT coalesce(sum(x.num_series), 0) FROM studies x WHERE x.patient_fk = p.id'),
  },
  {
    level: 0,
    tag: Tag.NumberOfPatientRelatedInstances,
    keyword: 'NumberOfPatientRelatedInstances',
    vr: 'IS',
    returnOnly: true,
    column: countOf('SELECT coalesce(sum(x.num_instances), 0) FROM studies x WHERE x.patient_fk = p.id'),
  },
  // Study (PS3.4 C.6.1.1.3, C.6.2.1.2)
  { level: 1, tag: Tag.StudyInstanceUID, keyword: 'StudyInstanceUID', vr: 'UI', column: 'st.study_uid' },
  { level: 1, tag: Tag.StudyDate, keyword: 'StudyDate', vr: 'DA', column: 'st.study_date' },
  { level: 1, tag: Tag.StudyTime, keyword: 'StudyTime', vr: 'TM', column: 'st.study_time' },
  {
    level: 1,
    tag: Tag.AccessionNumber,
    keyword: 'AccessionNumber',
    vr: 'SH',
    column: 'st.accession_number',
    text: true,
    caseFold: true,
    upperColumn: 'st.accession_upper',
  },
  { level: 1, tag: Tag.StudyID, keyword: 'StudyID', vr: 'SH', column: 'st.study_id', text: true },
  { level: 1, tag: Tag.StudyDescription, keyword: 'StudyDescription', vr: 'LO', column: 'st.description', text: true },
  {
    level: 1,
    tag: Tag.ReferringPhysicianName,
    keyword: 'ReferringPhysicianName',
    vr: 'PN',
    column: 'st.referring_physician',
    matchColumn: 'upper(st.referring_physician)',
    text: true,
    personName: true,
  },
  {
    level: 1,
    tag: Tag.ModalitiesInStudy,
    keyword: 'ModalitiesInStudy',
    vr: 'CS',
    column: 'st.modalities',
    existsFrom: 'series x WHERE x.study_fk = st.id',
    matchColumn: 'x.modality',
  },
  {
    level: 1,
    tag: Tag.NumberOfStudyRelatedSeries,
    keyword: 'NumberOfStudyRelatedSeries',
    vr: 'IS',
    returnOnly: true,
    column: 'st.num_series',
  },
  {
    level: 1,
    tag: Tag.NumberOfStudyRelatedInstances,
    keyword: 'NumberOfStudyRelatedInstances',
    vr: 'IS',
    returnOnly: true,
    column: 'st.num_instances',
  },
  // Series (PS3.4 C.6.1.1.4)
  { level: 2, tag: Tag.SeriesInstanceUID, keyword: 'SeriesInstanceUID', vr: 'UI', column: 'se.series_uid' },
  { level: 2, tag: Tag.Modality, keyword: 'Modality', vr: 'CS', column: 'se.modality' },
  { level: 2, tag: Tag.SeriesNumber, keyword: 'SeriesNumber', vr: 'IS', column: 'se.series_number' },
  {
    level: 2,
    tag: Tag.SeriesDescription,
    keyword: 'SeriesDescription',
    vr: 'LO',
    column: 'se.description',
    text: true,
  },
  { level: 2, tag: Tag.BodyPartExamined, keyword: 'BodyPartExamined', vr: 'CS', column: 'se.body_part' },
  { level: 2, tag: Tag.SeriesDate, keyword: 'SeriesDate', vr: 'DA', column: 'se.series_date' },
  { level: 2, tag: Tag.SeriesTime, keyword: 'SeriesTime', vr: 'TM', column: 'se.series_time' },
  {
    level: 2,
    tag: Tag.NumberOfSeriesRelatedInstances,
    keyword: 'NumberOfSeriesRelatedInstances',
    vr: 'IS',
    returnOnly: true,
    column: 'se.num_instances',
  },
  // Image (PS3.4 C.6.1.1.5)
  { level: 3, tag: Tag.SOPInstanceUID, keyword: 'SOPInstanceUID', vr: 'UI', column: 'i.sop_uid' },
  { level: 3, tag: Tag.SOPClassUID, keyword: 'SOPClassUID', vr: 'UI', column: 'i.sop_class_uid' },
  { level: 3, tag: Tag.InstanceNumber, keyword: 'InstanceNumber', vr: 'IS', column: 'i.instance_number' },
  { level: 3, tag: Tag.Rows, keyword: 'Rows', vr: 'US', column: 'i.rows' },
  { level: 3, tag: Tag.Columns, keyword: 'Columns', vr: 'US', column: 'i.columns' },
  { level: 3, tag: Tag.NumberOfFrames, keyword: 'NumberOfFrames', vr: 'IS', column: 'i.frames' },
  {
    level: 3,
    tag: Tag.AvailableTransferSyntaxUID,
    keyword: 'AvailableTransferSyntaxUID',
    vr: 'UI',
    column: 'i.transfer_syntax',
  },
];

/** The unique key of each level (PS3.4 C.6.1.1, C.6.2.1). */
export const UNIQUE_KEYS = [Tag.PatientID, Tag.StudyInstanceUID, Tag.SeriesInstanceUID, Tag.SOPInstanceUID] as const;

export const QR_BY_TAG = new Map(QR_ATTRIBUTES.map((a) => [a.tag, a]));

/**
 * Below the PATIENT level, Patient's Name is the study's own, as its objects gave it (hierarchy.ts): a study is never
 * answered, listed or shown under another study's spelling of its patient's name.
 */
const STUDY_PATIENT_NAME: QrAttribute = {
  ...QR_BY_TAG.get(Tag.PatientName)!,
  column: 'st.patient_name',
  matchColumn: 'st.name_key',
  foldColumn: 'st.name_fold',
};

/**
 * The attribute a tag names in a query at `level`: ours, else one dicom.sql added (`added`, index-schema.ts) at or
 * above the level.
 */
export function qrAttribute(
  tag: number,
  level: LevelNumber,
  added: readonly QrAttribute[] = [],
): QrAttribute | undefined {
  if (tag === STUDY_PATIENT_NAME.tag && level >= Level.STUDY) return STUDY_PATIENT_NAME;
  const own = QR_BY_TAG.get(tag);
  if (own && own.level <= level) return own;
  let found: QrAttribute | undefined;
  for (const a of added) if (a.tag === tag && a.level <= level && (!found || a.level > found.level)) found = a;
  return found ?? own;
}

/** Tables joined from the level's own table up to the patient. */
/** Each level's own table alias in QR_FROM (its rows' ids grow as entities are first stored). */
export const QR_ALIAS = ['p', 'st', 'se', 'i'] as const;

/** A cap on the rows of a query: the most recently added entities of the level first. */
export function newestFirstSql(level: LevelNumber, limit: number | undefined, offset = 0): string {
  if (limit === undefined) return '';
  const skip = Math.max(0, Math.floor(offset));
  return ` ORDER BY ${QR_ALIAS[level]}.id DESC LIMIT ${Math.max(0, Math.floor(limit))}${skip ? ` OFFSET ${skip}` : ''}`;
}

export const QR_FROM = [
  'patients p',
  'studies st JOIN patients p ON p.id = st.patient_fk',
  'series se JOIN studies st ON st.id = se.study_fk JOIN patients p ON p.id = st.patient_fk',
  'instances i JOIN series se ON se.id = i.series_fk JOIN studies st ON st.id = se.study_fk JOIN patients p ON p.id = st.patient_fk',
] as const;

// ------------------------------------------------------------------ Modality Worklist (PS3.4 K.6.1.2)

/** Keys at the top level of a worklist identifier. */
export const MWL_ATTRIBUTES: KeyAttribute[] = [
  {
    tag: Tag.PatientName,
    keyword: 'PatientName',
    vr: 'PN',
    column: 'w.patient_name',
    matchColumn: 'w.name_key',
    foldColumn: 'w.name_fold',
    text: true,
    personName: true,
  },
  { tag: Tag.PatientID, keyword: 'PatientID', vr: 'LO', column: 'w.patient_id', text: true, caseFold: true },
  { tag: Tag.PatientBirthDate, keyword: 'PatientBirthDate', vr: 'DA', column: 'w.birth_date' },
  { tag: Tag.PatientSex, keyword: 'PatientSex', vr: 'CS', column: 'w.sex' },
  {
    tag: Tag.AccessionNumber,
    keyword: 'AccessionNumber',
    vr: 'SH',
    column: 'w.accession_number',
    text: true,
    caseFold: true,
  },
  {
    tag: Tag.ReferringPhysicianName,
    keyword: 'ReferringPhysicianName',
    vr: 'PN',
    column: 'w.referring_physician',
    matchColumn: 'upper(w.referring_physician)',
    text: true,
    personName: true,
  },
  { tag: Tag.StudyInstanceUID, keyword: 'StudyInstanceUID', vr: 'UI', column: 'w.study_uid' },
  {
    tag: Tag.RequestedProcedureID,
    keyword: 'RequestedProcedureID',
    vr: 'SH',
    column: 'w.requested_procedure_id',
    text: true,
  },
  {
    tag: Tag.RequestedProcedureDescription,
    keyword: 'RequestedProcedureDescription',
    vr: 'LO',
    column: 'w.requested_procedure_description',
    text: true,
  },
];

/** Keys inside the Scheduled Procedure Step Sequence item. */
export const MWL_STEP_ATTRIBUTES: KeyAttribute[] = [
  { tag: Tag.Modality, keyword: 'Modality', vr: 'CS', column: 'w.modality' },
  { tag: Tag.ScheduledStationAETitle, keyword: 'ScheduledStationAETitle', vr: 'AE', column: 'w.scheduled_ae' },
  {
    tag: Tag.ScheduledProcedureStepStartDate,
    keyword: 'ScheduledProcedureStepStartDate',
    vr: 'DA',
    column: 'w.scheduled_date',
  },
  {
    tag: Tag.ScheduledProcedureStepStartTime,
    keyword: 'ScheduledProcedureStepStartTime',
    vr: 'TM',
    column: 'w.scheduled_time',
  },
  {
    tag: Tag.ScheduledPerformingPhysicianName,
    keyword: 'ScheduledPerformingPhysicianName',
    vr: 'PN',
    column: 'w.performing_physician',
    matchColumn: 'upper(w.performing_physician)',
    text: true,
    personName: true,
  },
  {
    tag: Tag.ScheduledProcedureStepDescription,
    keyword: 'ScheduledProcedureStepDescription',
    vr: 'LO',
    column: 'w.step_description',
    text: true,
  },
  { tag: Tag.ScheduledProcedureStepID, keyword: 'ScheduledProcedureStepID', vr: 'SH', column: 'w.step_id', text: true },
  { tag: Tag.ScheduledStationName, keyword: 'ScheduledStationName', vr: 'SH', column: 'w.station_name', text: true },
  { tag: Tag.ScheduledProcedureStepStatus, keyword: 'ScheduledProcedureStepStatus', vr: 'CS', column: 'w.step_status' },
];
