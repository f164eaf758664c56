import type { InstanceHeader } from '../dicom/instance-header.ts';
import type { StoredLocation } from '../store/file-store.ts';
import type { KeyAttribute, LevelNumber, QrAttribute } from '../query/attributes.ts';
import type { Row } from '../query/identifier.ts';
import type { Condition } from '../query/condition.ts';
import type { StoredWorklistEntry, WorklistEntry } from './worklist-entry.ts';
import type { JobStore } from '../jobs/job.ts';
import type { MppsStore } from './mpps-record.ts';
import type { DeletionRecord } from './deletion-record.ts';
import type { AccountStore } from '../accounts/account-record.ts';
import type { UidMapStore } from './sql-uid-map.ts';
import type { StorageCheckStore } from './sql-storage-checks.ts';
import type { ApiKeyStore } from '../accounts/api-key-record.ts';
import type { AuditStore } from '../audit/audit-record.ts';
import type { IndexSchema } from '../config/index-schema.ts';
import type { SqlIndexColumns } from './index-columns.ts';

export type { DeletionRecord };

/** One stored object as the index records it. */
/** What a stored-again object's row named before: its file, syntax and size. */
export interface ReplacedInstance extends StoredLocation {
  transferSyntaxUid: string;
  size: number;
}

export interface InstanceRecord {
  header: InstanceHeader;
  transferSyntaxUid: string;
  location: StoredLocation;
  size: number;
  callingAe: string;
  /** CRC-32 of the file's bytes as written (VerifyStorage checks it); absent when the writer did not compute it. */
  checksum?: number;
}

export interface StoredInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  location: StoredLocation;
  size: number;
  /** Who sent it (the index keeps it; an edit writes it back unchanged). */
  callingAe?: string;
  /** The study it belongs to (findInstance and instancesMatching give it: a WADO request is audited by its study). */
  studyInstanceUid?: string;
}

export interface PatientRow {
  patientId: string;
  patientName: string;
  birthDate: string;
  sex: string;
}

/** The name a patient goes by here, and each spelling its studies were received with (more than one: a conflict). */
export interface PatientNames {
  patientId: string;
  /** Its newest study's, or the one confirmed. */
  name: string;
  /** An admin reconciled the spellings, or the hospital's HL7 ADT gave the name: arriving studies do not change it. */
  confirmed: boolean;
  spellings: { name: string; studies: number }[];
}

/** A study's deletion as journaled: its files, still to be deleted, and their size. */
export interface StudyDeletion {
  id: number;
  locations: StoredLocation[];
  bytes: number;
}

export interface IndexCounts {
  patients: number;
  studies: number;
  series: number;
  instances: number;
}

/**
 * The database of what the archive holds, Patient / Study / Series / Instance (PS3.4 C.6.1). One interface, one
 * implementation per database engine; callers never see SQL.
 */
export interface ArchiveIndex {
  /** Insert or replace one object's rows in one transaction; returns where the replaced object was, if any. */
  storeInstance(record: InstanceRecord): Promise<{ replaced?: ReplacedInstance }>;
  /**
   * Take back a row just written whose file could not be put in place: a new object's row goes (with its series, study
   * and patient if left empty); a replaced one's row names its former file again. False if the row changed meanwhile.
   */
  undoStore(
    sopInstanceUid: string,
    written: { location: StoredLocation; transferSyntaxUid: string },
    replaced?: ReplacedInstance,
  ): Promise<boolean>;
  /** The rows written last (by row id, newest first): after a crash, those whose file did not survive are found here. */
  newestInstances(
    limit: number,
  ): Promise<{ sopInstanceUid: string; location: StoredLocation; transferSyntaxUid: string }[]>;
  findInstance(sopInstanceUid: string): Promise<StoredInstance | undefined>;
  /**
   * An object's file re-encoded (background-recode.ts): its row takes the new file, syntax and size, only if it still
   * names the old file in the old syntax (not replaced or deleted meanwhile). Returns whether it did.
   */
  recodedInstance(
    sopInstanceUid: string,
    from: { location: StoredLocation; transferSyntaxUid: string },
    to: { location: StoredLocation; transferSyntaxUid: string; size: number; checksum?: number },
  ): Promise<boolean>;
  findPatient(patientId: string): Promise<PatientRow | undefined>;
  counts(): Promise<IndexCounts>;
  /** The size of every stored object together (a full scan: callers cache it). */
  storedBytes(): Promise<number>;
  /** The database's own size in bytes (monitoring). */
  sizeBytes(): Promise<number>;
  /** Remove every patient, study, series and instance row (before a regen); worklist and jobs stay. */
  clearArchive(): Promise<void>;
  /**
   * C-FIND: one row per matching entity at `level`, with the `returns` attributes by keyword. With `limit`, at most
   * that many rows, the most recently added first (the UI's searches; C-FIND answers everything).
   */
  /** Matching rows of a level in chunks, read as they are asked for (C-FIND answers: never the whole result at once). */
  streamArchive(level: LevelNumber, returns: QrAttribute[], conditions: Condition[]): AsyncIterable<Row[]>;
  /** Matching rows of a level; with `limit`, the newest first, skipping `offset` of them. */
  queryArchive(
    level: LevelNumber,
    returns: QrAttribute[],
    conditions: Condition[],
    limit?: number,
    offset?: number,
  ): Promise<Row[]>;
  /**
   * Deletion that a crash cannot leave half done (sql-deletions.ts): the study's rows go and a journal entry with its
   * files is written, in one transaction. 'protected' (nothing done) for a protected study unless `force`.
   */
  beginStudyDeletion(
    studyUid: string,
    reason: string,
    force?: boolean,
  ): Promise<StudyDeletion | 'protected' | undefined>;
  /** The journaled deletion's files are gone; or only `left` remain (held by another program) and it stays pending with those. */
  finishDeletion(id: number, left?: StoredLocation[]): Promise<void>;
  /** Deletions whose files may still be on disk (a crash came between the rows and the files). */
  pendingDeletions(): Promise<{ id: number; locations: StoredLocation[] }[]>;
  listDeletions(limit?: number): Promise<DeletionRecord[]>;
  /** When studies were viewed or stored ([Study Instance UID, ISO time]): clean-up deletes the least recently used patients first. */
  touchStudies(uses: [string, string][]): Promise<void>;
  /** The studies under the matching entities (a retrieve's conditions), used now. */
  touchMatching(conditions: Condition[], at: string): Promise<void>;
  /** A protected study is never deleted by clean-up (nor by the user until unprotected); false for an unknown study. */
  setStudyProtected(studyUid: string, on: boolean): Promise<boolean>;
  protectedStudies(): Promise<string[]>;
  /** What clean-up of a storage folder deletes next: the least recently used patient's unprotected studies there. */
  leastRecentlyUsed(device: number): Promise<{ patientId: string; studyUids: string[] } | undefined>;
  /** Up to `max` patients with studies on `device`, the least recently used first (Lua's listoldestpatients). */
  oldestPatients(device: number, max: number): Promise<string[]>;
  /**
   * After objects moved between patients, studies and series (an edit): the named studies (where objects were and went)
   * are counted again, and the series, studies and patients left without objects go.
   */
  pruneEmpty(studyUids: string[]): Promise<void>;
  /** A corrected patient ID: objects that arrive later under the old one are edited to the new one. */
  addPatientAlias(oldId: string, newId: string): Promise<void>;
  patientAliases(): Promise<Map<string, string>>;
  /** The nodes a study was sent or forwarded to (finished jobs), so a correction can follow. */
  studyDestinations(studyUid: string): Promise<string[]>;
  /** The patient ID of each study named that is in the index (an audit record's patient, read before the study may go). */
  patientsOfStudies(studyUids: string[]): Promise<Map<string, string>>;
  /** C-MOVE / C-GET: the stored objects under the matching entities, in series and instance order. */
  instancesMatching(conditions: Condition[]): Promise<StoredInstance[]>;
  /** Modality Worklist C-FIND over the scheduled procedure steps. */
  queryWorklist(returns: KeyAttribute[], conditions: Condition[]): Promise<Row[]>;
  addWorklistEntry(entry: Partial<WorklistEntry>): Promise<StoredWorklistEntry>;
  /** Replace the given fields of an entry; undefined when there is no entry with that id. */
  updateWorklistEntry(id: number, changes: Partial<WorklistEntry>): Promise<StoredWorklistEntry | undefined>;
  deleteWorklistEntry(id: number): Promise<boolean>;
  listWorklist(): Promise<StoredWorklistEntry[]>;
  /** The worklist entries of an order (HL7 ORC-2, the placer order number). */
  worklistByOrder(placerOrder: string): Promise<StoredWorklistEntry[]>;
  /** Per patient ID asked for (those the archive holds): its name and its studies' spellings of it. */
  patientNames(patientIds: string[]): Promise<PatientNames[]>;
  /** The name the patient goes by from now on, whatever studies arrive; false when the patient is unknown. */
  confirmPatientName(patientId: string, patientName: string): Promise<boolean>;
  /** A patient's name, birth date and sex changed (HL7 ADT^A08/A31), in its row and its worklist entries; false when unknown. */
  updatePatient(patient: PatientRow): Promise<boolean>;
  /** HL7 ADT^A40: the prior patient's studies and worklist entries go to the survivor; recorded; how many studies moved. */
  mergePatients(priorPatientId: string, survivor: PatientRow, source: string): Promise<number>;
  /** The AE titles the objects of each study came from (their C-STORE's calling AE), by Study Instance UID. */
  studySenders(studyUids: string[]): Promise<Map<string, string[]>>;
  /** The transfer jobs, kept in the same database. */
  jobStore(): JobStore;
  /** Modality Performed Procedure Steps, linked to their worklist entries. */
  mppsStore(): MppsStore;
  /** Users and their roles. */
  accountStore(): AccountStore;
  /** The keys other systems sign their requests with. */
  apiKeyStore(): ApiKeyStore;
  /** Converters' newuids/olduids pairs. */
  uidMapStore(): UidMapStore;
  /** VerifyStorage's rows: objects with their checksums, and the problems found. */
  storageCheckStore(): StorageCheckStore;
  /** A script's read-only statement (`sql()`, script-sql.ts): each row's values as text, at most SCRIPT_SQL_ROWS rows. */
  scriptRows(statement: string): Promise<(string | null)[][]>;
  /** Who did what to which patient's data. */
  auditStore(): AuditStore;
  /** What dicom.sql asks the index to keep beyond its own columns (BUILT_IN_SCHEMA until applySchema). */
  readonly schema: IndexSchema;
  /**
   * Bring the tables to dicom.sql (index-columns.ts): at start, before any object is stored. `confirmedDrops`:
   * DropIndexColumns, the removed columns whose values may go.
   */
  applySchema(schema: IndexSchema, confirmedDrops: readonly string[]): Promise<void>;
  /** The added columns' fill from the objects stored before them. */
  indexColumns(): SqlIndexColumns;
  close(): Promise<void>;
}
