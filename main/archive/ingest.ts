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
  /** Only its head is here (held): its pixel data still arrives. */
  headOnly: boolean;
}

/**
 * What a check decided: store (with the header of the object as it now is), drop quietly, or refuse to the sender.
 * `effects`: what it does outside the object (files written, programs run, UID pairs kept), done once the object is in
 * full, whatever the decision: a check may run while its pixel data still arrives, and an object that never arrives in
 * full has no effects.
 */
export type ArrivalDecision = (
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
  | { outcome: 'reject'; comment: string }
) & { effects?: () => Promise<void> };

/**
 * How much of an arriving object the checks need in memory: none (no check changes objects), its head (the attributes
 * before Pixel Data: they run while the pixel data arrives, which then streams to the file behind the changed head), or
 * the whole object (a check hands it to a program).
 */
export type HoldMode = 'none' | 'head' | 'whole';

/** What the checks decided for one object, before its effects and its storing. */
type Decided = ArrivalDecision & { afters: (() => void)[]; effectsOf: (() => Promise<void>)[]; device: number };

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
  /**
   * Objects whose stored file is damaged and a copy of which is being fetched (VerifyStorage's repair): that copy
   * replaces the file whatever the duplicate policy says.
   */
  readonly repairs = new Set<string>();
  private readonly recoder: BackgroundRecoder;
  private readonly checks: ((object: ArrivingObject) => Promise<ArrivalDecision>)[] = [];
  private readonly holders: (() => HoldMode)[] = [];

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
   * `holds`: objects up to HOLD_BYTES are kept in memory until placed (whole, or their heads while the checks run), so a
   * check that changes them rewrites them without a second write to disk.
   */
  beforeStore(check: (object: ArrivingObject) => Promise<ArrivalDecision>, holds?: () => HoldMode): void {
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
    // Every byte given to the file (a held object's too) before its checksum is read: held bytes count once written.
    file.spill();
    const [placed, indexed] = await Promise.allSettled([
      this.store.commit(file, header),
      this.index.storeInstance({
        header,
        transferSyntaxUid,
        location,
        size: file.size,
        callingAe,
        checksum: file.checksum,
      }),
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

  /** How much of an arriving object the checks hold in memory now (the most any of them asks for). */
  private holdMode(): HoldMode {
    let mode: HoldMode = 'none';
    for (const h of this.holders) {
      const m = h();
      if (m === 'whole') return m;
      if (m === 'head') mode = m;
    }
    return mode;
  }

  /** The checks in order on one object (its head or all of it), until one drops or refuses it. */
  private async decide(
    file: StoreObject,
    received: InstanceHeader,
    meta: { callingAe: string; calledAe: string; dropped?: boolean; peerAddress?: string; association?: number },
  ): Promise<Decided> {
    const afters: (() => void)[] = [];
    const effectsOf: (() => Promise<void>)[] = [];
    let stored: ArrivalDecision & { outcome: 'store' } = { outcome: 'store', header: received };
    let device = file.device;
    for (const check of this.checks) {
      const decision = await check({
        file: file.tempPath,
        header: stored.header,
        callingAe: meta.callingAe,
        calledAe: meta.calledAe,
        dropped: meta.dropped ?? false,
        peerAddress: meta.peerAddress ?? '',
        association: meta.association ?? 0,
        device,
        replaceWith: (path, size) => file.replaceWith(path, size),
        held: () => file.heldChunks(),
        replaceHeld: (chunks) => file.replaceHeld(chunks),
        headOnly: file.headOnly,
      });
      if (decision.effects) effectsOf.push(decision.effects);
      if (decision.outcome !== 'store') return { ...decision, afters, effectsOf, device };
      if (decision.afterStore) afters.push(decision.afterStore);
      stored = {
        outcome: 'store',
        header: decision.header,
        compression: decision.compression ?? stored.compression,
        transferSyntaxUid: decision.transferSyntaxUid ?? stored.transferSyntaxUid,
        relativePath: decision.relativePath ?? stored.relativePath,
      };
      if (decision.device !== undefined) device = decision.device;
    }
    return { ...stored, afters, effectsOf, device };
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
    const mode = this.holdMode();
    let file = this.store.begin({ ...meta, sourceAe: meta.callingAe }, mode === 'none' ? 0 : HOLD_BYTES);
    /** The checks' decision, begun when the head arrived (HoldMode 'head'). */
    let early: Promise<Decided> | undefined;
    const headArrived = (header: InstanceHeader, dataSetBytes: number): void => {
      if (!file.holdHead(dataSetBytes)) return;
      early = this.decide(file, header, meta).then(
        (decided) => {
          // Stored: the pixel data follows the (changed) head to the file as it arrives; else nothing more is kept.
          if (decided.outcome === 'store') file.spill();
          else file.drop();
          return decided;
        },
        (err: unknown) => {
          file.drop();
          throw err;
        },
      );
      early.catch(() => undefined);
    };
    const complete = async (received: InstanceHeader): Promise<{ status: number; comment?: string }> => {
      const decided = early ? await early : undefined;
      await file.finish();
      const decision = decided ?? (await this.decide(file, received, meta));
      for (const effects of decision.effectsOf) await effects();
      if (decision.outcome === 'destroy') {
        await file.discard();
        return { status: Status.Success };
      }
      if (decision.outcome === 'reject') {
        await file.discard();
        return { status: Status.UnableToProcess, comment: decision.comment };
      }
      const { header, relativePath, afters } = decision;
      const transferSyntaxUid = decision.transferSyntaxUid ?? meta.transferSyntaxUid;
      if (decision.device !== file.device) file = await this.store.rehome(file, decision.device);
      if (relativePath) file.relativePath = relativePath;
      const policy = this.policy();
      if (
        policy !== 'replace' &&
        !this.repairs.has(header.sopInstanceUid) &&
        (await this.index.findInstance(header.sopInstanceUid))
      ) {
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
      const plan = decision.compression ?? this.compression(meta.dropped ?? false);
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
      for (const done of afters) done();
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
      headArrived: mode === 'head' && this.checks.length ? headArrived : undefined,
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
