/** A series as the viewer lists it. */
export interface ViewerSeries {
  uid: string;
  number: string;
  modality: string;
  description: string;
  count: number;
  /** Frames in all its objects (a multi-frame US loop: one object, 40 frames), when known. */
  frames?: number;
}
