import type { ArchiveIndex } from '../index/archive-index.ts';
import type { StudyAccess } from './study-access.ts';
import type { StudyRemoval } from './study-removal.ts';
import type { FileStore } from '../store/file-store.ts';
import type { SourceLogger } from '../util/log.ts';

/** Conquest frees about this much above the threshold before it stops deleting. */
const MARGIN_MB = 5;
/** Free space is looked at this often, and soon after objects arrive (at most once per NUDGE_MS). */
const CHECK_MS = 60_000;
const NUDGE_MS = 2_000;
const MB = 1024 * 1024;

export interface RetentionDependencies {
  index: ArchiveIndex;
  /** The storage folders and their free space (the file store). */
  store: Pick<FileStore, 'devices' | 'freeBytes'>;
  access: StudyAccess;
  removal: StudyRemoval;
  /** MAGDeviceThreshold and NightlyCleanThreshold, in MB (0: off). */
  thresholds: () => { cleanMB: number; nightlyMB: number };
  log: SourceLogger;
}

/**
 * Clean-up when the disk fills, as Conquest does it (MAGDeviceThreshold, NightlyCleanThreshold): when a storage folder
 * has less free space than the threshold, the least recently used patients with objects there (a patient is as recent as
 * the last store, view or retrieve of any of its studies) lose their unprotected studies, one patient at a time, until
 * the folder has the threshold plus 5 MB free or nothing but protected studies is left. Off while the threshold is 0.
 */
export class Retention {
  private readonly deps: RetentionDependencies;
  private timer: NodeJS.Timeout | undefined;
  private nightly: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private lastNudge = 0;
  private trailing: NodeJS.Timeout | undefined;

  constructor(deps: RetentionDependencies) {
    this.deps = deps;
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), CHECK_MS);
    this.timer.unref();
    this.scheduleNightly();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.nightly);
    clearTimeout(this.trailing);
    await this.running;
  }

  /** Resolves when no clean-up runs. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Objects arrived: look at the free space now, or 2 s after the last look if that was less than 2 s ago. */
  nudge(): void {
    if (!this.deps.thresholds().cleanMB || this.trailing) return;
    const wait = this.lastNudge + NUDGE_MS - Date.now();
    const look = () => {
      this.trailing = undefined;
      this.lastNudge = Date.now();
      void this.check();
    };
    if (wait <= 0) look();
    else {
      this.trailing = setTimeout(look, wait);
      this.trailing.unref();
    }
  }

  /** Run a clean-up now if a folder is below `thresholdMB`; resolves with the number of studies deleted. */
  check(thresholdMB = this.deps.thresholds().cleanMB, reason = 'MAGDeviceThreshold'): Promise<number> {
    if (!thresholdMB) return Promise.resolve(0);
    this.running ??= this.clean(thresholdMB, reason)
      .catch((err: Error) => {
        this.deps.log.error(`clean-up failed: ${err.message}`);
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async clean(thresholdMB: number, reason: string): Promise<number> {
    let deleted = 0;
    const { store } = this.deps;
    for (let device = 0; device < store.devices.length; device++) {
      const folder = store.devices[device]!;
      if ((await store.freeBytes(device)) >= thresholdMB * MB) continue;
      await this.deps.access.flush(); // the latest views and stores count
      const target = (thresholdMB + MARGIN_MB) * MB;
      this.deps.log.warn(
        `clean-up: ${folder} has ${((await store.freeBytes(device)) / MB).toFixed(0)} MB free, below ${reason} = ${thresholdMB} MB; deleting the least recently used patients until ${thresholdMB + MARGIN_MB} MB are free`,
      );
      while ((await store.freeBytes(device)) < target) {
        const next = await this.deps.index.leastRecentlyUsed(device);
        if (!next) {
          this.deps.log.error(
            `clean-up: ${folder} is still below ${thresholdMB + MARGIN_MB} MB free, and nothing there is left to delete but protected studies`,
          );
          break;
        }
        for (const uid of next.studyUids) {
          const done = await this.deps.removal.remove(
            uid,
            `clean-up: ${reason} ${thresholdMB} MB, least recently used patient ${next.patientId}`,
          );
          if (done && done !== 'protected') deleted++;
        }
      }
    }
    if (deleted) this.deps.log.warn(`clean-up: ${deleted} stud${deleted === 1 ? 'y' : 'ies'} deleted`);
    return deleted;
  }

  /** NightlyCleanThreshold: the same clean-up at 01:00 local time. */
  private scheduleNightly(): void {
    const now = new Date();
    const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + (now.getHours() >= 1 ? 1 : 0), 1, 0, 0);
    this.nightly = setTimeout(() => {
      const mb = this.deps.thresholds().nightlyMB;
      if (mb) void this.check(mb, 'NightlyCleanThreshold');
      this.scheduleNightly();
    }, next.getTime() - now.getTime());
    this.nightly.unref();
  }
}
