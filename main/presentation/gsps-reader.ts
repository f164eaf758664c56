import { itemsOf, textOf, type DataSet } from '../dicom/dataset.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { ANNOTATION_KINDS, type Annotation, type AnnotationKind } from './annotation.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * The measurements of a Grayscale Softcopy Presentation State, as the viewer draws them: ours come back as the tools
 * they were made with (the graphic group's label names the kind); another workstation's PIXEL-unit graphics are read
 * as the nearest tool (a two-point polyline a length, three points an angle, an ellipse an elliptical ROI, a closed
 * four-corner polyline a rectangle, a point a probe, text with a visible anchor an arrow). DISPLAY-unit graphics
 * (relative to the screen, not the image) are left out.
 */

function floatsOf(ds: DataSet, tag: number): number[] {
  const v = ds.get(tag)?.value;
  if (!Buffer.isBuffer(v)) return [];
  return Array.from({ length: Math.floor(v.length / 4) }, (_, i) => v.readFloatLE(i * 4));
}

/** Graphic Group ID (0070,0295): UL (some writers use US). */
function groupOf(ds: DataSet): number | undefined {
  const v = ds.get(Tag.GraphicGroupID)?.value;
  if (!Buffer.isBuffer(v)) return undefined;
  return v.length >= 4 ? v.readUInt32LE(0) : v.length >= 2 ? v.readUInt16LE(0) : undefined;
}

const pairs = (values: number[]): [number, number][] =>
  Array.from({ length: Math.floor(values.length / 2) }, (_, i) => [values[2 * i]!, values[2 * i + 1]!]);

interface Graphic {
  type: string;
  points: [number, number][];
  group?: number;
}

function kindOf(graphics: Graphic[], anchored: boolean): AnnotationKind | undefined {
  if (graphics.length === 2 && graphics.every((g) => g.type === 'POLYLINE' && g.points.length === 2))
    return 'CobbAngle';
  const g = graphics[0];
  if (!g) return undefined;
  if (g.type === 'ELLIPSE') return 'EllipticalRoi';
  if (g.type === 'POINT') return 'Probe';
  if (g.type === 'POLYLINE' && g.points.length === 5) return 'RectangleRoi';
  if (g.type === 'POLYLINE' && g.points.length === 3) return 'Angle';
  if (g.type === 'POLYLINE' && g.points.length === 2) return anchored ? 'ArrowAnnotate' : 'Length';
  return undefined;
}

/** The viewer's points of one measurement from its graphics (the inverse of gsps-writer's graphicsOf). */
function pointsOf(kind: AnnotationKind, graphics: Graphic[]): [number, number][] | undefined {
  const p = graphics.flatMap((g) => g.points);
  switch (kind) {
    case 'RectangleRoi':
      return p.length >= 3 ? [p[0]!, p[2]!] : undefined;
    case 'EllipticalRoi': {
      if (p.length < 4) return undefined;
      const xs = p.map(([x]) => x);
      const ys = p.map(([, y]) => y);
      return [
        [Math.min(...xs), Math.min(...ys)],
        [Math.max(...xs), Math.max(...ys)],
      ];
    }
    case 'ArrowAnnotate':
      return p.length >= 2 ? [p[1]!, p[0]!] : undefined;
    default:
      return p;
  }
}

export function readGsps(ds: DataSet): Annotation[] {
  const charset = new CharacterSet(textOf(ds.get(Tag.SpecificCharacterSet)));
  const labels = new Map(
    itemsOf(ds, Tag.GraphicGroupSequence).map((g) => [groupOf(g), textOf(g.get(Tag.GraphicGroupLabel))]),
  );
  const out: Annotation[] = [];
  for (const item of itemsOf(ds, Tag.GraphicAnnotationSequence)) {
    for (const ref of itemsOf(item, Tag.ReferencedImageSequence)) {
      const sopInstanceUid = textOf(ref.get(Tag.ReferencedSOPInstanceUID));
      const frame = Number(textOf(ref.get(Tag.ReferencedFrameNumber)).split('\\')[0]) || undefined;
      const graphics: Graphic[] = itemsOf(item, Tag.GraphicObjectSequence)
        .filter((g) => textOf(g.get(Tag.GraphicAnnotationUnits)) === 'PIXEL')
        .map((g) => ({
          type: textOf(g.get(Tag.GraphicType)),
          points: pairs(floatsOf(g, Tag.GraphicData)),
          group: groupOf(g),
        }));
      const texts = itemsOf(item, Tag.TextObjectSequence).map((t) => ({
        text: charset
          .decode((t.get(Tag.UnformattedTextValue)?.value as Buffer) ?? Buffer.alloc(0))
          .replace(/[\0 ]+$/, ''),
        group: groupOf(t),
        anchor: pairs(floatsOf(t, Tag.AnchorPoint))[0],
        anchored: textOf(t.get(Tag.AnchorPointVisibility)) === 'Y',
        pixel: textOf(t.get(Tag.AnchorPointAnnotationUnits)) === 'PIXEL',
      }));
      // By graphic group where there are groups; else each graphic on its own.
      const keys = [...new Set([...graphics.map((g) => g.group), ...texts.map((t) => t.group)])];
      const units = keys.some((k) => k !== undefined)
        ? keys.map((k) => ({
            graphics: graphics.filter((g) => g.group === k),
            texts: texts.filter((t) => t.group === k),
            label: labels.get(k),
          }))
        : graphics.map((g) => ({ graphics: [g], texts: [], label: undefined }));
      for (const unit of units) {
        const anchored = unit.texts.some((t) => t.anchored);
        const named = ANNOTATION_KINDS.find((k) => k === unit.label);
        const kind = named ?? kindOf(unit.graphics, anchored);
        const points = kind && pointsOf(kind, unit.graphics);
        if (kind && points?.length)
          out.push({ sopInstanceUid, frame, kind, points, text: unit.texts.map((t) => t.text).join('\n') });
      }
    }
  }
  return out;
}
