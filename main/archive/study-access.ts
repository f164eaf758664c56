import type { ArchiveIndex } from '../index/archive-index.ts';
import type { Condition } from '../query/condition.ts';
import type { SourceLogger } from '../util/log.ts';

/** Uses are gathered this long and written together: a viewer scrolling a CT writes one row a second, not one per image. */
const FLUSH_DELAY_MS = 1000;

/**
 * When each study was last used (stored, viewed, retrieved), for clean-up's "least recently used": uses are gathered
 * and written in one statement a second later.
 */
export class StudyAccess {
  private readonly index: ArchiveIndex;
  private readonly log: SourceLogger;
  /** Study UID -> when it was last used (ISO), not yet written. */
  private pending = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(index: ArchiveIndex, log: SourceLogger) {
    this.index = index;
    this.log = log;
  }

  touch(studyUid: string): void {
    if (!studyUid) return;
    this.pending.set(studyUid, new Date().toISOString());
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  /** A retrieve: the studies its conditions name, at once (one per request, never per object). */
  retrieved(conditions: Condition[]): void {
    void this.index
      .touchMatching(conditions, new Date().toISOString())
      .catch((err: Error) => this.log.warn(`cannot record a retrieve's use: ${err.message}`));
  }

  /** Write what is pending now (before a clean-up decides, and at stop). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const uses = [...this.pending];
    this.pending = new Map();
    if (uses.length) {
      this.flushing = this.flushing
        .then(() => this.index.touchStudies(uses))
        .catch((err: Error) => this.log.warn(`cannot record the use of ${uses.length} studies: ${err.message}`));
    }
    return this.flushing;
  }
}
