import type { InstanceHeader } from './dicom/instance-header.ts';
import type { ObjectReceiver, ReceivedObject } from './dicom/services/store-scp.ts';
import { Status } from './dicom/status.ts';
import type { FileStore, StoredLocation } from './store/file-store.ts';
import type { ArchiveIndex } from './index/archive-index.ts';
import type { DuplicatePolicy } from './config/server-settings.ts';
import type { SourceLogger } from './util/log.ts';
import { targetSyntax, type CompressionPlan } from '../common/compression-code.ts';
import { UNCOMPRESSED_SYNTAXES } from '../common/uids.ts';
import { transcoder } from './codec/transcoder.ts';
import { readDataSetBytes } from './store/object-reader.ts';
import type { IncomingObject } from './store/incoming-object.ts';

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

/**
 * Receiving into the archive: the file store writes and places the file, the index records it, and the duplicate
 * policy decides what a known SOP Instance UID does. The index row is committed only after the file is in place.
 */
export class ArchiveIngest implements ObjectReceiver {
  private readonly store: FileStore;
  private readonly index: ArchiveIndex;
  private readonly policy: () => DuplicatePolicy;
  private readonly log: SourceLogger;
  private readonly onStored: (event: StoredEvent) => void;
  private readonly compression: (dropped: boolean) => CompressionPlan;

  /**
   * `policy` and `compression` (IncomingCompression, or DroppedFileCompression for imports) are read for each object,
   * so a changed dicom.ini applies at once.
   */
  constructor(store: FileStore, index: ArchiveIndex, policy: () => DuplicatePolicy, log: SourceLogger, onStored: (e: StoredEvent) => void = () => undefined,
    compression: (dropped: boolean) => CompressionPlan = () => ({ kind: 'keep' })) {
    this.store = store;
    this.index = index;
    this.policy = policy;
    this.log = log;
    this.onStored = onStored;
    this.compression = compression;
  }

  /** `dropped`: an import (folder, CD, upload), stored by DroppedFileCompression instead of IncomingCompression. */
  begin(meta: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; callingAe: string; calledAe: string; dropped?: boolean }): ReceivedObject {
    let file = this.store.begin({ ...meta, sourceAe: meta.callingAe });
    const complete = async (header: InstanceHeader): Promise<{ status: number; comment?: string }> => {
      await file.finish();
      const policy = this.policy();
      if (policy !== 'replace' && (await this.index.findInstance(header.sopInstanceUid))) {
        await file.discard();
        if (policy === 'keep') {
          this.log.info(`duplicate ${header.sopInstanceUid} from ${meta.callingAe}: first copy kept`);
          return { status: Status.Success };
        }
        return { status: Status.DuplicateSopInstance, comment: `SOP Instance ${header.sopInstanceUid} is already stored` };
      }
      let transferSyntaxUid = meta.transferSyntaxUid;
      const plan = this.compression(meta.dropped ?? false);
      const target = targetSyntax(plan, transferSyntaxUid, UNCOMPRESSED_SYNTAXES);
      if (target) ({ file, transferSyntaxUid } = await this.recode(file, meta, target, plan.kind === 'compress' ? plan.quality : undefined));
      const location = await this.store.commit(file, header);
      let replaced: StoredLocation | undefined;
      try {
        ({ replaced } = await this.index.storeInstance({ header, transferSyntaxUid, location, size: file.size, callingAe: meta.callingAe }));
      } catch (err) {
        // Not indexed means not stored: take the file away again unless it replaced an indexed one in place.
        const old = await this.index.findInstance(header.sopInstanceUid).catch(() => undefined);
        if (!old || old.location.relativePath !== location.relativePath || old.location.device !== location.device) await this.store.remove(location);
        this.log.error(`index write failed for ${header.sopInstanceUid}: ${(err as Error).message}`);
        return { status: Status.OutOfResources, comment: `index write failed: ${(err as Error).message}` };
      }
      if (replaced && (replaced.relativePath !== location.relativePath || replaced.device !== location.device)) {
        await this.store.remove(replaced).catch((err) => this.log.warn(`could not remove replaced file: ${(err as Error).message}`));
      }
      this.onStored({ header, location, size: file.size, transferSyntaxUid, callingAe: meta.callingAe, calledAe: meta.calledAe, replaced: !!replaced });
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
          return { status: Status.OutOfResources, comment: `cannot store: ${(err as Error).message}` };
        }
      },
      discard: () => file.discard(),
    };
  }

  /**
   * The received object in `target` (the codec workers convert it); the object as received when it cannot be (a
   * colour image for JPEG 2000, a syntax without a decoder): nothing received is lost, the log says why.
   */
  private async recode(file: IncomingObject & { device: number }, meta: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; callingAe: string },
    target: string, quality: number | undefined): Promise<{ file: IncomingObject & { device: number }; transferSyntaxUid: string }> {
    const kept = { file, transferSyntaxUid: meta.transferSyntaxUid };
    if (!transcoder.canTranscode(meta.transferSyntaxUid, target, { quality })) return kept;
    let converted: Buffer;
    try {
      converted = await transcoder.transcode(await readDataSetBytes(file.tempPath), meta.transferSyntaxUid, target, { quality });
    } catch (err) {
      this.log.warn(`${meta.sopInstanceUid} from ${meta.callingAe} kept as received (${meta.transferSyntaxUid}): cannot store it as ${target}: ${(err as Error).message}`);
      return kept;
    }
    const next = this.store.begin({ ...meta, transferSyntaxUid: target, sourceAe: meta.callingAe });
    next.write(converted);
    await next.finish();
    await file.discard();
    return { file: next, transferSyntaxUid: target };
  }
}
