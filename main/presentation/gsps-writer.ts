import { GSPS_SOP_CLASS, TransferSyntax, encodingOf, newUid } from '../../common/uids.ts';
import { encodeDataSet, textElement, uint16Element, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import type { InstanceHeader } from '../dicom/instance-header.ts';
import { encodeFileMeta } from '../store/part10.ts';
import type { Annotation } from './annotation.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * A Grayscale Softcopy Presentation State (PS3.3 A.33.1) carrying the viewer's measurements: one graphic annotation
 * item per annotated image (or frame), each measurement a graphic group (its kind as the group's label, so it is read
 * back as the same tool) of graphic objects in PIXEL units and a text object with its value. Other workstations show
 * the lines, ellipses and texts; we read the groups back into tools. Text is written in UTF-8 (ISO_IR 192).
 */

export interface ReferencedImage {
  header: InstanceHeader;
  /** Frames in the object (1 for a single-frame image). */
  frames: number;
}

const LAYER = 'MEASUREMENTS';

const el = (tag: number, vr: string, value: string): DicomElement => textElement(tag, vr, Buffer.from(value, 'utf8'));
const seq = (tag: number, items: DataSet[]): DicomElement => ({ tag, vr: 'SQ', value: items });
const ds = (...elements: (DicomElement | undefined)[]): DataSet =>
  new Map(elements.filter((e): e is DicomElement => !!e).map((e) => [e.tag, e]));

function floats(tag: number, values: number[]): DicomElement {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => {
    b.writeFloatLE(v, i * 4);
  });
  return { tag, vr: 'FL', value: b };
}

function ints(tag: number, vr: 'SL' | 'US', values: number[]): DicomElement {
  const size = vr === 'SL' ? 4 : 2;
  const b = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (vr === 'SL') b.writeInt32LE(Math.round(v), i * 4);
    else b.writeUInt16LE(v, i * 2);
  });
  return { tag, vr, value: b };
}

/** Graphic Group ID (0070,0295) is UL. */
function groupId(group: number): DicomElement {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(group);
  return { tag: Tag.GraphicGroupID, vr: 'UL', value: b };
}

function graphic(
  type: 'POLYLINE' | 'POINT' | 'ELLIPSE',
  points: [number, number][],
  group: number,
  filled?: boolean,
): DataSet {
  return ds(
    el(Tag.GraphicAnnotationUnits, 'CS', 'PIXEL'), // Graphic Annotation Units
    uint16Element(Tag.GraphicDimensions, 2), // Graphic Dimensions
    uint16Element(Tag.NumberOfGraphicPoints, points.length), // Number of Graphic Points
    floats(Tag.GraphicData, points.flat()), // Graphic Data
    el(Tag.GraphicType, 'CS', type),
    filled === undefined ? undefined : el(Tag.GraphicFilled, 'CS', filled ? 'Y' : 'N'), // Graphic Filled (closed graphics)
    groupId(group), // Graphic Group ID
  );
}

function text(value: string, anchor: [number, number], visible: boolean, group: number): DataSet {
  return ds(
    el(Tag.AnchorPointAnnotationUnits, 'CS', 'PIXEL'), // Anchor Point Annotation Units
    el(Tag.UnformattedTextValue, 'ST', value.slice(0, 1024)), // Unformatted Text Value
    floats(Tag.AnchorPoint, anchor), // Anchor Point
    el(Tag.AnchorPointVisibility, 'CS', visible ? 'Y' : 'N'), // Anchor Point Visibility
    groupId(group),
  );
}

/** The graphic objects of one measurement (PS3.3 C.10.5.1.2's graphic types). */
export function graphicsOf(a: Annotation, group: number): DataSet[] {
  const p = a.points;
  switch (a.kind) {
    case 'Length':
      return [graphic('POLYLINE', [p[0]!, p[1]!], group)];
    case 'Angle':
      return [graphic('POLYLINE', [p[0]!, p[1]!, p[2]!], group)];
    case 'CobbAngle':
      return [graphic('POLYLINE', [p[0]!, p[1]!], group), graphic('POLYLINE', [p[2]!, p[3]!], group)];
    case 'RectangleRoi': {
      const [[x0, y0], [x1, y1]] = [p[0]!, p[1]!];
      return [
        graphic(
          'POLYLINE',
          [
            [x0, y0],
            [x1, y0],
            [x1, y1],
            [x0, y1],
            [x0, y0],
          ],
          group,
          false,
        ),
      ];
    }
    case 'EllipticalRoi': {
      // ELLIPSE: the major axis' two end points, then the minor axis' (PS3.3 C.10.5.1.2).
      const [[x0, y0], [x1, y1]] = [p[0]!, p[1]!];
      const [cx, cy, rx, ry] = [(x0 + x1) / 2, (y0 + y1) / 2, Math.abs(x1 - x0) / 2, Math.abs(y1 - y0) / 2];
      const horizontal: [number, number][] = [
        [cx - rx, cy],
        [cx + rx, cy],
      ];
      const vertical: [number, number][] = [
        [cx, cy - ry],
        [cx, cy + ry],
      ];
      return [graphic('ELLIPSE', rx >= ry ? [...horizontal, ...vertical] : [...vertical, ...horizontal], group, false)];
    }
    case 'Probe':
      return [graphic('POINT', [p[0]!], group)];
    case 'ArrowAnnotate':
      return [graphic('POLYLINE', [p[1]!, p[0]!], group)];
  }
}

export interface GspsRequest {
  annotations: Annotation[];
  /** Each annotated object, by SOP Instance UID. */
  images: Map<string, ReferencedImage>;
  creator: string;
  label: string;
  description: string;
  instanceNumber: number;
  now?: Date;
}

/** The presentation state as a Part-10 file (explicit VR little endian), and its SOP Instance UID. */
export function buildGsps(r: GspsRequest): { bytes: Buffer; sopInstanceUid: string; seriesInstanceUid: string } {
  const first = r.images.values().next().value;
  if (!first) throw new Error('a presentation state needs at least one referenced image');
  const h = first.header;
  const now = r.now ?? new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');
  const sopInstanceUid = newUid();
  const seriesInstanceUid = newUid();

  // Presentation State Relationship: every referenced image, by series.
  const bySeries = new Map<string, ReferencedImage[]>();
  for (const img of r.images.values())
    bySeries.set(img.header.seriesInstanceUid, [...(bySeries.get(img.header.seriesInstanceUid) ?? []), img]);
  // Referenced Frame Number: the frame an annotation is on, in a multi-frame object (none: all frames).
  const imageRef = (img: ReferencedImage, frame?: number) =>
    ds(
      el(Tag.ReferencedSOPClassUID, 'UI', img.header.sopClassUid),
      el(Tag.ReferencedSOPInstanceUID, 'UI', img.header.sopInstanceUid),
      frame && img.frames > 1 ? el(Tag.ReferencedFrameNumber, 'IS', String(frame)) : undefined,
    );
  const referencedSeries = [...bySeries].map(([uid, imgs]) =>
    ds(
      seq(
        Tag.ReferencedImageSequence,
        imgs.map((img) => imageRef(img)),
      ),
      el(Tag.SeriesInstanceUID, 'UI', uid),
    ),
  );

  // One graphic annotation item per annotated image or frame; each annotation a graphic group.
  const perImage = new Map<string, Annotation[]>();
  for (const a of r.annotations) {
    const key = `${a.sopInstanceUid}|${a.frame ?? ''}`;
    perImage.set(key, [...(perImage.get(key) ?? []), a]);
  }
  let group = 0;
  const groups: DataSet[] = [];
  const annotationItems = [...perImage.values()].map((list) => {
    const img = r.images.get(list[0]!.sopInstanceUid)!;
    const graphics: DataSet[] = [];
    const texts: DataSet[] = [];
    for (const a of list) {
      group++;
      groups.push(ds(groupId(group), el(Tag.GraphicGroupLabel, 'LO', a.kind)));
      graphics.push(...graphicsOf(a, group));
      const anchor = a.kind === 'ArrowAnnotate' ? a.points[0]! : a.points[a.points.length - 1]!;
      if (a.text) texts.push(text(a.text, anchor, a.kind === 'ArrowAnnotate', group));
    }
    return ds(
      seq(Tag.ReferencedImageSequence, [imageRef(img, list[0]!.frame)]),
      el(Tag.GraphicLayer, 'CS', LAYER),
      texts.length ? seq(Tag.TextObjectSequence, texts) : undefined,
      graphics.length ? seq(Tag.GraphicObjectSequence, graphics) : undefined,
    );
  });

  const charset = [
    h.patientName,
    h.studyDescription,
    r.description,
    r.creator,
    ...r.annotations.map((a) => a.text),
  ].some((t) => /[^\x20-\x7e]/.test(t));
  const displayedAreas = [...r.images.values()].map((img) =>
    ds(
      seq(Tag.ReferencedImageSequence, [imageRef(img)]),
      ints(Tag.DisplayedAreaTopLeftHandCorner, 'SL', [1, 1]), // Displayed Area Top Left Hand Corner
      ints(Tag.DisplayedAreaBottomRightHandCorner, 'SL', [img.header.columns ?? 1, img.header.rows ?? 1]), // Bottom Right Hand Corner
      el(Tag.PresentationSizeMode, 'CS', 'SCALE TO FIT'), // Presentation Size Mode
      el(Tag.PresentationPixelAspectRatio, 'IS', '1\\1'), // Presentation Pixel Aspect Ratio
    ),
  );
  const dataSet = ds(
    charset ? el(Tag.SpecificCharacterSet, 'CS', 'ISO_IR 192') : undefined,
    el(Tag.SOPClassUID, 'UI', GSPS_SOP_CLASS),
    el(Tag.SOPInstanceUID, 'UI', sopInstanceUid),
    el(Tag.StudyDate, 'DA', h.studyDate),
    el(Tag.StudyTime, 'TM', h.studyTime),
    el(Tag.AccessionNumber, 'SH', h.accessionNumber),
    el(Tag.Modality, 'CS', 'PR'),
    el(Tag.Manufacturer, 'LO', 'PACS Workstation'),
    el(Tag.ReferringPhysicianName, 'PN', h.referringPhysicianName),
    el(Tag.StudyDescription, 'LO', h.studyDescription),
    seq(Tag.ReferencedSeriesSequence, referencedSeries), // Referenced Series Sequence
    el(Tag.PatientName, 'PN', h.patientName),
    el(Tag.PatientID, 'LO', h.patientId),
    el(Tag.PatientBirthDate, 'DA', h.patientBirthDate),
    el(Tag.PatientSex, 'CS', h.patientSex),
    el(Tag.StudyInstanceUID, 'UI', h.studyInstanceUid),
    el(Tag.SeriesInstanceUID, 'UI', seriesInstanceUid),
    el(Tag.StudyID, 'SH', h.studyId),
    el(Tag.SeriesNumber, 'IS', '9001'),
    el(Tag.InstanceNumber, 'IS', String(r.instanceNumber)),
    annotationItems.length ? seq(Tag.GraphicAnnotationSequence, annotationItems) : undefined, // Graphic Annotation Sequence
    annotationItems.length
      ? seq(Tag.GraphicLayerSequence, [
          ds(
            el(Tag.GraphicLayer, 'CS', LAYER),
            el(Tag.GraphicLayerOrder, 'IS', '1'),
            el(Tag.GraphicLayerDescription, 'LO', 'Measurements and annotations'),
          ),
        ])
      : undefined, // Graphic Layer Sequence
    el(Tag.ContentLabel, 'CS', r.label), // Content Label
    el(Tag.ContentDescription, 'LO', r.description), // Content Description
    el(Tag.PresentationCreationDate, 'DA', date), // Presentation Creation Date
    el(Tag.PresentationCreationTime, 'TM', time), // Presentation Creation Time
    el(Tag.ContentCreatorName, 'PN', r.creator), // Content Creator's Name
    seq(Tag.DisplayedAreaSelectionSequence, displayedAreas), // Displayed Area Selection Sequence
    groups.length ? seq(Tag.GraphicGroupSequence, groups) : undefined, // Graphic Group Sequence
    el(Tag.PresentationLUTShape, 'CS', 'IDENTITY'), // Presentation LUT Shape
  );
  const body = encodeDataSet(dataSet, encodingOf(TransferSyntax.ExplicitLittleEndian));
  return {
    bytes: Buffer.concat([
      encodeFileMeta({
        sopClassUid: GSPS_SOP_CLASS,
        sopInstanceUid,
        transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      }),
      body,
    ]),
    sopInstanceUid,
    seriesInstanceUid,
  };
}
