import type { ArchiveIndex } from './index/archive-index.ts';
import type { FileStore } from './store/file-store.ts';
import type { SourceLogger } from './util/log.ts';

/**
 * Deleting studies, by the user or by clean-up, through the index's journal (sql-deletions.ts): rows and journal entry in
 * one transaction, then the files, then the entry is done. At start, entries a crash left pending have their files
 * deleted, so no row is without its file and no file without its row.
 */
export class StudyRemoval {
  private readonly index: ArchiveIndex;
  private readonly store: FileStore;
  private readonly log: SourceLogger;

  constructor(index: ArchiveIndex, store: FileStore, log: SourceLogger) {
    this.index = index;
    this.store = store;
    this.log = log;
  }

  /** Finish what a crash interrupted; returns how many deletions were completed. */
  async recover(): Promise<number> {
    const pending = await this.index.pendingDeletions();
    for (const { id, locations } of pending) {
      await this.store.removeObjects(locations);
      await this.index.finishDeletion(id);
    }
    if (pending.length) this.log.warn(`${pending.length} study deletion(s) interrupted by the last stop finished: their files are deleted now`);
    return pending.length;
  }

  /**
   * Delete a study's rows and files; undefined for an unknown study, 'protected' for a protected one.
   * `reason` is recorded and logged (who or what deleted it).
   */
  async remove(studyUid: string, reason: string): Promise<{ objects: number; bytes: number; filesNotDeleted: number } | 'protected' | undefined> {
    const deletion = await this.index.beginStudyDeletion(studyUid, reason);
    if (deletion === undefined || deletion === 'protected') return deletion;
    const filesNotDeleted = await this.store.removeObjects(deletion.locations);
    await this.index.finishDeletion(deletion.id);
    this.log.info(`study ${studyUid} deleted (${reason}): ${deletion.locations.length} object(s), ${(deletion.bytes / 1048576).toFixed(1)} MB${filesNotDeleted ? `, ${filesNotDeleted} file(s) could not be deleted` : ''}`);
    return { objects: deletion.locations.length, bytes: deletion.bytes, filesNotDeleted };
  }
}
