import { newUid } from '../../common/uids.ts';
import { Refusal } from '../util/refusal.ts';
import { msg, type Message } from '../../common/message.ts';

/**
 * One scheduled procedure step of the Modality Worklist (PS3.4 K.6.1, PS3.3 C.4.10): who, what and where. Admins
 * create and edit them (API, later HL7 orders); modalities query them with C-FIND.
 */
export interface WorklistEntry {
  patientId: string;
  patientName: string;
  birthDate: string;
  sex: string;
  accessionNumber: string;
  referringPhysician: string;
  studyUid: string;
  requestedProcedureId: string;
  requestedProcedureDescription: string;
  modality: string;
  scheduledAe: string;
  scheduledDate: string;
  scheduledTime: string;
  performingPhysician: string;
  stepId: string;
  stepDescription: string;
  stationName: string;
  stepStatus: string;
  /** Who made the entry: 'typed' (the UI or API) or 'HL7' (an order from the hospital's information system). */
  source: string;
  /** The order it comes from (HL7 ORC-2, the placer order number), by which later messages change or cancel it. */
  placerOrder: string;
  /** Values of the columns dicom.sql added to the worklist (Conquest's MedicalAlerts, ...), by column. */
  more?: Record<string, string>;
}

/** The worklist's own fields (text each). */
export type WorklistField = Exclude<keyof WorklistEntry, 'more'>;

export interface StoredWorklistEntry extends WorklistEntry {
  id: number;
  /** The state of the performed procedure step a modality reported for it (MPPS), '' when none yet. */
  mppsStatus: string;
  mppsUid: string;
}

export class WorklistEntryError extends Refusal {
  constructor(message: Message | string) {
    super(400, message);
    this.name = 'WorklistEntryError';
  }
}

const DEFAULTS: WorklistEntry = {
  patientId: '',
  patientName: '',
  birthDate: '',
  sex: '',
  accessionNumber: '',
  referringPhysician: '',
  studyUid: '',
  requestedProcedureId: '',
  requestedProcedureDescription: '',
  modality: '',
  scheduledAe: '',
  scheduledDate: '',
  scheduledTime: '',
  performingPhysician: '',
  stepId: '',
  stepDescription: '',
  stationName: '',
  stepStatus: 'SCHEDULED',
  source: 'typed',
  placerOrder: '',
};

/** Fill defaults and check an entry; a new Study Instance UID is made when none is given (2.25 UUID form, PS3.5 B.2). */
export function normalizeWorklistEntry(input: Partial<WorklistEntry>): WorklistEntry {
  const e: WorklistEntry = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS) as WorklistField[]) {
    const v = input[k];
    if (v !== undefined) {
      if (typeof v !== 'string') throw new WorklistEntryError(`${k} must be text`);
      e[k] = v.trim();
    }
  }
  if (input.more !== undefined) {
    if (
      typeof input.more !== 'object' ||
      input.more === null ||
      Object.values(input.more).some((v) => typeof v !== 'string')
    )
      throw new WorklistEntryError('more must map columns to text');
    e.more = Object.fromEntries(Object.entries(input.more).map(([k, v]) => [k, v.trim()]));
  }
  const problems: Message[] = [];
  if (!e.patientId) problems.push(msg('the patient ID is required'));
  if (!e.patientName) problems.push(msg("the patient's name is required"));
  if (!e.modality) problems.push(msg('the modality is required'));
  if (!/^\d{8}$/.test(e.scheduledDate))
    problems.push(msg('the scheduled date "{value}" is not a date (YYYYMMDD)', { value: e.scheduledDate }));
  if (e.scheduledTime && !/^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(e.scheduledTime))
    problems.push(msg('the scheduled time "{value}" is not a time (HHMMSS)', { value: e.scheduledTime }));
  if (e.birthDate && !/^\d{8}$/.test(e.birthDate))
    problems.push(msg('the birth date "{value}" is not a date (YYYYMMDD)', { value: e.birthDate }));
  if (e.sex && !['M', 'F', 'O'].includes(e.sex))
    problems.push(msg('the sex "{value}" is not M, F or O', { value: e.sex }));
  if (e.scheduledAe.length > 16)
    problems.push(msg('the station\'s AE title "{value}" is longer than 16 characters', { value: e.scheduledAe }));
  if (e.modality.length > 16 || !/^[A-Z0-9_ ]*$/.test(e.modality))
    problems.push(msg('the modality "{value}" is not a code (e.g. CT, MR)', { value: e.modality }));
  // Every problem at once, each said in the reader's language.
  if (problems.length)
    throw new WorklistEntryError(problems.reduceRight((rest, p) => msg('{problem}; {rest}', { problem: p, rest })));
  if (!e.studyUid) e.studyUid = newUid();
  if (!e.stepId) e.stepId = e.accessionNumber || e.requestedProcedureId;
  return e;
}

/** Worklist entry fields and their columns in the `worklist` table, in the same order (both index engines). */
export const WORKLIST_FIELDS: WorklistField[] = [
  'patientId',
  'patientName',
  'birthDate',
  'sex',
  'accessionNumber',
  'referringPhysician',
  'studyUid',
  'requestedProcedureId',
  'requestedProcedureDescription',
  'modality',
  'scheduledAe',
  'scheduledDate',
  'scheduledTime',
  'performingPhysician',
  'stepId',
  'stepDescription',
  'stationName',
  'stepStatus',
  'source',
  'placerOrder',
];
export const WORKLIST_COLUMNS = WORKLIST_FIELDS.map((f) => f.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()));
