/** One Modality Performed Procedure Step as the index keeps it: what the UI shows, and the whole data set. */
export interface PerformedSeries {
  seriesUid: string;
  description: string;
  images: number;
}

export interface MppsRecord {
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
  series: PerformedSeries[];
  /** The step's data set, Explicit VR Little Endian, base64. */
  dataSet: string;
  /** The worklist entry it was linked to, if any. */
  worklistId?: number;
  createdAt: string;
  updatedAt: string;
}

export interface MppsStore {
  /** False when a step with that SOP Instance UID exists. Links the step to its worklist entry, if one matches. */
  create(record: MppsRecord): Promise<boolean>;
  get(sopInstanceUid: string): Promise<MppsRecord | undefined>;
  /** Replace a step's values (after an N-SET); its worklist entry's state follows. */
  update(record: MppsRecord): Promise<void>;
  list(limit?: number): Promise<MppsRecord[]>;
}
