import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { ArchiveIndex } from '../index/archive-index.ts';
import { QR_BY_TAG } from '../query/attributes.ts';
import { ExportError, writeMediaSet, type ExportDependencies, type MediaSetSummary } from './media-set.ts';
import { writeZip } from './zip-writer.ts';
import { writeIsoImage } from './iso-image.ts';
import { Anonymizer, type AnonymizeRequest } from '../anonymize/anonymizer.ts';
import type { ImportResult } from '../archive/import-result.ts';
import { msg } from '../../common/message.ts';
import { Tag } from '../dicom/tags.ts';

export type ExportLevel = 'PATIENT' | 'STUDY' | 'SERIES';
const KEY: Record<ExportLevel, number> = {
  PATIENT: Tag.PatientID,
  STUDY: Tag.StudyInstanceUID,
  SERIES: Tag.SeriesInstanceUID,
};

/**
 * Exporting what the archive holds as DICOM media (issue 17): a patient, a study or a series to a folder (a USB stick),
 * or as a ZIP or an ISO image streamed to the user, each a media set with its DICOMDIR (media-set.ts). Work happens in
 * the data folder's exports/ and is removed when the download ends.
 */
export class Exporter {
  private readonly index: Pick<ArchiveIndex, 'instancesMatching'>;
  private readonly deps: ExportDependencies;
  private readonly workDir: string;
  private readonly importFolder?: (folder: string) => Promise<ImportResult>;

  /** `importFolder`: a folder's objects into this archive (the importer), for de-identified copies kept here. */
  constructor(
    index: Pick<ArchiveIndex, 'instancesMatching'>,
    deps: ExportDependencies,
    workDir: string,
    importFolder?: (folder: string) => Promise<ImportResult>,
  ) {
    this.index = index;
    this.deps = deps;
    this.workDir = workDir;
    this.importFolder = importFolder;
  }

  private async instances(level: ExportLevel, uids: string[]) {
    const attr = QR_BY_TAG.get(KEY[level]);
    if (!attr) throw new ExportError(msg('{level} is not a level to export (PATIENT, STUDY, SERIES)', { level }));
    const found = await this.index.instancesMatching([
      { attr, match: uids.length === 1 ? { kind: 'single', value: uids[0]! } : { kind: 'list', values: uids } },
    ]);
    if (!found.length)
      throw new ExportError(msg('nothing in the archive for {level} {value}', { level, value: uids.join(', ') }));
    return found;
  }

  /** A media set in `folder` (absolute), which must be empty of another media set; de-identified when `anonymize` is given. */
  async toFolder(
    level: ExportLevel,
    uids: string[],
    folder: string,
    anonymize?: AnonymizeRequest,
  ): Promise<MediaSetSummary> {
    if (!path.isAbsolute(folder)) throw new ExportError(msg('{folder} is not a full path', { folder }));
    return writeMediaSet(
      await this.instances(level, uids),
      folder,
      this.deps,
      'PACSWS',
      anonymize && new Anonymizer(anonymize),
    );
  }

  /**
   * A de-identified copy kept in this archive as a new patient and study (new UIDs throughout): written as a media set
   * in the work folder, then imported like a CD. Returns what was written, and the new patient.
   */
  async anonymizedCopy(
    level: ExportLevel,
    uids: string[],
    request: AnonymizeRequest,
  ): Promise<MediaSetSummary & { patientId: string; patientName: string; imported: number }> {
    if (!this.importFolder) throw new ExportError(msg('this archive cannot import here'));
    const instances = await this.instances(level, uids);
    await mkdir(this.workDir, { recursive: true });
    const work = await mkdtemp(path.join(this.workDir, 'anonymize-'));
    try {
      const anonymizer = new Anonymizer(request);
      const summary = await writeMediaSet(instances, path.join(work, 'set'), this.deps, 'PACSWS', anonymizer);
      const result = await this.importFolder(path.join(work, 'set', 'DICOMDIR'));
      if (result.skipped.length)
        throw new ExportError(
          msg('{n} de-identified object(s) could not be stored: {reason}', {
            n: result.skipped.length,
            reason: result.skipped[0]!.reason,
          }),
        );
      return {
        ...summary,
        patientId: anonymizer.patientId,
        patientName: anonymizer.patientName,
        imported: result.imported,
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** A ZIP or an ISO image of the media set, written to `out` (an HTTP response, a file); `before` learns its size first. */
  async toArchive(
    level: ExportLevel,
    uids: string[],
    format: 'zip' | 'iso',
    out: Writable,
    before?: (size?: number) => void,
    anonymize?: AnonymizeRequest,
  ): Promise<MediaSetSummary> {
    const instances = await this.instances(level, uids);
    await mkdir(this.workDir, { recursive: true });
    const work = await mkdtemp(path.join(this.workDir, 'export-'));
    try {
      const summary = await writeMediaSet(
        instances,
        path.join(work, 'set'),
        this.deps,
        'PACSWS',
        anonymize && new Anonymizer(anonymize),
      );
      if (format === 'zip') {
        await writeZip(path.join(work, 'set'), out, before);
      } else {
        const iso = path.join(work, 'image.iso');
        await writeIsoImage(path.join(work, 'set'), iso, `${level}_${uids[0]!.slice(-16)}`);
        before?.((await stat(iso)).size);
        await new Promise<void>((resolve, reject) => {
          const stream = createReadStream(iso);
          stream.on('error', reject);
          out.on('error', reject);
          stream.on('end', () => resolve());
          stream.pipe(out, { end: false });
        });
      }
      await new Promise<void>((resolve) => out.end(() => resolve()));
      return summary;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
