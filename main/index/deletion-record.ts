/** A deleted study as the Monitor lists it. */
export interface DeletionRecord {
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
