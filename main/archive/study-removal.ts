import type { ArchiveIndex } from '../index/archive-index.ts';
import type { FileStore } from '../store/file-store.ts';
import type { SourceLogger } from '../util/log.ts';

/**
 * Deleting studies, by the user or by clean-up, through the index's journal (sql-deletions.ts): rows and journal entry in
 * one transaction, then the files, then the entry is done. At start, entries a crash left pending have their files
 * deleted, so no row is without its file and no file without its row. Files another program held past the retries
 * (Windows) stay listed in their pending entry and are tried again every RETRY_MS and at each start; regen skips them.
 */

const RETRY_MS = 5 * 60_000;
export class StudyRemoval {
  private readonly index: ArchiveIndex;
  private readonly store: FileStore;
  private readonly log: SourceLogger;

  constructor(index: ArchiveIndex, store: FileStore, log: SourceLogger) {
    this.index = index;
    this.store = store;
    this.log = log;
  }

  private timer: NodeJS.Timeout | undefined;

  /** Finish what a crash interrupted or held files delayed; returns how many deletions were completed. */
  async recover(): Promise<number> {
    const pending = await this.index.pendingDeletions();
    let finished = 0;
    for (const { id, locations } of pending) {
      const left = await this.store.removeObjects(locations);
      await this.index.finishDeletion(id, left);
      if (!left.length) finished++;
    }
    if (finished) this.log.warn(`${finished} pending study deletion(s) finished: their files are deleted now`);
    if (finished < pending.length)
      this.log.warn(`${pending.length - finished} study deletion(s) still wait for files other programs hold`);
    return finished;
  }

  /** Try pending deletions again now and then (files other programs held). */
  start(): void {
    this.timer = setInterval(
      () => void this.recover().catch((err: Error) => this.log.error(`pending deletions: ${err.message}`)),
      RETRY_MS,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Delete a study's rows and files; undefined for an unknown study, 'protected' for a protected one.
   * `reason` is recorded and logged (who or what deleted it).
   */
  async remove(
    studyUid: string,
    reason: string,
  ): Promise<{ objects: number; bytes: number; filesNotDeleted: number } | 'protected' | undefined> {
    const deletion = await this.index.beginStudyDeletion(studyUid, reason);
    if (deletion === undefined || deletion === 'protected') return deletion;
    const left = await this.store.removeObjects(deletion.locations);
    await this.index.finishDeletion(deletion.id, left);
    this.log.info(
      `study ${studyUid} deleted (${reason}): ${deletion.locations.length} object(s), ${(deletion.bytes / 1048576).toFixed(1)} MB` +
        (left.length ? `; ${left.length} file(s) held by another program are deleted later` : ''),
    );
    return { objects: deletion.locations.length, bytes: deletion.bytes, filesNotDeleted: left.length };
  }
}
