import type { InstanceHeader } from '../dicom/instance-header.ts';
import type { StoredLocation } from '../store/file-store.ts';

/** One stored object as the index records it. */
export interface InstanceRecord {
  header: InstanceHeader;
  transferSyntaxUid: string;
  location: StoredLocation;
  size: number;
  callingAe: string;
}

export interface StoredInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  location: StoredLocation;
  size: number;
}

export interface PatientRow {
  patientId: string;
  patientName: string;
  birthDate: string;
  sex: string;
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
  storeInstance(record: InstanceRecord): Promise<{ replaced?: StoredLocation }>;
  findInstance(sopInstanceUid: string): Promise<StoredInstance | undefined>;
  findPatient(patientId: string): Promise<PatientRow | undefined>;
  counts(): Promise<IndexCounts>;
  close(): Promise<void>;
}
