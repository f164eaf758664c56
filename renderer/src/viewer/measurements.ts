import type { AnnotationDto } from '../../../main/api/contract.ts';

/**
 * Measurements between cornerstone-tools' tool state (by image id, by tool) and the archive's annotations (by SOP
 * Instance UID and frame, kept as a presentation state): which handles each tool has, and the text shown with it.
 */

type Point = { x: number; y: number };
export interface ToolData {
  handles: Record<string, Point & Record<string, unknown>>;
  text?: string;
  length?: number;
  rAngle?: number;
  unit?: string;
  cachedStats?: {
    area?: number;
    mean?: number;
    stdDev?: number;
    min?: number;
    max?: number;
    x?: number;
    y?: number;
    sp?: number;
    mo?: number;
  };
  [key: string]: unknown;
}
export type ToolState = Record<string, Record<string, { data: ToolData[] }>>;

const HANDLES: Record<AnnotationDto['kind'], string[]> = {
  Length: ['start', 'end'],
  Angle: ['start', 'middle', 'end'],
  CobbAngle: ['start', 'end', 'start2', 'end2'],
  EllipticalRoi: ['start', 'end'],
  RectangleRoi: ['start', 'end'],
  Probe: ['end'],
  ArrowAnnotate: ['start', 'end'],
};

/** The object and frame (from 1, for multi-frame objects) an image id shows. */
export function imageOf(imageId: string): { sopInstanceUid: string; frame?: number } | undefined {
  const uid = /[?&]objectUID=([0-9.]+)/.exec(imageId)?.[1];
  if (!uid) return undefined;
  const frame = /[?&]frame=(\d+)/.exec(imageId)?.[1];
  return { sopInstanceUid: uid, frame: frame === undefined ? undefined : Number(frame) + 1 };
}

const round = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '' : n.toFixed(digits));

/** What is written beside the measurement (as the tool shows it), so other workstations show it too. */
export function textOf(kind: AnnotationDto['kind'], d: ToolData, hasSpacing: boolean): string {
  const s = d.cachedStats ?? {};
  const unit = d.unit ? ` ${d.unit}` : '';
  switch (kind) {
    case 'Length':
      return `${round(d.length)} ${hasSpacing ? 'mm' : 'px'}`;
    case 'Angle':
    case 'CobbAngle':
      return `${round(d.rAngle)}°`;
    case 'EllipticalRoi':
    case 'RectangleRoi':
      return `Mean ${round(s.mean)}${unit} SD ${round(s.stdDev)} Min ${round(s.min, 0)} Max ${round(s.max, 0)} Area ${round(s.area)} ${hasSpacing ? 'mm²' : 'px²'}`;
    case 'Probe':
      return `[${Math.round(s.x ?? 0)}, ${Math.round(s.y ?? 0)}] ${round(s.mo ?? s.sp)}${unit}`;
    case 'ArrowAnnotate':
      return d.text ?? '';
  }
}

export function toAnnotations(state: ToolState, hasSpacing: (imageId: string) => boolean): AnnotationDto[] {
  const out: AnnotationDto[] = [];
  for (const [imageId, tools] of Object.entries(state)) {
    const image = imageOf(imageId);
    if (!image) continue;
    for (const [tool, { data }] of Object.entries(tools)) {
      const kind = tool as AnnotationDto['kind'];
      const names = HANDLES[kind];
      if (!names) continue;
      for (const d of data) {
        if (names.some((n) => !d.handles?.[n])) continue;
        out.push({
          ...image,
          kind,
          points: names.map((n) => [d.handles[n]!.x, d.handles[n]!.y] as [number, number]),
          text: textOf(kind, d, hasSpacing(imageId)),
        });
      }
    }
  }
  return out;
}

const handle = (p: [number, number]) => ({ x: p[0], y: p[1], highlight: true, active: false });
const TEXT_BOX = {
  active: false,
  hasMoved: false,
  movesIndependently: false,
  drawnIndependently: true,
  allowedOutsideImage: true,
  hasBoundingBox: true,
};

/** The tool data that draws an annotation again (its statistics are computed anew: `invalidated`). */
export function toToolData(a: AnnotationDto): ToolData {
  const handles: ToolData['handles'] = {};
  HANDLES[a.kind].forEach((name, i) => {
    handles[name] = handle(a.points[i]!);
  });
  if (a.kind !== 'Probe') handles.textBox = { ...TEXT_BOX, x: a.points[0]![0], y: a.points[0]![1] };
  return {
    visible: true,
    active: false,
    invalidated: true,
    handles,
    ...(a.kind === 'ArrowAnnotate' ? { text: a.text } : {}),
  };
}
