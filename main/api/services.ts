import type { UploadSpace } from './upload-space.ts';
import type { ActivitySnapshot } from '../runtime/activity.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { ArchiveEvents } from '../runtime/events.ts';
import type { ImportTarget } from '../archive/importer.ts';
import type { ArchiveIndex, IndexCounts } from '../index/archive-index.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { StoredLocation } from '../store/file-store.ts';
import type { Transfers } from '../archive/transfers.ts';
import type { DicomTranscoder } from '../codec/transcoder.ts';
import type { StudyEditor } from '../edit/study-editor.ts';
import type { AccountService } from './account-routes.ts';
import type { LinkService } from './link-routes.ts';
import type { AuditEntry } from '../audit/audit-record.ts';

/**
 * What each group of API routes needs from the core, and nothing more (the routes never see the server). The features
 * (main/features) build these from the core's parts; a test may build them from others.
 */

/** The monitor's facts. */
export interface StatusService {
  aeTitle(): string;
  /** The upstreams this archive answers for too (VirtualServerFor0..9). */
  virtualServers(): string[];
  dicomPort(): number;
  openAssociations(): number;
  counts(): Promise<IndexCounts>;
  /** Bytes the archive's objects take (recomputed at most every minute). */
  storedBytes(): Promise<number>;
  /** The storage folders and their mirrors, and whether each is there. */
  devices(): { path: string; device: number; mirror: boolean; present: boolean }[];
  /** Copies the mirrored folders still owe each other. */
  copiesOwed(): number;
  activity(): ActivitySnapshot;
  https(): { fingerprint: string; selfSigned: boolean } | undefined;
}

/** The local archive: searches, objects and their files, deleting, importing. */
export interface ArchiveService {
  index: Pick<
    ArchiveIndex,
    'findInstance' | 'queryArchive' | 'schema' | 'setStudyProtected' | 'protectedStudies' | 'listDeletions'
  >;
  objectFile(location: StoredLocation): string;
  /** Undefined for an unknown study; 'protected' when it is protected (it must be unprotected first). */
  deleteStudy(studyUid: string): Promise<{ objects: number; filesNotDeleted: number } | 'protected' | undefined>;
  /** A study viewed (WADO): clean-up counts it as used now. */
  used(studyUid: string): void;
  importTarget(): ImportTarget;
  /** Where uploads wait while they are imported. */
  uploadDir(): string;
  /** Conversions and pictures for WADO (codec/transcoder.ts). */
  transcoder: Pick<DicomTranscoder, 'canTranscode' | 'transcode' | 'render'>;
}

/** acrnema.map and talking to its nodes. */
export interface NodeService {
  config(): Pick<LoadedConfig, 'configDir' | 'nodes' | 'webNodes' | 'forwardRules' | 'settings' | 'nodeRights'>;
  /** noderights.map was written: read it again (and resolve the hosts it checks). */
  reloadAccess(): Promise<void>;
  transfers: Pick<Transfers, 'echo' | 'node' | 'webNode' | 'client'>;
}

/** Sends, retrieves and the job queue. */
export interface JobService {
  transfers: Pick<Transfers, 'send' | 'retrieve'>;
  queue: Pick<JobQueue, 'list' | 'cancel' | 'retry'>;
}

/** dicom.ini: read, check and save, apply, restart the listener. */
export interface SettingsService {
  config(): Pick<LoadedConfig, 'configDir' | 'dataDir' | 'nodes' | 'settings' | 'skippedConverters'>;
  applySettings(): Promise<void>;
  restartListener(): Promise<number>;
  /** Stop the program (set by `serve`; absent when the core runs inside another program). */
  shutdown?: () => Promise<void>;
}

/** Corrections of stored objects, each queued as an edit job; where a study was sent, so the correction can follow. */
export interface EditService {
  editor: Pick<
    StudyEditor,
    'editPatient' | 'editStudy' | 'mergePatients' | 'mergeStudies' | 'moveSeries' | 'reconcilePatientName'
  >;
  /** The names patients go by and their studies' spellings (conflicts shown on the Studies screen). */
  patientNames: ArchiveIndex['patientNames'];
  destinations(studyUid: string): Promise<string[]>;
}

export type WorklistService = Pick<
  ArchiveIndex,
  'listWorklist' | 'addWorklistEntry' | 'updateWorklistEntry' | 'deleteWorklistEntry' | 'mppsStore' | 'queryArchive'
>;

/**
 * What the HTTP layer itself needs besides the routes the features contribute: who may call (the install secret,
 * accounts, keys, link tokens and local sessions), the audit trail, the event stream, uploads, the names it answers to
 * and DICOMweb's allowed origins.
 */
export interface ApiFrame {
  events: ArchiveEvents;
  accounts: Pick<AccountService, 'accounts' | 'keys'>;
  links: Pick<LinkService, 'links' | 'local' | 'secret'>;
  audit(entry: AuditEntry): void;
  /** Uploads (import, STOW-RS) counted against MaxUploadMB and the space kept for modalities. */
  uploads: UploadSpace;
  /** APIHostNames: names the API answers to besides IP addresses, localhost and this computer's name. */
  hostNames(): string[];
  /** Web origins whose pages may call DICOMweb (CORS); '*' for any. */
  corsOrigins(): string[];
}
