/**
 * The API contract between the core and its UI (renderer), types only: the renderer imports this file and nothing else
 * of the core. Every request but login and set-up is signed: the desktop's local secret (Authorization: Bearer, from
 * this computer only), or a session (its HttpOnly cookie, or Authorization: Bearer), or an API key; a download link or
 * the event WebSocket of a page signed in with the secret carries a one-time link token (?token=) instead.
 */
import type { AssociationEvent, Hl7Event, JobEvent, ObjectEvent, WorklistEvent } from './event-dto.ts';
import type { Permission, Role } from '../../common/roles.ts';
import type { QueryDto } from './dto.ts';
export type {
  AnnotationDto,
  ApiKeyDto,
  AuditDto,
  DeletionDto,
  ImportResult,
  JobDto,
  JobStudy,
  MediaSetSummaryDto,
  MppsDto,
  NewApiKeyDto,
  NewWorklistEntryDto,
  PresentationStateSummary,
  QueryDto,
  UserDto,
  WorklistEntryDto,
} from './dto.ts';
import type { Message } from '../../common/message.ts';
export type {
  AutomationDto,
  CheckedKind,
  ConverterCheckDto,
  ConverterDto,
  ConverterKind,
  ConverterSaveDto,
  ConverterTrialDto,
  ConverterTryDto,
  LuaHookDto,
} from './automation-dto.ts';

/** Who the UI is signed in as (nothing when no one is), and whether the first administrator is still to be set up. */
export interface SessionDto {
  needsSetup: boolean;
  user?: string;
  role?: Role;
  permissions: readonly Permission[];
  /** Signed in with the desktop's local secret (no password, no logout). */
  local: boolean;
}

/** POST /api/link-token: a token for one download or WebSocket URL (`?token=`), usable once, until `expiresAt`. */
export interface LinkTokenDto {
  token: string;
  expiresAt: string;
}

/** POST /api/sign-in-link: a link that signs this computer's browser in as the local admin, once, until `expiresAt`. */
export interface SignInLinkDto {
  url: string;
  expiresAt: string;
}

export interface StatusDto {
  aeTitle: string;
  /** The upstreams a search of this archive itself merges in (VirtualServerFor0..9): none, one or several AE titles. */
  virtualServers: string[];
  dicomPort: number;
  associations: number;
  counts: { patients: number; studies: number; series: number; instances: number };
  /** Each storage folder (MAGn) and mirror (MIRRORn of MAGn); `present` false: not there now (unmounted). */
  storage: {
    path: string;
    device: number;
    mirror: boolean;
    present: boolean;
    freeBytes: number;
    totalBytes: number;
  }[];
  /** Copies the mirrored folders still owe each other (written while one side was not there). */
  copiesOwed: number;
  /** What the archive's own objects take on disk (the storage folders may hold other things too). */
  archiveBytes: number;
  /** The API's HTTPS certificate, when it speaks HTTPS: users compare the fingerprint with what their browser shows. */
  https?: { fingerprint: string; selfSigned: boolean };
}

/** A log file in DATA/logs: pacs.log (current), pacs.1.log (the newest rotated), ... */
export interface LogFileDto {
  name: string;
  size: number;
  modified: string;
}

/** The scheduled backup (BackupFolder): its last success, why the last attempt failed, and whether to warn. */
export interface BackupStateDto {
  /** '' when no backup is scheduled. */
  folder: string;
  hour: number;
  lastFinishedAt?: string;
  lastError?: string;
  running: boolean;
  /** BackupFolder is set and no backup succeeded for BackupWarnDays. */
  overdue: boolean;
}

/** One object VerifyStorage found damaged, and where its repair stands. */
export interface StorageProblemDto {
  sopInstanceUid: string;
  studyInstanceUid: string;
  patientId: string;
  /** The file, as the Monitor shows it (device and path under it). */
  file: string;
  problem: 'missing' | 'size' | 'checksum' | 'unreadable';
  foundAt: string;
  state: 'damaged' | 'repairing' | 'repaired' | 'unrepairable';
  detail: string;
}

export interface VerificationDto {
  /** VerifyStorage and VerifyStorageHour. */
  nightly: boolean;
  hour: number;
  /** The run going on: objects read so far, and their bytes. */
  running?: { checked: number; bytes: number };
  /** The last run that ended (complete, or stopped part way: it goes on next time). */
  last?: {
    startedAt: string;
    finishedAt: string;
    checked: number;
    bytes: number;
    found: number;
    recorded: number;
    complete: boolean;
  };
  /** When the last complete run ended. */
  lastCompleteAt?: string;
  lastError?: string;
  problems: StorageProblemDto[];
}

export interface NodeDto {
  ae: string;
  host: string;
  port: number;
  compression: string;
  /** What the node may ask of us (noderights.map); absent when saving leaves its rights as they are. */
  access?: NodeAccessDto;
}

/** noderights.map for one node: `rights` among store, query, retrieve, worklist, commit, mpps; where its C-MOVEs may go. */
export interface NodeAccessDto {
  rights: string[];
  /** '*' (any node) or AE titles ('self' for itself). */
  retrieveTo: '*' | string[];
  /** Its associations must come from its acrnema.map address. */
  checkHost: boolean;
  /** From a line of its own (false: everything, or the `*` line's rules). */
  own: boolean;
}

/**
 * A DICOMweb node (dicomweb.map). `auth` is sent as bearer:TOKEN or basic:USER:PASSWORD; the list gives back only its
 * kind ('bearer', 'basic' or ''), never the secret; saving with auth 'keep' keeps the one on file.
 */
export interface WebNodeDto {
  name: string;
  url: string;
  auth: string;
}

export interface SendRequest {
  destination: string;
  level: QueryDto['level'];
  uid: string;
  /** Ask the destination for Storage Commitment once everything is sent; the job shows whether it committed. */
  commit?: boolean;
}

export interface RetrieveRequest {
  source: string;
  query: QueryDto;
  how: 'move' | 'get';
  /** A third node to move to; empty or absent: to us. */
  destination?: string;
  /** The patient the search answer named, for the audit trail (the study may not be here yet to look it up). */
  patientId?: string;
  /** What the search answer said of the study, for the job list to name it until it is here. */
  about?: RetrievedStudyNames;
}

/** A retrieve's study as the node's search answer named it (kept in the job's detail). */
export interface RetrievedStudyNames {
  patientName?: string;
  description?: string;
}

/**
 * A search stated with keywords: empty values are the keys to return, others match as in C-FIND (PS3.4 C.2.2.2); a
 * search that names no key to return gets every key the level answers.
 */
export interface FindRequest {
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
  keys: Record<string, string>;
  /** Local searches only: at most this many answers, the most recently stored first. */
  limit?: number;
}

/** One answer: keyword -> value as text. */
export type FindAnswer = Record<string, string>;

/** A key dicom.sql added to the index (searched on the Studies screen as any other) or to the worklist. */
export interface IndexKeyDto {
  keyword: string;
  /** The column's name in dicom.sql. */
  name: string;
  /** Its column (a worklist entry's `more` is keyed by it). */
  column: string;
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE' | 'WORKLIST';
  /** Objects stored before it was added are still being read: some may not match yet. */
  filling: boolean;
}

export interface EchoResult {
  ae: string;
  ok: boolean;
  milliseconds?: number;
  error?: string;
  /** The error as a message, for the UI to say in the user's language. */
  message?: Message;
}

export interface SettingsDto {
  /** dicom.ini as it is on disk. */
  text: string;
  /** Every key the core reads: its value (or default), its line (0: not in the file) and a line of help. */
  /** `spelling`: the name the file uses for the key (Conquest spells some two ways: MAGDeviceThreshHold). */
  /** `label`: the form's plain words for it; `input`: how the form asks for it (`choices` for a list). */
  keys: {
    key: string;
    spelling: string;
    value: string;
    default: string;
    line: number;
    help: string;
    effect: SettingEffect;
    label: string;
    input: SettingInputDto;
    choices?: string[];
  }[];
  /** The form's groups in the order shown: each title (English; the UI says it in its language) and its keys. */
  groups: { title: string; keys: string[] }[];
}

/** How the Settings form asks for a value: typed text, a yes/no switch (0/1), one of `choices`, a compression code, a secret. */
export type SettingInputDto = 'text' | 'yes-no' | 'choice' | 'compression' | 'secret' | 'prefetch-rules';

/** When a changed key takes effect (setting-keys.ts); `listener` means after POST /api/listener/restart; `unused`: a key the core does not read. */
export type SettingEffect = 'live' | 'listener' | 'restart' | 'unused';

export interface SettingsSaved {
  saved: true;
  /** Keys whose value changed, with when each takes effect. */
  changed: { key: string; effect: SettingEffect }[];
}

export interface StudyDeleted {
  studyUid: string;
  /** Objects removed from the index. */
  objects: number;
  /** Files that stayed on disk (permissions, a read-only medium); their objects are gone from the index all the same. */
  filesNotDeleted: number;
}

/** One content item of a structured report: its concept name, value (with unit for numbers) and children. */
export interface ReportItem {
  /** CONTAINS, HAS PROPERTIES, HAS OBS CONTEXT, ... */
  relationship: string;
  /** CONTAINER, TEXT, NUM, CODE, DATETIME, PNAME, UIDREF, IMAGE ... */
  valueType: string;
  name: string;
  value: string;
  unit?: string;
  children: ReportItem[];
}

/** A structured report as text (GET /api/objects/:uid/report): the CT dose report, a measurement report... */
export interface StructuredReport {
  title: string;
  completion: string;
  verification: string;
  items: ReportItem[];
}

/** One element of an object's header (GET /api/objects/:uid/header); items of a sequence follow it, one level deeper. */
export interface HeaderRow {
  depth: number;
  /** GGGG,EEEE */
  tag: string;
  vr: string;
  keyword: string;
  value: string;
}

export interface ListenerRestarted {
  aeTitle: string;
  dicomPort: number;
}

export type { AssociationEvent, Hl7Event, JobEvent, ObjectEvent, WorklistEvent };
/** GET /api/activity: open and recent associations with their objects and bytes, recent errors. */
export type { ActivitySnapshot, AssociationSummary, ActivityError } from './event-dto.ts';

/** Messages on the /api/events WebSocket. */
export type EventMessage =
  | { type: 'association'; event: AssociationEvent }
  | { type: 'object'; event: ObjectEvent }
  | { type: 'job'; event: JobEvent }
  | { type: 'hl7'; event: Hl7Event }
  | { type: 'worklist'; event: WorklistEvent };

/** The routes, for the renderer's client. */
/** The name a patient goes by here, and each spelling its studies were received with (two or more: a conflict). */
export interface PatientNamesDto {
  patientId: string;
  name: string;
  /** An admin chose it (or the hospital's HL7 ADT gave it): arriving studies do not change it. */
  confirmed: boolean;
  spellings: { name: string; studies: number }[];
}

/**
 * An error answer (4xx/5xx): what was wrong, in English (scripts, logs) and as a message the UI says in the user's
 * language; a refused dicom.ini also lists its problems.
 */
export interface ApiErrorBody {
  error: string;
  message?: Message;
  /** Settings refused: each line and why. */
  problems?: { line: number; reason: string; message?: Message }[];
}
