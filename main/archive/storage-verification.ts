import type { StoredLocation } from '../store/file-store.ts';
import { stat } from 'node:fs/promises';
import { readChecksum, type FileReading } from '../store/file-checksum.ts';
import type { CheckedObject, StorageCheckStore, StorageProblemKind } from '../index/sql-storage-checks.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import type { SourceLogger } from '../util/log.ts';

/** Objects read from the index at a time. */
const BATCH = 500;

/** What one verification run did. */
export interface VerificationSummary {
  startedAt: string;
  finishedAt: string;
  /** Objects read back, and their bytes. */
  checked: number;
  bytes: number;
  /** Problems this run found. */
  found: number;
  /** Objects whose checksum was not known (written by an edit, an import by link, a regen) and is now. */
  recorded: number;
  /** False when the run was stopped before the last object (the next one goes on from `resumeAfter`). */
  complete: boolean;
  /** The row id the next run starts after (0: from the beginning). */
  resumeAfter: number;
}

export interface FoundProblem {
  sopInstanceUid: string;
  location: StoredLocation;
  problem: StorageProblemKind;
  detail: string;
  /** Put right at once from the mirror's good copy. */
  mended?: boolean;
}

/** A mirrored device's other copy of an object, as the verification uses it. */
export interface MirrorAccess {
  /** The mirror's copy of an object (undefined: no mirror, or one side not there now). */
  copyOf(location: StoredLocation): string | undefined;
  /** Copy the mirror's file over the damaged one. */
  restore(location: StoredLocation): Promise<void>;
  /** The mirror lacks this object's file (or holds another size): copy it there. */
  owe(location: StoredLocation): void;
}

export interface VerifierDependencies {
  checks: StorageCheckStore;
  /** A location's file. */
  path(location: StoredLocation): string;
  /** The ingest's per-object locks: a mismatch is judged again under the object's lock (it may be stored again now). */
  locks: KeyedLock;
  /** Each problem found (after it is recorded): audit, Monitor. */
  found(problem: FoundProblem): void;
  /** Mirrored devices (MIRRORDevice<i>): each mirror copy looked at, a damaged file put right from a good one. */
  mirror?: MirrorAccess;
  log: SourceLogger;
}

/**
 * VerifyStorage: every stored object's file read back and compared with its index row: there, of the size the row
 * says, with the CRC-32 computed when it was written (IncomingObject). A row without a checksum (written by an edit, an
 * import by link, a regen) gets the one its file has now. A mismatch is judged again under the object's lock with the
 * row read again, so an object stored anew meanwhile is not called damaged; a real one is recorded (storage_problems)
 * and reported. One file at a time, one buffer: the run shares the disk with the modalities.
 */
export class StorageVerifier {
  private readonly deps: VerifierDependencies;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  /** The running run's counts so far. */
  progress: { checked: number; bytes: number } | undefined;

  constructor(deps: VerifierDependencies) {
    this.deps = deps;
  }

  /** Read every object after row id `afterId` (0: all); stops early (complete: false) when `signal` aborts. */
  async run(afterId: number, signal: AbortSignal): Promise<VerificationSummary> {
    const startedAt = new Date().toISOString();
    const counts = { checked: 0, bytes: 0, found: 0, recorded: 0 };
    this.progress = counts;
    let cursor = afterId;
    await this.deps.checks.forgetGone();
    const open = new Set(
      (await this.deps.checks.problems()).filter((p) => p.state !== 'repaired').map((p) => p.sopInstanceUid),
    );
    try {
      for (;;) {
        const batch = await this.deps.checks.objectsAfter(cursor, BATCH);
        if (!batch.length) return { startedAt, finishedAt: now(), ...counts, complete: true, resumeAfter: 0 };
        for (const o of batch) {
          if (signal.aborted) return { startedAt, finishedAt: now(), ...counts, complete: false, resumeAfter: cursor };
          const outcome = await this.check(o);
          counts.checked++;
          counts.bytes += o.size;
          if (outcome === 'recorded') counts.recorded++;
          else if (outcome !== 'ok' && outcome !== 'gone') counts.found++;
          // Put right by hand (the file copied back) since it was found: the problem is over.
          if ((outcome === 'ok' || outcome === 'recorded') && open.has(o.sopInstanceUid))
            await this.deps.checks.setState(o.sopInstanceUid, 'repaired', 'the file reads back as it was stored');
          cursor = o.id;
        }
      }
    } finally {
      this.progress = undefined;
    }
  }

  /**
   * One object: 'ok', 'recorded' (its checksum was not known), 'gone' (no longer in the archive), or the problem found
   * (recorded and reported).
   */
  async check(o: CheckedObject): Promise<'ok' | 'recorded' | 'gone' | FoundProblem> {
    const reading = await readChecksum(this.deps.path(o.location), this.buffer);
    const first = judge(o, reading);
    if (first === 'ok' || first === 'unknown') await this.lookAtMirror(o);
    if (first === 'ok') return 'ok';
    if (first === 'unknown') return this.record(o, reading);
    return this.deps.locks.run(o.sopInstanceUid, async () => {
      const now = await this.deps.checks.object(o.sopInstanceUid);
      if (!now) return 'gone';
      const readAgain = await readChecksum(this.deps.path(now.location), this.buffer);
      const again = judge(now, readAgain);
      if (again === 'ok') return 'ok';
      if (again === 'unknown') return this.record(now, readAgain);
      const mended = await this.mendFromMirror(now);
      const problem = { sopInstanceUid: now.sopInstanceUid, location: now.location, ...again, mended };
      await this.deps.checks.recordProblem(problem.sopInstanceUid, problem.location, problem.problem, problem.detail);
      if (mended)
        await this.deps.checks.setState(
          problem.sopInstanceUid,
          'repaired',
          "the mirror's copy read back as stored and was copied over the damaged file",
        );
      this.deps.log.error(
        `${this.deps.path(now.location)} (${now.sopInstanceUid}): ${problem.detail}${mended ? '; put right from its mirror' : ''}`,
      );
      this.deps.found(problem);
      return problem;
    });
  }

  /** One object by its SOP Instance UID (after a repair). */
  async checkOne(sopInstanceUid: string): Promise<'ok' | 'recorded' | 'gone' | FoundProblem> {
    const o = await this.deps.checks.object(sopInstanceUid);
    return o ? this.check(o) : 'gone';
  }

  /** A mirrored object whose mirror copy is missing or of another size is owed a copy there. */
  private async lookAtMirror(o: CheckedObject): Promise<void> {
    const copy = this.deps.mirror?.copyOf(o.location);
    if (!copy) return;
    const size = await stat(copy).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== o.size) this.deps.mirror!.owe(o.location);
  }

  /** The mirror's copy, when it reads back as the object was stored, copied over the damaged file (read again). */
  private async mendFromMirror(o: CheckedObject): Promise<boolean> {
    const mirror = this.deps.mirror;
    const copy = mirror?.copyOf(o.location);
    if (!mirror || !copy || o.checksum === null) return false;
    if (judge(o, await readChecksum(copy, this.buffer)) !== 'ok') return false;
    try {
      await mirror.restore(o.location);
    } catch (err) {
      this.deps.log.error(`cannot copy ${copy} back: ${(err as Error).message}`);
      return false;
    }
    return judge(o, await readChecksum(this.deps.path(o.location), this.buffer)) === 'ok';
  }

  private async record(o: CheckedObject, reading: FileReading): Promise<'recorded'> {
    if ('checksum' in reading) await this.deps.checks.recordChecksum(o, reading.checksum);
    return 'recorded';
  }
}

/** How a file read back compares with its row. */
function judge(
  o: CheckedObject,
  reading: FileReading,
): 'ok' | 'unknown' | { problem: StorageProblemKind; detail: string } {
  if ('missing' in reading) return { problem: 'missing', detail: 'the file is missing' };
  if ('unreadable' in reading)
    return { problem: 'unreadable', detail: `the file cannot be read: ${reading.unreadable}` };
  if (reading.size !== o.size)
    return { problem: 'size', detail: `the file has ${reading.size} bytes; it had ${o.size} when stored` };
  if (o.checksum === null) return 'unknown';
  if (reading.checksum !== o.checksum)
    return {
      problem: 'checksum',
      detail: `the file's bytes changed since it was stored (CRC-32 ${hex(reading.checksum)}, stored ${hex(o.checksum)})`,
    };
  return 'ok';
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function now(): string {
  return new Date().toISOString();
}
