import type { InstanceHeader } from '../dicom/instance-header.ts';
import { sameLocation, type FileStore, type StoredLocation } from '../store/file-store.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { SourceLogger } from '../util/log.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import type { EncodeOptions } from '../codec/encoders.ts';
import { transcoder } from '../codec/transcoder.ts';
import { readDataSetBytes } from '../store/object-reader.ts';

/** A stored object to be re-encoded (IncomingCompression, DroppedFileCompression) after its sender heard success. */
export interface RecodeJob {
  header: InstanceHeader;
  location: StoredLocation;
  from: string;
  to: string;
  options: EncodeOptions;
  callingAe: string;
}

/**
 * Compression after the acknowledgement: the modality's C-STORE is answered as soon as the object is safely stored as
 * it came, and the codec workers re-encode it meanwhile. The new file is written beside the old one, renamed over it
 * and the index row updated, under the object's lock, so a new copy of the same object arriving meanwhile is never
 * overwritten; readers take the transfer syntax from the file they open (store/object-reader.ts), so one swapped under
 * a running C-MOVE is still read right. An object that cannot be encoded stays as it came, and the log says why. A
 * stop leaves the objects still waiting as they came (nothing is lost; they are just not compressed).
 */
export class BackgroundRecoder {
  private readonly queue: RecodeJob[] = [];
  /** The jobs waiting or running, by SOP Instance UID, and those a newer copy of their object made void. */
  private readonly bySop = new Map<string, RecodeJob>();
  private readonly superseded = new WeakSet<RecodeJob>();
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly deps: {
    store: FileStore;
    index: ArchiveIndex;
    log: SourceLogger;
    locks: KeyedLock;
    parallel: number;
  };

  constructor(deps: { store: FileStore; index: ArchiveIndex; log: SourceLogger; locks: KeyedLock; parallel: number }) {
    this.deps = deps;
  }

  add(job: RecodeJob): void {
    if (this.closed) return;
    this.bySop.set(job.header.sopInstanceUid, job);
    this.queue.push(job);
    this.pump();
  }

  /**
   * A new copy of the object is being stored (the caller holds the object's lock): a re-encoding of the earlier copy
   * must not replace it, even where the new copy lands in the same file in the same syntax.
   */
  supersede(sopInstanceUid: string): void {
    const job = this.bySop.get(sopInstanceUid);
    if (job) this.superseded.add(job);
  }

  /** Resolves when nothing waits or runs (tests, and a stop). */
  idle(): Promise<void> {
    if (!this.running && !this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Take no more; wait for those being written. */
  async close(): Promise<void> {
    this.closed = true;
    const left = this.queue.splice(0).length;
    this.bySop.clear();
    if (left) this.deps.log.warn(`${left} object(s) left as received: the archive stopped before they were re-encoded`);
    await this.idle();
  }

  private pump(): void {
    while (this.running < this.deps.parallel && this.queue.length) {
      const job = this.queue.shift()!;
      this.running++;
      void this.recode(job).finally(() => {
        if (this.bySop.get(job.header.sopInstanceUid) === job) this.bySop.delete(job.header.sopInstanceUid);
        this.running--;
        this.pump();
        if (!this.running && !this.queue.length) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  private async recode(job: RecodeJob): Promise<void> {
    const { store, index, log, locks } = this.deps;
    const sop = job.header.sopInstanceUid;
    const same = (i: { location: StoredLocation; transferSyntaxUid: string } | undefined) =>
      !!i && i.transferSyntaxUid === job.from && sameLocation(i.location, job.location);
    if (!transcoder.canTranscode(job.from, job.to, job.options)) return; // no codec for it: it stays as it came
    try {
      if (this.superseded.has(job) || !same(await index.findInstance(sop))) return; // replaced or deleted since
      const stored = await readDataSetBytes(store.absolutePath(job.location));
      if (stored.transferSyntaxUid !== job.from) return;
      let converted: Buffer;
      try {
        converted = await transcoder.transcode(stored.bytes, job.from, job.to, job.options);
      } catch (err) {
        log.warn(
          `${sop} from ${job.callingAe} kept as received (${job.from}): cannot store it as ${job.to}: ${(err as Error).message}`,
        );
        return;
      }
      const next = store.begin({
        sopClassUid: job.header.sopClassUid,
        sopInstanceUid: sop,
        transferSyntaxUid: job.to,
        sourceAe: job.callingAe,
      });
      next.write(converted);
      await next.finish();
      await locks.run(sop, async () => {
        if (this.superseded.has(job) || !same(await index.findInstance(sop))) {
          await next.discard();
          return;
        }
        // Named by a script when it arrived: it keeps that name (the script is not run again).
        if (store.scriptedLayout) next.relativePath = job.location.relativePath;
        const location = await store.commit(next, job.header);
        const moved = !sameLocation(location, job.location);
        if (
          !(await index.recodedInstance(
            sop,
            { location: job.location, transferSyntaxUid: job.from },
            { location, transferSyntaxUid: job.to, size: next.size, checksum: next.checksum },
          ))
        ) {
          // Deleted between the check and the rename: the file put back is nobody's.
          await store.remove(location).catch(() => undefined);
        } else if (moved) {
          // Written on another device (the first filled up meanwhile): the old file goes.
          await store
            .remove(job.location)
            .catch((err) =>
              log.warn(`${sop}: could not remove the file it was re-encoded from: ${(err as Error).message}`),
            );
        }
      });
    } catch (err) {
      log.warn(`${sop}: re-encoding to ${job.to} failed, the object stays as received: ${(err as Error).message}`);
    }
  }
}
