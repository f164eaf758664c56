import type { InstanceHeader } from '../dicom/instance-header.ts';
import type { ObjectReceiver, ReceivedObject } from '../protocol/services/store-scp.ts';
import { Status, ioFailureStatus } from '../dicom/status.ts';
import { sameLocation, type FileStore, type StoreObject, type StoredLocation } from '../store/file-store.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { DuplicatePolicy } from '../config/server-settings.ts';
import type { SourceLogger } from '../util/log.ts';
import { targetSyntax, type CompressionPlan } from '../../common/compression-code.ts';
import { UNCOMPRESSED_SYNTAXES } from '../../common/uids.ts';
import { availableParallelism } from 'node:os';
import { BackgroundRecoder } from './background-recode.ts';
import { KeyedLock } from '../util/keyed-lock.ts';

/** The largest object a check may have held in memory (larger ones are written as they arrive, and rewritten). */
const HOLD_BYTES = 16 << 20;

/** A stored object, as announced to whoever listens (monitoring, forwarding). */
export interface StoredEvent {
  header: InstanceHeader;
  location: StoredLocation;
  size: number;
  transferSyntaxUid: string;
  callingAe: string;
  calledAe: string;
  replaced: boolean;
}

/** An object received in full and not yet stored, for a check that may change, drop or refuse it (import converters). */
export interface ArrivingObject {
  /** Its complete temporary file. */
  file: string;
  header: InstanceHeader;
  callingAe: string;
  calledAe: string;
  /** An import (folder, CD, upload) rather than a DICOM peer. */
  dropped: boolean;
  /** The sender's IP address and its association's number ('' and 0 for an import). */
  peerAddress: string;
  association: number;
  /** The storage device (MAGn) it is being received on. */
  device: number;
  /** Put a rewritten copy (flushed, on the same device) in place of the temporary file. */
  replaceWith(path: string, size: number): Promise<void>;
  /** The whole object, as the chunks it arrived in, when it is held in memory (a check asked for that, and it was not
   * too large); else undefined. */
  held(): readonly Uint8Array[] | undefined;
  /** Replace the held object's bytes (written once, when it is placed). */
  replaceHeld(chunks: Uint8Array[]): void;
}

/** What a check decided: store (with the header of the object as it now is), drop quietly, or refuse to the sender. */
export type ArrivalDecision =
  | {
      outcome: 'store';
      header: InstanceHeader;
      afterStore?: () => void;
      compression?: CompressionPlan;
      /** The storage device (MAGn) to keep it on instead of the one it was received on (converters' `storage`). */
      device?: number;
      /** The syntax it is in now, when a check rewrote it in another (a converter's `process with`). */
      transferSyntaxUid?: string;
      /** Its path under the storage folder, when a check named it (FileNameSyntax = lua:...). */
      relativePath?: string;
    }
  | { outcome: 'destroy' }
  | { outcome: 'reject'; comment: string };

/**
 * Receiving into the archive: the file store writes and places the file, the index records it, and the duplicate
 * policy decides what a known SOP Instance UID does. The index row is committed only after the file is in place.
 * IncomingCompression and DroppedFileCompression are applied after the sender heard success (background-recode.ts).
 */
export class ArchiveIngest implements ObjectReceiver {
  private readonly store: FileStore;
  private readonly index: ArchiveIndex;
  private readonly policy: () => DuplicatePolicy;
  private readonly log: SourceLogger;
  private readonly onStored: (event: StoredEvent) => void;
  private readonly compression: (dropped: boolean) => CompressionPlan;
  /** One holder at a time per SOP Instance UID: storing a copy, re-encoding it in the background, editing it. */
  readonly locks = new KeyedLock();
  private readonly recoder: BackgroundRecoder;
  private readonly checks: ((object: ArrivingObject) => Promise<ArrivalDecision>)[] = [];
  private readonly holders: (() => boolean)[] = [];

  /**
   * `policy` and `compression` (IncomingCompression, or DroppedFileCompression for imports) are read for each object,
   * so a changed dicom.ini applies at once.
   */
  constructor(
    store: FileStore,
    index: ArchiveIndex,
    policy: () => DuplicatePolicy,
    log: SourceLogger,
    onStored: (e: StoredEvent) => void = () => undefined,
    compression: (dropped: boolean) => CompressionPlan = () => ({ kind: 'keep' }),
  ) {
    this.store = store;
    this.index = index;
    this.policy = policy;
    this.log = log;
    this.onStored = onStored;
    this.compression = compression;
    // Twice the codec workers: while one job reads or writes its files, the workers have the next one to encode.
    this.recoder = new BackgroundRecoder({
      store,
      index,
      log,
      locks: this.locks,
      parallel: 2 * Math.max(1, Math.min(availableParallelism(), 4)),
    });
  }

  /**
   * Run `check` on each object received in full, before it is stored (and before its sender hears the outcome).
   * `holds`: while it says true, objects up to HOLD_BYTES are kept in memory until placed, so a check that changes
   * them rewrites them without a second write to disk.
   */
  beforeStore(check: (object: ArrivingObject) => Promise<ArrivalDecision>, holds?: () => boolean): void {
    this.checks.push(check);
    if (holds) this.holders.push(holds);
  }

  /** Resolves when every object waiting to be re-encoded is (tests; a stop). */
  recodingIdle(): Promise<void> {
    return this.recoder.idle();
  }

  /** Stop re-encoding: those being written finish, those waiting stay as received. */
  close(): Promise<void> {
    return this.recoder.close();
  }

  /**
   * The file put in place and its row written, side by side: with DurableWrites the file's flush and the index's commit
   * overlap instead of following each other. Success needs both; whichever failed, the other is taken back (a row whose
   * file is not there, a file without its row). A crash between the two can leave the row without its file: the checks
   * at the next start put the file in place from the incoming folder when it was complete there (recoverIncoming), and
   * remove rows whose file never reached the disk (repairNewestRows), whose sender was never told the object was stored.
   */
  private async place(
    file: StoreObject,
    header: InstanceHeader,
    transferSyntaxUid: string,
    callingAe: string,
  ): Promise<{ location: StoredLocation; replaced?: StoredLocation } | { error: string }> {
    const uid = header.sopInstanceUid;
    this.recoder.supersede(uid);
    const location = this.store.locate(file, header);
    const [placed, indexed] = await Promise.allSettled([
      this.store.commit(file, header),
      this.index.storeInstance({ header, transferSyntaxUid, location, size: file.size, callingAe }),
    ]);
    if (indexed.status === 'rejected') {
      const message = (indexed.reason as Error).message;
      this.log.error(`index write failed for ${uid}: ${message}`);
      if (placed.status === 'fulfilled') {
        // Not indexed means not stored: take the file away again unless it replaced an indexed one in place.
        const old = await this.index.findInstance(uid).catch(() => undefined);
        if (!old || !sameLocation(old.location, location)) await this.store.remove(location);
      } else {
        await file.discard().catch(() => undefined);
      }
      return { error: `index write failed: ${message}` };
    }
    if (placed.status === 'rejected') {
      const err = placed.reason as Error;
      // The row names a file that is not there: it is taken back before the failure is answered.
      const undone = await this.index
        .undoStore(uid, { location, transferSyntaxUid }, indexed.value.replaced)
        .catch((undoErr: Error) => {
          this.log.error(`could not take back the row of ${uid} after its file failed: ${undoErr.message}`);
          return true;
        });
      if (!undone) this.log.warn(`the row of ${uid} changed before it could be taken back after its file failed`);
      throw err;
    }
    return { location, ...indexed.value };
  }

  /** `dropped`: an import (folder, CD, upload), stored by DroppedFileCompression instead of IncomingCompression. */
  begin(meta: {
    sopClassUid: string;
    sopInstanceUid: string;
    transferSyntaxUid: string;
    callingAe: string;
    calledAe: string;
    dropped?: boolean;
    peerAddress?: string;
    association?: number;
  }): ReceivedObject {
    const hold = this.holders.some((h) => h()) ? HOLD_BYTES : 0;
    let file = this.store.begin({ ...meta, sourceAe: meta.callingAe }, hold);
    const complete = async (received: InstanceHeader): Promise<{ status: number; comment?: string }> => {
      await file.finish();
      let header = received;
      const after: (() => void)[] = [];
      let compression: CompressionPlan | undefined;
      let transferSyntaxUid = meta.transferSyntaxUid;
      let relativePath: string | undefined;
      for (const check of this.checks) {
        const decision = await check({
          file: file.tempPath,
          header,
          callingAe: meta.callingAe,
          calledAe: meta.calledAe,
          dropped: meta.dropped ?? false,
          peerAddress: meta.peerAddress ?? '',
          association: meta.association ?? 0,
          device: file.device,
          replaceWith: (path, size) => file.replaceWith(path, size),
          held: () => file.heldChunks(),
          replaceHeld: (chunks) => file.replaceHeld(chunks),
        });
        if (decision.outcome === 'destroy') {
          await file.discard();
          return { status: Status.Success };
        }
        if (decision.outcome === 'reject') {
          await file.discard();
          return { status: Status.UnableToProcess, comment: decision.comment };
        }
        header = decision.header;
        if (decision.afterStore) after.push(decision.afterStore);
        if (decision.compression) compression = decision.compression;
        if (decision.transferSyntaxUid) transferSyntaxUid = decision.transferSyntaxUid;
        if (decision.relativePath) relativePath = decision.relativePath;
        if (decision.device !== undefined && decision.device !== file.device)
          file = await this.store.rehome(file, decision.device);
      }
      if (relativePath) file.relativePath = relativePath;
      const policy = this.policy();
      if (policy !== 'replace' && (await this.index.findInstance(header.sopInstanceUid))) {
        await file.discard();
        if (policy === 'keep') {
          this.log.info(`duplicate ${header.sopInstanceUid} from ${meta.callingAe}: first copy kept`);
          return { status: Status.Success };
        }
        return {
          status: Status.DuplicateSopInstance,
          comment: `SOP Instance ${header.sopInstanceUid} is already stored`,
        };
      }
      const plan = compression ?? this.compression(meta.dropped ?? false);
      const target = targetSyntax(plan, transferSyntaxUid, UNCOMPRESSED_SYNTAXES);
      // Under the object's lock: a background re-encoding of an earlier copy cannot rename over this one.
      const stored = await this.locks.run(header.sopInstanceUid, () =>
        this.place(file, header, transferSyntaxUid, meta.callingAe),
      );
      if ('error' in stored) return { status: Status.OutOfResources, comment: stored.error };
      const { location, replaced } = stored;
      if (replaced && !sameLocation(replaced, location)) {
        await this.store
          .remove(replaced)
          .catch((err) => this.log.warn(`could not remove replaced file: ${(err as Error).message}`));
      }
      this.onStored({
        header,
        location,
        size: file.size,
        transferSyntaxUid,
        callingAe: meta.callingAe,
        calledAe: meta.calledAe,
        replaced: !!replaced,
      });
      for (const done of after) done();
      if (target)
        this.recoder.add({
          header,
          location,
          from: transferSyntaxUid,
          to: target,
          options: { quality: plan.kind === 'compress' ? plan.quality : undefined },
          callingAe: meta.callingAe,
        });
      return { status: Status.Success };
    };
    return {
      write: (chunk) => file.write(chunk),
      drained: () => file.drained(),
      complete: async (header) => {
        try {
          return await complete(header);
        } catch (err) {
          await file.discard().catch(() => undefined);
          this.log.error(`cannot store ${header.sopInstanceUid} from ${meta.callingAe}: ${(err as Error).message}`);
          return { status: ioFailureStatus(err), comment: `cannot store: ${(err as Error).message}` };
        }
      },
      discard: () => file.discard(),
    };
  }
}
