import { GSPS_SOP_CLASS, encodingOf } from '../../common/uids.ts';
import { parseDataSet, textOf } from '../dicom/dataset.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import { ingestBytes, type ImportTarget } from '../archive/importer.ts';
import { findLocal } from '../archive/local-find.ts';
import { readDataSetBytes } from '../store/object-reader.ts';
import { readObjectHeader } from '../store/object-header.ts';
import type { StoredLocation } from '../store/file-store.ts';
import { ANNOTATION_KINDS, POINTS_OF, type Annotation, type PresentationStateSummary } from './annotation.ts';
import { buildGsps, type ReferencedImage } from './gsps-writer.ts';
import { readGsps } from './gsps-reader.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg } from '../../common/message.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * The viewer's measurements kept in the archive as Grayscale Softcopy Presentation States: each save is a new one (the
 * earlier stay, as a record), stored through the ingest like an object a modality sent (so it is indexed, forwarded and
 * retrieved with the study); opening a study reads the newest.
 */

export class AnnotationRefused extends Refusal {
  constructor(said: Message | string) {
    super(400, said);
  }
}

export interface PresentationDeps {
  index: Pick<ArchiveIndex, 'queryArchive' | 'findInstance'>;
  objectFile(location: StoredLocation): string;
  importTarget(): ImportTarget;
}

export class PresentationStates {
  private readonly deps: PresentationDeps;

  constructor(deps: PresentationDeps) {
    this.deps = deps;
  }

  private async statesOf(studyUid: string): Promise<{ sopInstanceUid: string; file: string }[]> {
    const rows = await findLocal(this.deps.index, {
      level: 'IMAGE',
      keys: { StudyInstanceUID: studyUid, SOPClassUID: GSPS_SOP_CLASS, SOPInstanceUID: '' },
    });
    const out = [];
    for (const r of rows) {
      const inst = await this.deps.index.findInstance(r.SOPInstanceUID!);
      if (inst) out.push({ sopInstanceUid: r.SOPInstanceUID!, file: this.deps.objectFile(inst.location) });
    }
    return out;
  }

  /** The newest presentation state of the study and its measurements (none: an empty list). */
  async latest(studyUid: string): Promise<{ state?: PresentationStateSummary; annotations: Annotation[] }> {
    let best: { state: PresentationStateSummary; annotations: Annotation[]; number: number } | undefined;
    for (const { sopInstanceUid, file } of await this.statesOf(studyUid)) {
      const { bytes, transferSyntaxUid } = await readDataSetBytes(file);
      const ds = parseDataSet(bytes, encodingOf(transferSyntaxUid));
      const d = textOf(ds.get(Tag.PresentationCreationDate));
      const t = textOf(ds.get(Tag.PresentationCreationTime)).padEnd(6, '0');
      const created = /^\d{8}$/.test(d)
        ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}Z`
        : '';
      const state = {
        sopInstanceUid,
        created,
        creator: Buffer.from((ds.get(Tag.ContentCreatorName)?.value as Buffer) ?? [])
          .toString('utf8')
          .trim(),
        label: textOf(ds.get(Tag.ContentLabel)),
      };
      const n = Number(textOf(ds.get(Tag.InstanceNumber))) || 0;
      // The newest: by creation time, then by instance number (two saves within one second).
      if (!best || created > best.state.created || (created === best.state.created && n > best.number))
        best = { state, annotations: readGsps(ds), number: n };
    }
    return best ? { state: best.state, annotations: best.annotations } : { annotations: [] };
  }

  /** Keep `annotations` (all of the study's, as the viewer has them now) as a new presentation state by `creator`. */
  async save(studyUid: string, annotations: unknown, creator: string): Promise<PresentationStateSummary> {
    const list = checked(annotations);
    const images = new Map<string, ReferencedImage>();
    for (const uid of new Set(list.map((a) => a.sopInstanceUid))) {
      const inst = await this.deps.index.findInstance(uid);
      if (!inst) throw new AnnotationRefused(msg('no object {uid} in this archive', { uid: String(uid) }));
      const { header } = await readObjectHeader(this.deps.objectFile(inst.location));
      if (header.studyInstanceUid !== studyUid)
        throw new AnnotationRefused(
          msg('object {uid} is not of study {studyUid}', { uid: String(uid), studyUid: String(studyUid) }),
        );
      images.set(uid, { header, frames: Number(header.numberOfFrames) || 1 });
    }
    if (!images.size) {
      // Nothing left to show: a state that references the first image of the study, without annotations.
      const [first] = await findLocal(this.deps.index, {
        level: 'IMAGE',
        keys: { StudyInstanceUID: studyUid, SOPInstanceUID: '', Rows: '' },
      });
      const inst =
        first && Number(first.Rows) > 0 ? await this.deps.index.findInstance(first.SOPInstanceUID!) : undefined;
      if (!inst)
        throw new AnnotationRefused(msg('study {studyUid} has no image to annotate', { studyUid: String(studyUid) }));
      const { header } = await readObjectHeader(this.deps.objectFile(inst.location));
      images.set(header.sopInstanceUid, { header, frames: Number(header.numberOfFrames) || 1 });
    }
    const number = (await this.statesOf(studyUid)).length + 1;
    const label = `MEASUREMENTS${number}`.slice(0, 16);
    const made = buildGsps({
      annotations: list,
      images,
      creator,
      label,
      description: `Measurements and annotations by ${creator}`.slice(0, 64),
      instanceNumber: number,
    });
    await ingestBytes(made.bytes, this.deps.importTarget(), 'VIEWER');
    return {
      sopInstanceUid: made.sopInstanceUid,
      created: new Date().toISOString().slice(0, 19) + 'Z',
      creator,
      label,
    };
  }
}

/** Annotations as the viewer sends them, checked: known kinds, the right number of finite points, text as text. */
function checked(value: unknown): Annotation[] {
  if (!Array.isArray(value)) throw new AnnotationRefused('annotations must be a list');
  if (value.length > 5000) throw new AnnotationRefused('at most 5000 annotations are kept in one presentation state');
  return value.map((a, i) => {
    const x = (a ?? {}) as Partial<Annotation>;
    const where = `annotation ${i + 1}`;
    if (typeof x.sopInstanceUid !== 'string' || !/^[0-9.]{1,64}$/.test(x.sopInstanceUid))
      throw new AnnotationRefused(`${where}: sopInstanceUid is a UID`);
    if (!ANNOTATION_KINDS.includes(x.kind as never))
      throw new AnnotationRefused(`${where}: kind is one of ${ANNOTATION_KINDS.join(', ')}`);
    const kind = x.kind!;
    if (
      !Array.isArray(x.points) ||
      x.points.length !== POINTS_OF[kind] ||
      !x.points.every(
        (p) =>
          Array.isArray(p) &&
          p.length === 2 &&
          p.every((n) => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) < 1e6),
      )
    ) {
      throw new AnnotationRefused(`${where}: a ${kind} has ${POINTS_OF[kind]} points of two finite numbers`);
    }
    if (x.frame !== undefined && !(Number.isInteger(x.frame) && x.frame >= 1))
      throw new AnnotationRefused(`${where}: frame counts from 1`);
    if (x.text !== undefined && typeof x.text !== 'string') throw new AnnotationRefused(`${where}: text is text`);
    return {
      sopInstanceUid: x.sopInstanceUid,
      frame: x.frame,
      kind,
      points: x.points as [number, number][],
      text: (x.text ?? '').slice(0, 1024),
    };
  });
}
