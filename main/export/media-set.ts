import { copyFile, mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { textElement, type DicomElement } from '../dicom/dataset.ts';
import { encodeText } from '../dicom/charset-encode.ts';
import type { InstanceHeader } from '../dicom/instance-header.ts';
import type { StoredInstance } from '../index/archive-index.ts';
import type { StoredLocation } from '../store/file-store.ts';
import { readObjectHeader } from '../store/object-header.ts';
import { readDataSetBytes } from '../store/object-reader.ts';
import type { FileMetaInfo } from '../store/file-meta.ts';
import { encodeFileMeta } from '../store/part10.ts';
import type { Transcoder } from '../codec/transcoder.ts';
import { TransferSyntax, newUid } from '../../common/uids.ts';
import { encodeDicomDir, type DirectoryRecord } from './dicomdir.ts';
import type { Anonymizer } from '../anonymize/anonymizer.ts';
import { transformObject } from '../edit/object-rewrite.ts';

import type { MediaSetSummary } from './media-set-summary.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg } from '../../common/message.ts';
import { Tag } from '../dicom/tags.ts';

export type { MediaSetSummary };

/**
 * A DICOM media set in a folder (a USB stick, a CD's contents; PS3.10, PS3.11 General Purpose CD-R interchange): the
 * objects under DICOM/Pnnnnnnn/Snnnnnnn/Ennnnnnn/Innnnnnn (file IDs of at most 8 upper-case letters and digits a level,
 * PS3.10 8.2), in Explicit VR Little Endian as the profile asks (converted where they are stored otherwise and a codec
 * can), and the DICOMDIR at the root that lists them.
 */

export class ExportError extends Refusal {
  constructor(said: Message | string) {
    super(400, said);
  }
}

export interface ExportDependencies {
  objectFile: (location: StoredLocation) => string;
  transcoder: Pick<Transcoder, 'canTranscode' | 'transcode'>;
}

const id = (letter: string, n: number) => `${letter}${String(n).padStart(7, '0')}`;

/** `anonymizer`: each object de-identified on its way to the medium (anonymize/anonymizer.ts), the DICOMDIR from the result. */
export async function writeMediaSet(
  instances: StoredInstance[],
  to: string,
  deps: ExportDependencies,
  fileSetId = 'PACSWS',
  anonymizer?: Anonymizer,
): Promise<MediaSetSummary> {
  if (!instances.length) throw new ExportError(msg('nothing to export'));
  await mkdir(to, { recursive: true });
  if ((await readdir(to)).some((n) => n.toUpperCase() === 'DICOMDIR' || n.toUpperCase() === 'DICOM')) {
    throw new ExportError(
      msg('{to} already holds a DICOM media set (DICOMDIR or DICOM): choose an empty folder', { to }),
    );
  }
  // Each entry keeps its ordinal among its siblings: the number in its file ID component.
  type SeriesEntry = { n: number; record: DirectoryRecord };
  type StudyEntry = { n: number; record: DirectoryRecord; series: Map<string, SeriesEntry> };
  const tree = new Map<string, { n: number; record: DirectoryRecord; studies: Map<string, StudyEntry> }>();
  let notConverted = 0;
  let objects = 0;
  const warnings = new Set<string>();
  for (const inst of instances) {
    const file = deps.objectFile(inst.location);
    const original = await readObjectHeader(file);
    const { meta } = original;
    // Objects are grouped by their own patient, study and series (the anonymizer maps each one to one new one).
    const grouping = original.header;
    let patient = tree.get(grouping.patientId);
    if (!patient) {
      patient = { n: tree.size + 1, record: { type: 'PATIENT', attributes: [], children: [] }, studies: new Map() };
      tree.set(grouping.patientId, patient);
    }
    let study = patient.studies.get(grouping.studyInstanceUid);
    if (!study) {
      study = {
        n: patient.studies.size + 1,
        record: { type: 'STUDY', attributes: [], children: [] },
        series: new Map(),
      };
      patient.studies.set(grouping.studyInstanceUid, study);
      patient.record.children.push(study.record);
    }
    let series = study.series.get(grouping.seriesInstanceUid);
    if (!series) {
      series = { n: study.series.size + 1, record: { type: 'SERIES', attributes: [], children: [] } };
      study.series.set(grouping.seriesInstanceUid, series);
      study.record.children.push(series.record);
    }
    const fileId = [
      'DICOM',
      id('P', patient.n),
      id('S', study.n),
      id('E', series.n),
      id('I', series.record.children.length + 1),
    ];
    const target = path.join(to, ...fileId);
    await mkdir(path.dirname(target), { recursive: true });
    const syntax = await writeObject(
      file,
      target,
      inst,
      meta,
      deps,
      anonymizer && { anonymizer, warn: (w) => warnings.add(w) },
    );
    if (syntax !== TransferSyntax.ExplicitLittleEndian) notConverted++;
    // The records say what the medium holds: the object as written (de-identified, if it was).
    const header = anonymizer ? (await readObjectHeader(target)).header : grouping;
    if (!patient.record.attributes.length) patient.record.attributes = patientKeys(header);
    if (!study.record.attributes.length) study.record.attributes = studyKeys(header);
    if (!series.record.attributes.length) series.record.attributes = seriesKeys(header);
    series.record.children.push({ type: 'IMAGE', attributes: imageKeys(header, fileId, syntax), children: [] });
    objects++;
  }
  const roots = [...tree.values()].map((p) => p.record);
  // DICOMDIR last: a media set cut short by an error has none, and is not mistaken for a whole one.
  await writeFile(
    path.join(to, 'DICOMDIR'),
    encodeDicomDir(
      roots,
      fileSetId
        .toUpperCase()
        .replace(/[^A-Z0-9_ ]/g, '_')
        .slice(0, 16),
      newUid(),
    ),
  );
  const studies = [...tree.values()].reduce((n, p) => n + p.studies.size, 0);
  const seriesCount = [...tree.values()].reduce(
    (n, p) => n + [...p.studies.values()].reduce((m, s) => m + s.series.size, 0),
    0,
  );
  return {
    folder: to,
    patients: tree.size,
    studies,
    series: seriesCount,
    objects,
    notConverted,
    warnings: [...warnings],
  };
}

/**
 * Copy the object, or write it converted to Explicit VR Little Endian, de-identified on the way when asked; the transfer
 * syntax it has on the medium.
 */
async function writeObject(
  file: string,
  target: string,
  inst: StoredInstance,
  stored: FileMetaInfo,
  deps: ExportDependencies,
  deidentify?: { anonymizer: Anonymizer; warn: (w: string) => void },
): Promise<string> {
  const explicit = TransferSyntax.ExplicitLittleEndian;
  if (deidentify) {
    // De-identified straight from the stored file when it is in the profile's syntax (transformObject writes a Part-10
    // file from a bare data set too); converted first, beside the target, when it is not. The pixels are copied, never parsed.
    const direct = stored.transferSyntaxUid === explicit;
    const source = direct ? file : `${target}.staged`;
    const syntax = direct ? explicit : await writeObject(file, source, inst, stored, deps);
    try {
      await transformObject(source, target, (ds) => {
        for (const w of deidentify.anonymizer.warnings(ds)) deidentify.warn(w);
        return deidentify.anonymizer.transform(ds);
      });
    } finally {
      if (!direct) await unlink(source).catch(() => undefined);
    }
    return syntax;
  }
  const meta = (ts: string) =>
    encodeFileMeta({ sopClassUid: inst.sopClassUid, sopInstanceUid: inst.sopInstanceUid, transferSyntaxUid: ts });
  // A Part-10 file already in the profile's syntax is copied as it is, never read into memory.
  if (stored.part10 && stored.transferSyntaxUid === explicit) {
    await copyFile(file, target);
    return explicit;
  }
  const data = await readDataSetBytes(file);
  if (data.transferSyntaxUid === explicit) {
    await writeFile(target, Buffer.concat([meta(explicit), data.bytes]));
    return explicit;
  }
  if (deps.transcoder.canTranscode(data.transferSyntaxUid, explicit)) {
    await writeFile(
      target,
      Buffer.concat([meta(explicit), await deps.transcoder.transcode(data.bytes, data.transferSyntaxUid, explicit)]),
    );
    return explicit;
  }
  await writeFile(target, Buffer.concat([meta(data.transferSyntaxUid), data.bytes]));
  return data.transferSyntaxUid;
}

/** Text elements in the object's character set when they fit, else as they are (ASCII keys need nothing). */
function texts(h: InstanceHeader, values: [number, string, string][]): DicomElement[] {
  const charset = h.specificCharacterSet || 'ISO_IR 6';
  const out: DicomElement[] = h.specificCharacterSet
    ? [textElement(Tag.SpecificCharacterSet, 'CS', h.specificCharacterSet)]
    : [];
  for (const [tag, vr, value] of values)
    out.push(textElement(tag, vr, encodeText(value, charset) ?? Buffer.from(value, 'utf8')));
  return out;
}

function patientKeys(h: InstanceHeader): DicomElement[] {
  return texts(h, [
    [Tag.PatientName, 'PN', h.patientName],
    [Tag.PatientID, 'LO', h.patientId],
    [Tag.PatientBirthDate, 'DA', h.patientBirthDate],
    [Tag.PatientSex, 'CS', h.patientSex],
  ]);
}

function studyKeys(h: InstanceHeader): DicomElement[] {
  return texts(h, [
    [Tag.StudyDate, 'DA', h.studyDate],
    [Tag.StudyTime, 'TM', h.studyTime],
    [Tag.AccessionNumber, 'SH', h.accessionNumber],
    [Tag.StudyDescription, 'LO', h.studyDescription],
    [Tag.StudyInstanceUID, 'UI', h.studyInstanceUid],
    [Tag.StudyID, 'SH', h.studyId],
  ]);
}

function seriesKeys(h: InstanceHeader): DicomElement[] {
  return [
    textElement(Tag.Modality, 'CS', h.modality),
    textElement(Tag.SeriesInstanceUID, 'UI', h.seriesInstanceUid),
    textElement(Tag.SeriesNumber, 'IS', h.seriesNumber),
  ];
}

function imageKeys(h: InstanceHeader, fileId: string[], syntax: string): DicomElement[] {
  return [
    textElement(Tag.ReferencedFileID, 'CS', fileId.join('\\')),
    textElement(Tag.ReferencedSOPClassUIDInFile, 'UI', h.sopClassUid),
    textElement(Tag.ReferencedSOPInstanceUIDInFile, 'UI', h.sopInstanceUid),
    textElement(Tag.ReferencedTransferSyntaxUIDInFile, 'UI', syntax),
    textElement(Tag.InstanceNumber, 'IS', h.instanceNumber),
  ];
}
