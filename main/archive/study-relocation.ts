import type { ArchiveIndex } from '../index/archive-index.ts';
import type { FileStore } from '../store/file-store.ts';
import { PermanentJobError, type JobContext, type JobQueue, type JobRunner } from '../jobs/job-queue.ts';
import type { Job } from '../jobs/job.ts';
import { QR_BY_TAG } from '../query/attributes.ts';
import { Tag } from '../dicom/tags.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import type { SourceLogger } from '../util/log.ts';
import { msg } from '../../common/message.ts';

export interface RelocationDependencies {
  index: ArchiveIndex;
  store: FileStore;
  /** The ingest's per-object locks: a move never interleaves with a new copy arriving, an edit or a re-encoding. */
  locks: KeyedLock;
  log: SourceLogger;
}

interface RelocationDetail {
  device: number;
}

/**
 * Moving a study's files to another storage folder (MAGDevice<n>), as a job: to retire a full or failing disk, or to
 * balance them. Each object, under its lock: its file copied to the new folder under the same name (and to that
 * folder's mirror), its index row moved there only if it still names the old file (else the copy goes), then the old
 * file (and its mirror copy) deleted. A move interrupted goes on from the objects not yet moved.
 */
export function queueRelocation(
  queue: JobQueue,
  study: { uid: string; sopUids: string[] },
  device: number,
): Promise<Job> {
  const detail: RelocationDetail = { device };
  return queue.add('relocate', { studyUid: study.uid, detail: JSON.stringify(detail) }, study.sopUids);
}

/** A study's objects: their SOP Instance UIDs, and the bytes of those not on `device` yet. */
export async function objectsOfStudy(
  index: ArchiveIndex,
  studyUid: string,
  device: number,
): Promise<{ sopUids: string[]; bytes: number }> {
  const attr = QR_BY_TAG.get(Tag.StudyInstanceUID)!;
  const found = await index.instancesMatching([{ attr, match: { kind: 'single', value: studyUid } }]);
  const bytes = found.reduce((n, i) => n + (i.location.device === device ? 0 : i.size), 0);
  return { sopUids: found.map((i) => i.sopInstanceUid), bytes };
}

export function relocationRunner(deps: RelocationDependencies): JobRunner {
  return async ({ job, signal, progress }: JobContext) => {
    const { device } = JSON.parse(job.detail) as RelocationDetail;
    if (deps.store.devices[device] === undefined)
      throw new PermanentJobError(
        msg('there is no storage folder MAG{n} (MAGDevices is {count})', {
          n: String(device),
          count: String(deps.store.devices.length),
        }),
      );
    const items = deps.index.jobStore();
    const pending = await items.items(job.id, 'pending');
    let done = (await items.items(job.id, 'done')).length;
    let failed = 0;
    let bytes = job.bytes;
    let lastError = '';
    await progress({ total: done + pending.length, done, failed }, true);
    for (const uid of pending) {
      if (signal.aborted) return;
      try {
        const moved = await deps.locks.run(uid, () => moveOne(deps, uid, device));
        done++;
        bytes += moved;
        await items.setItems(job.id, [uid], 'done');
      } catch (err) {
        failed++;
        lastError = `${uid}: ${(err as Error).message}`;
        deps.log.error(`moving ${uid} to MAG${device} failed: ${(err as Error).message}`);
        await items.setItems(job.id, [uid], 'failed');
      }
      await progress({ done, failed, bytes });
    }
    await progress({ done, failed, bytes }, true);
    if (failed) throw new Error(`${failed} object(s) not moved to MAG${device}; last: ${lastError}`);
  };
}

/** One object moved (under its lock); the bytes moved (0 when it was there already or is gone). */
async function moveOne(deps: RelocationDependencies, uid: string, device: number): Promise<number> {
  const inst = await deps.index.findInstance(uid);
  if (!inst || inst.location.device === device) return 0;
  const row = await deps.index.storageCheckStore().object(uid);
  const to = await deps.store.relocate(inst.location, device);
  const ok = await deps.index.recodedInstance(
    uid,
    { location: inst.location, transferSyntaxUid: inst.transferSyntaxUid },
    { location: to, transferSyntaxUid: inst.transferSyntaxUid, size: inst.size, checksum: row?.checksum ?? undefined },
  );
  if (!ok) {
    // The row changed (deleted meanwhile): the copy is nobody's, unless the row now names that very file.
    const now = await deps.index.findInstance(uid);
    if (!now || now.location.device !== to.device || now.location.relativePath !== to.relativePath)
      await deps.store.remove(to);
    return 0;
  }
  await deps.store.remove(inst.location);
  return inst.size;
}
