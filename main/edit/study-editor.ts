import { newUid } from '../../common/uids.ts';
import type { ArchiveIndex, StoredInstance } from '../index/archive-index.ts';
import { QR_BY_TAG } from '../query/attributes.ts';
import type { Condition } from '../query/condition.ts';
import { PermanentJobError, type JobContext, type JobQueue, type JobRunner } from '../jobs/job-queue.ts';
import type { Job } from '../jobs/job.ts';
import type { StoredLocation } from '../store/file-store.ts';
import { readObjectHeader } from '../store/object-header.ts';
import type { SourceLogger } from '../util/log.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import { readObjectHead, rewriteObject, writeObjectWith, type AttributeChanges } from './object-rewrite.ts';
import { textOf, type DataSet } from '../dicom/dataset.ts';
import { renameHeld } from '../store/held-files.ts';
import {
  EditError,
  PATIENT_TAGS,
  STUDY_TAGS,
  checkPatientChanges,
  checkStudyChanges,
  type PatientChanges,
  type StudyChanges,
} from './edit-requests.ts';
import { msg } from '../../common/message.ts';
import { Tag } from '../dicom/tags.ts';

export interface EditorDependencies {
  index: ArchiveIndex;
  queue: JobQueue;
  objectFile: (location: StoredLocation) => string;
  /** Where an object's new version is written before it replaces the old (FileStore.tempPathFor). */
  tempFile: (location: StoredLocation) => string;
  /** An object's file was rewritten in place: its mirror's copy follows (FileStore.rewritten). */
  rewritten?: (location: StoredLocation) => Promise<void>;
  /** The objects' locks (the ingest's): an edit never interleaves with a new copy arriving, a re-encoding, or another edit. */
  locks: KeyedLock;
  log: SourceLogger;
}

interface EditDetail {
  description: string;
  changes: [number, string | null][];
  /** The studies the objects are in before the edit (and the one they go to): counted again afterwards. */
  studies?: string[];
  /** A patient ID corrected: objects arriving later under the old one get the new one. */
  alias?: [string, string];
  /** Lua's newdicommodify: converter commands run on each object instead of `changes` (ScriptedChange). */
  script?: string;
}

/**
 * Converter commands run on one stored object's attributes before Pixel Data: the changed data set, or undefined when
 * nothing changed (the import-converters feature gives it, with the converter language and Lua).
 */
export type ScriptedChange = (script: string, dataSet: DataSet, sopInstanceUid: string) => Promise<DataSet | undefined>;

/**
 * Corrections of stored objects (issue 17): a patient's or a study's attributes, two patients or two studies merged, a
 * series moved to another or a new study. Each is an 'edit' job over the objects concerned, so a restart resumes it: an
 * object is rewritten (object-rewrite.ts: old or new, never a mix) and stored again in the index from its new file, so
 * its rows follow; rows left empty are pruned at the end. SOP Instance UIDs are kept (the objects are the same images,
 * corrected), so a node the study was sent to replaces them under its duplicate policy.
 */
export class StudyEditor {
  private readonly deps: EditorDependencies;
  /** Corrected patient IDs, old -> new (the index keeps them; here for every stored object to be checked against). */
  private aliases = new Map<string, string>();
  /** The changes of patient edits still running, by the old ID: what an object arriving meanwhile under it takes. */
  private readonly pendingAliases = new Map<string, AttributeChanges>();
  /**
   * The values of patient edits that ended (since this start), by old ID: an object still arriving under the old ID
   * while the corrected patient has, for a moment, no row (its study taken back by that arrival and pruned) takes these
   * instead of the ID alone.
   */
  private readonly endedAliases = new Map<string, AttributeChanges>();

  constructor(deps: EditorDependencies) {
    this.deps = deps;
    deps.queue.addRunner('edit', this.runner());
  }

  /** What runs a scripted modification's commands on an object (newdicommodify). */
  private scripted?: ScriptedChange;

  scriptWith(run: ScriptedChange): void {
    this.scripted = run;
  }

  /**
   * Conquest's newdicommodify(query, script): the stored objects the conditions name, each changed by the converter
   * commands of `script` (their SOP Instance UIDs and Patient IDs kept: a script that changes one fails that object),
   * as an edit job.
   */
  async modifyByScript(conditions: Condition[], script: string, description: string): Promise<Job> {
    if (!this.scripted) throw new EditError(msg('scripted changes are not part of this archive'));
    const objects = await this.objects(conditions, description);
    return this.queue(`${description}: ${script}`, objects, new Map(), undefined, '', script);
  }

  /** A patient's name, ID, birth date or sex, in every object of the patient; a new ID that exists merges into it. */
  async editPatient(patientId: string, changes: PatientChanges): Promise<Job> {
    const values = checkPatientChanges(changes);
    const newId = changes.patientId;
    const alias: [string, string] | undefined = newId && newId !== patientId ? [patientId, newId] : undefined;
    const objects = await this.objectsAfterAlias(patientId, alias, values);
    return this.queue(`patient ${patientId}: ${describe(values)}`, objects, values, alias);
  }

  /**
   * A patient's objects for an edit that changes its ID: the alias is recorded first, then the objects are collected,
   * so an object arriving at any moment is either in the job or followed by the alias (followAlias) - never neither.
   */
  private async objectsAfterAlias(
    patientId: string,
    alias: [string, string] | undefined,
    values: AttributeChanges,
  ): Promise<StoredInstance[]> {
    const condition = [this.condition(Tag.PatientID, patientId)];
    const objects = await this.objects(condition, `patient ${patientId}`);
    if (!alias) return objects;
    this.pendingAliases.set(alias[0], values);
    await this.deps.index.addPatientAlias(alias[0], alias[1]);
    this.aliases = await this.deps.index.patientAliases();
    return this.deps.index.instancesMatching(condition);
  }

  /**
   * The spellings of a patient's name become one (issue 28): the chosen name is confirmed in the index, so that no
   * arriving study changes it, and written into every object of the patient.
   */
  async reconcilePatientName(patientId: string, patientName: string): Promise<Job> {
    checkPatientChanges({ patientName });
    if (!(await this.deps.index.confirmPatientName(patientId, patientName.trim())))
      throw new EditError(msg('patient {patientId} is not in the archive', { patientId: String(patientId) }));
    return this.editPatient(patientId, { patientName });
  }

  /** A study's description, accession number, referring physician, date or time. */
  async editStudy(studyUid: string, changes: StudyChanges): Promise<Job> {
    const values = checkStudyChanges(changes);
    const objects = await this.objects([this.condition(Tag.StudyInstanceUID, studyUid)], `study ${studyUid}`);
    return this.queue(`study ${studyUid}: ${describe(values)}`, objects, values, undefined, studyUid);
  }

  /** Every study of patient `from` joins patient `into`, taking its name, birth date and sex. */
  async mergePatients(from: string, into: string): Promise<Job> {
    if (from === into) throw new EditError(msg('a patient cannot be merged into itself'));
    const target = await this.deps.index.findPatient(into);
    if (!target) throw new EditError(msg('patient {into} is not in the archive', { into }));
    const values = checkPatientChanges({
      patientId: into,
      patientName: target.patientName,
      birthDate: target.birthDate,
      sex: target.sex,
    });
    const objects = await this.objectsAfterAlias(from, [from, into], values);
    return this.queue(`patient ${from} merged into ${into}`, objects, values, [from, into]);
  }

  /** Every series of study `from` joins study `into` (its UID, study and patient attributes). */
  async mergeStudies(from: string, into: string): Promise<Job> {
    if (from === into) throw new EditError(msg('a study cannot be merged into itself'));
    const objects = await this.objects([this.condition(Tag.StudyInstanceUID, from)], `study ${from}`);
    return this.queue(`study ${from} merged into ${into}`, objects, await this.joining(into), undefined, into);
  }

  /**
   * Series of one study become one (Conquest's `merge study`): the objects of the others join the first series named,
   * taking its UID, number, description, date and time; their SOP Instance UIDs are kept.
   */
  async mergeSeries(seriesUids: readonly string[]): Promise<Job> {
    const [into, ...others] = seriesUids;
    if (!into || !others.length) throw new EditError(msg('merging needs two series or more'));
    const [sample] = await this.objects([this.condition(Tag.SeriesInstanceUID, into)], `series ${into}`);
    const { header } = await readObjectHeader(this.deps.objectFile(sample!.location));
    const objects: StoredInstance[] = [];
    for (const uid of others)
      objects.push(...(await this.objects([this.condition(Tag.SeriesInstanceUID, uid)], `series ${uid}`)));
    const values = new Map<number, string | null>([
      [Tag.SeriesInstanceUID, into],
      [Tag.SeriesNumber, header.seriesNumber],
      [Tag.SeriesDescription, header.seriesDescription],
      [Tag.SeriesDate, header.seriesDate],
      [Tag.SeriesTime, header.seriesTime],
    ]);
    return this.queue(
      `series ${others.join(', ')} merged into ${into}`,
      objects,
      values,
      undefined,
      header.studyInstanceUid,
    );
  }

  /**
   * A series moves to study `into`, or to a new study (`'new'`: a new Study Instance UID, the old study's attributes);
   * `newSeriesUid` gives it a new Series Instance UID too (the standard allows either: its objects stay the same images).
   */
  async moveSeries(seriesUid: string, into: string, newSeriesUid = false): Promise<Job> {
    const objects = await this.objects([this.condition(Tag.SeriesInstanceUID, seriesUid)], `series ${seriesUid}`);
    const values: AttributeChanges =
      into === 'new' ? new Map([[Tag.StudyInstanceUID, newUid()]]) : await this.joining(into);
    if (newSeriesUid) values.set(Tag.SeriesInstanceUID, newUid());
    const study = values.get(Tag.StudyInstanceUID)!;
    return this.queue(
      `series ${seriesUid} moved to ${into === 'new' ? `a new study ${study}` : `study ${into}`}`,
      objects,
      values,
      undefined,
      study,
    );
  }

  /** One object changed by a scripted modification: false when the script changed nothing (the file is left alone). */
  private async rewriteByScript(script: string, uid: string, file: string, temp: string): Promise<boolean> {
    if (!this.scripted) throw new PermanentJobError(msg('scripted changes are not part of this archive'));
    const head = await readObjectHead(file);
    const changed = await this.scripted(script, head.dataSet, uid);
    if (!changed) return false;
    if (textOf(changed.get(Tag.SOPInstanceUID)) !== uid)
      throw new Error('a script that modifies stored objects keeps their SOP Instance UID');
    // A patient's ID changes through editPatient only: it records the alias that keeps later arrivals in step.
    if (textOf(changed.get(Tag.PatientID)) !== textOf(head.dataSet.get(Tag.PatientID)))
      throw new Error('a script that modifies stored objects keeps their Patient ID (the patient edit changes it)');
    await writeObjectWith(file, head, changed, temp);
    await renameHeld(temp, file);
    return true;
  }

  /** The attributes an object takes to join study `uid`: its UID and the study's and patient's values, from one of its objects. */
  private async joining(uid: string): Promise<AttributeChanges> {
    const [sample] = await this.deps.index.instancesMatching([this.condition(Tag.StudyInstanceUID, uid)]);
    if (!sample) throw new EditError(msg('study {uid} is not in the archive', { uid: String(uid) }));
    const { header } = await readObjectHeader(this.deps.objectFile(sample.location));
    // The study's and its patient's attributes, which every object of the study shares.
    return new Map<number, string | null>([
      [Tag.StudyInstanceUID, uid],
      [Tag.StudyDate, header.studyDate],
      [Tag.StudyTime, header.studyTime],
      [Tag.AccessionNumber, header.accessionNumber],
      [Tag.ReferringPhysicianName, header.referringPhysicianName],
      [Tag.StudyDescription, header.studyDescription],
      [Tag.StudyID, header.studyId],
      [Tag.PatientName, header.patientName],
      [Tag.PatientID, header.patientId],
      [Tag.PatientBirthDate, header.patientBirthDate],
      [Tag.PatientSex, header.patientSex],
    ]);
  }

  /** The studies objects are in now. */
  private async studiesOf(objects: StoredInstance[]): Promise<string[]> {
    const uids = new Set<string>();
    const attr = QR_BY_TAG.get(Tag.SOPInstanceUID)!;
    const studyUid = QR_BY_TAG.get(Tag.StudyInstanceUID)!;
    for (let at = 0; at < objects.length; at += 500) {
      const list = objects.slice(at, at + 500).map((o) => o.sopInstanceUid);
      const rows = await this.deps.index.queryArchive(3, [studyUid], [{ attr, match: { kind: 'list', values: list } }]);
      for (const r of rows) uids.add(String(r.StudyInstanceUID));
    }
    return [...uids];
  }

  private condition(tag: number, value: string): Condition {
    return { attr: QR_BY_TAG.get(tag)!, match: { kind: 'single', value } };
  }

  private async objects(conditions: Condition[], what: string): Promise<StoredInstance[]> {
    const found = await this.deps.index.instancesMatching(conditions);
    if (!found.length) throw new EditError(msg('{what} is not in the archive', { what }));
    return found;
  }

  private async queue(
    description: string,
    objects: StoredInstance[],
    changes: AttributeChanges,
    alias?: [string, string],
    studyUid = '',
    script?: string,
  ): Promise<Job> {
    const studies = await this.studiesOf(objects);
    const target = changes.get(Tag.StudyInstanceUID);
    if (target) studies.push(target);
    const detail: EditDetail = { description, changes: [...changes], alias, studies, ...(script ? { script } : {}) };
    this.deps.log.info(`edit queued: ${description} (${objects.length} object(s))`);
    return this.deps.queue.add(
      'edit',
      { detail: JSON.stringify(detail), studyUid },
      objects.map((o) => o.sopInstanceUid),
    );
  }

  async open(): Promise<void> {
    this.aliases = await this.deps.index.patientAliases();
    // Edits of a patient's ID that a stop interrupted: objects arriving before they end take their values too.
    for (const job of await this.deps.index.jobStore().listJobs(['queued', 'running'])) {
      if (job.kind !== 'edit') continue;
      const detail = JSON.parse(job.detail) as EditDetail;
      if (detail.alias) this.pendingAliases.set(detail.alias[0], new Map(detail.changes));
    }
  }

  /** The corrected ID of a patient ID that was corrected, if it was. */
  aliasOf(patientId: string): string | undefined {
    return this.aliases.get(patientId);
  }

  /** An object that arrived under a corrected patient ID: the same correction, for it alone. */
  async followAlias(sopInstanceUid: string, patientId: string, newId: string): Promise<void> {
    // While the patient's edit runs, its values; once it has ended, the corrected patient's as the index has them.
    const pending = this.pendingAliases.get(patientId);
    const target = pending ? undefined : await this.deps.index.findPatient(newId);
    const ended = this.endedAliases.get(patientId);
    const values =
      pending ??
      (target
        ? checkPatientChanges({
            patientId: newId,
            patientName: target.patientName,
            birthDate: target.birthDate,
            sex: target.sex,
          })
        : (ended ?? checkPatientChanges({ patientId: newId })));
    const inst = await this.deps.index.findInstance(sopInstanceUid);
    const studies = inst ? await this.studiesOf([inst]) : [];
    await this.deps.queue.add(
      'edit',
      {
        detail: JSON.stringify({
          description: `object ${sopInstanceUid} of ${patientId}, now ${newId}`,
          changes: [...values],
          studies,
        } satisfies EditDetail),
      },
      [sopInstanceUid],
    );
  }

  private runner(): JobRunner {
    return async ({ job, signal, progress }: JobContext) => {
      const detail = JSON.parse(job.detail) as EditDetail;
      const changes: AttributeChanges = new Map(detail.changes);
      const store = this.deps.index.jobStore();
      let done = (await store.items(job.id, 'done')).length;
      let failed = 0;
      let lastError = '';
      for (const uid of await store.items(job.id, 'pending')) {
        if (signal.aborted) return;
        try {
          const edited = await this.deps.locks.run(uid, async () => {
            // Looked up under the lock: a copy stored or re-encoded meanwhile has its own file.
            const inst = await this.deps.index.findInstance(uid);
            if (!inst) return false;
            const file = this.deps.objectFile(inst.location);
            if (detail.script !== undefined) {
              if (!(await this.rewriteByScript(detail.script, uid, file, this.deps.tempFile(inst.location))))
                return true;
            } else await rewriteObject(file, changes, this.deps.tempFile(inst.location));
            await this.deps.rewritten?.(inst.location);
            const { header, meta, size } = await readObjectHeader(file);
            await this.deps.index.storeInstance({
              header,
              transferSyntaxUid: meta.transferSyntaxUid,
              location: inst.location,
              size,
              callingAe: inst.callingAe ?? '',
            });
            return true;
          });
          if (!edited) {
            failed++;
            lastError = `${uid} is no longer in the archive`;
            await store.setItems(job.id, [uid], 'failed');
            continue;
          }
          await store.setItems(job.id, [uid], 'done');
          done++;
        } catch (err) {
          failed++;
          lastError = `${uid}: ${(err as Error).message}`;
          await store.setItems(job.id, [uid], 'failed');
        }
        await progress({ total: done + failed, done, failed });
      }
      await this.deps.index.pruneEmpty(detail.studies ?? []);
      if (detail.alias) {
        await this.deps.index.addPatientAlias(detail.alias[0], detail.alias[1]);
        this.aliases = await this.deps.index.patientAliases();
        this.endedAliases.set(detail.alias[0], this.pendingAliases.get(detail.alias[0]) ?? new Map(detail.changes));
        this.pendingAliases.delete(detail.alias[0]);
      }
      await progress({ done, failed }, true);
      this.deps.log.info(
        `edit done: ${detail.description}: ${done} object(s) rewritten${failed ? `, ${failed} not (${lastError})` : ''}`,
      );
      if (failed)
        throw new PermanentJobError(
          msg('{failed} object(s) could not be edited; last: {lastError}', { failed, lastError }),
        );
    };
  }
}

function describe(changes: AttributeChanges): string {
  const names: Record<number, string> = { ...PATIENT_TAGS, ...STUDY_TAGS };
  return [...changes].map(([tag, v]) => `${names[tag] ?? tag.toString(16)} = "${v ?? ''}"`).join(', ');
}
