/**
 * A measurement or annotation on one image (or frame), as the viewer draws it and a Grayscale Softcopy Presentation
 * State keeps it. Points are image pixel coordinates (PS3.3 C.10.5.1.2 PIXEL units: 0\0 is the top left hand corner of
 * the top left pixel). `text` is what is shown with it (the length, the angle, the ROI's statistics, the label).
 */
export const ANNOTATION_KINDS = [
  'Length',
  'Angle',
  'CobbAngle',
  'EllipticalRoi',
  'RectangleRoi',
  'Probe',
  'ArrowAnnotate',
] as const;
export type AnnotationKind = (typeof ANNOTATION_KINDS)[number];

export interface Annotation {
  sopInstanceUid: string;
  /** Frame number counting from 1, for a multi-frame object. */
  frame?: number;
  kind: AnnotationKind;
  /**
   * Length: start, end. Angle: start, vertex, end. CobbAngle: two lines' ends (4 points). EllipticalRoi and
   * RectangleRoi: two opposite corners of the bounding box. Probe: the point. ArrowAnnotate: the tip, then the text end.
   */
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

export const POINTS_OF: Record<AnnotationKind, number> = {
  Length: 2,
  Angle: 3,
  CobbAngle: 4,
  EllipticalRoi: 2,
  RectangleRoi: 2,
  Probe: 1,
  ArrowAnnotate: 2,
};
