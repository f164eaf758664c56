import type { Role } from '../../common/roles.ts';
import type { Message } from '../../common/message.ts';

/**
 * The records the API answers, as the API's own types: the core's rows and domain types (jobs, worklist entries,
 * procedure steps, deletions, audit records, accounts, annotations) are assignable to these, so a change inside the
 * core that would change an answer fails the typecheck at the route (router.ts `route()`) instead of reaching clients.
 */

export type JobKindDto =
  | 'send'
  | 'forward'
  | 'move'
  | 'get'
  | 'commit-report'
  | 'mpps-forward'
  | 'edit'
  | 'deferred'
  | 'delete'
  | 'process'
  | 'relocate'
  | 'prefetch'
  | 'index-fill';
export type JobStateDto = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A search's level and keys by keyword (a retrieve's query). */
export interface QueryDto {
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
  keys: Record<string, string>;
}

/** The study a job is about, as this archive knows it (empty name and description when it is not here). */
export interface JobStudy {
  uid: string;
  patientName: string;
  description: string;
  /** The study is in this archive (sent from here, or retrieved): the viewer can open it. */
  here: boolean;
}

/** A job of the queue as the Transfers and Monitor screens show it. */
export interface JobDto {
  id: number;
  kind: JobKindDto;
  /** The node objects come from, and go to ('' for this archive). */
  source: string;
  destination: string;
  query: QueryDto | undefined;
  studyUid: string;
  compression: string;
  transactionUid: string;
  /** Storage Commitment: '' not asked, asked, requested, committed, failed. */
  commitment: string;
  detail: string;
  total: number;
  done: number;
  failed: number;
  bytes: number;
  state: JobStateDto;
  /** Why it failed or waits, in English; `errorMessage` for the UI to say in the user's language. */
  error: string;
  errorMessage?: Message;
  attempts: number;
  /** Epoch milliseconds before which a queued job waits (retry backoff). */
  nextAttemptAt: number;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  study?: JobStudy;
}

/** A scheduled procedure step of the worklist, as typed or ordered by HL7. */
export interface NewWorklistEntryDto {
  patientId?: string;
  patientName?: string;
  birthDate?: string;
  sex?: string;
  accessionNumber?: string;
  referringPhysician?: string;
  studyUid?: string;
  requestedProcedureId?: string;
  requestedProcedureDescription?: string;
  modality?: string;
  scheduledAe?: string;
  scheduledDate?: string;
  scheduledTime?: string;
  performingPhysician?: string;
  stepId?: string;
  stepDescription?: string;
  stationName?: string;
  stepStatus?: string;
  /** 'typed' (the UI or API) or 'HL7'. */
  source?: string;
  /** The HL7 order it comes from (ORC-2). */
  placerOrder?: string;
  /** The columns dicom.sql added to the worklist (Conquest's MedicalAlerts, ...), by column name. */
  more?: Record<string, string>;
}

export type WorklistEntryDto = Required<Omit<NewWorklistEntryDto, 'more'>> & {
  more?: Record<string, string>;
  id: number;
  /** The state of the performed step a modality reported for it (MPPS), '' when none yet. */
  mppsStatus: string;
  mppsUid: string;
};

/** A performed procedure step as the Worklist shows it: each series with how many of its images are here now. */
export interface MppsDto {
  sopInstanceUid: string;
  status: string;
  callingAe: string;
  patientId: string;
  patientName: string;
  studyUid: string;
  stepId: string;
  accessionNumber: string;
  modality: string;
  description: string;
  /** Start and end, DICOM date and time run together (YYYYMMDDHHMMSS). */
  started: string;
  ended: string;
  series: { seriesUid: string; description: string; images: number; here: number }[];
  worklistId?: number;
  createdAt: string;
  updatedAt: string;
}

/** A study deleted, by the user or by clean-up, as the Monitor lists it. */
export interface DeletionDto {
  id: number;
  at: string;
  studyUid: string;
  patientId: string;
  patientName: string;
  studyDate: string;
  description: string;
  objects: number;
  bytes: number;
  /** Who or what deleted it: the user, MAGDeviceThreshold, NightlyCleanThreshold. */
  reason: string;
  /** 'pending' until its files are gone. */
  state: 'pending' | 'done';
}

/** What an export to a folder wrote. */
export interface MediaSetSummaryDto {
  folder: string;
  patients: number;
  studies: number;
  series: number;
  objects: number;
  /** Objects kept compressed (no codec to convert them). */
  notConverted: number;
  /** De-identified exports: why some objects may still identify the patient. */
  warnings?: string[];
}

/** What an import did (POST /api/import?name=...: one uploaded file, imported as from a CD). */
export interface ImportResult {
  files: number;
  imported: number;
  duplicates: number;
  skipped: { file: string; reason: string }[];
  /** Files that are not DICOM at all (a CD's README.TXT): left aside, not errors. */
  other: string[];
  notLinked?: { hardlinked: number; copied: number };
}

/** An audit record, with the name its patient goes by. */
export interface AuditDto {
  id: number;
  at: string;
  user: string;
  source: string;
  action: string;
  outcome: string;
  patientId: string;
  studyUid: string;
  detail: string;
  patientName?: string;
}

export interface UserDto {
  name: string;
  role: Role;
  createdAt: string;
  changedAt: string;
  lastLogin: string;
  locked: boolean;
}

export interface ApiKeyDto {
  name: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  lastUsed: string;
}

/** POST /api/keys answers the new key once, with its record. */
export type NewApiKeyDto = ApiKeyDto & { key: string };

/** A measurement or annotation on one image (frame counted from 1), in image pixel coordinates. */
export interface AnnotationDto {
  sopInstanceUid: string;
  frame?: number;
  kind: 'Length' | 'Angle' | 'CobbAngle' | 'EllipticalRoi' | 'RectangleRoi' | 'Probe' | 'ArrowAnnotate';
  points: [number, number][];
  text: string;
}

export interface PresentationStateSummary {
  sopInstanceUid: string;
  /** When it was made (ISO), and by whom. */
  created: string;
  creator: string;
  label: string;
}
