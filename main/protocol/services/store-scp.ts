import type { Association, DataSink, IncomingMessage } from '../association.ts';
import { CommandField } from '../command.ts';
import { DataSetError, DataSetScanner } from '../../dicom/dataset-scanner.ts';
import { INDEXED_TAGS, instanceHeaderFrom, type InstanceHeader } from '../../dicom/instance-header.ts';
import { DimseError, Status, formatStatus, ioFailureStatus } from '../../dicom/status.ts';
import { isStorageClass } from '../negotiation.ts';
import type { DimseService } from './registry.ts';
import { encodingOf, isValidUid } from '../../../common/uids.ts';
import type { SourceLogger } from '../../util/log.ts';

/** What the store service needs from the archive: it knows nothing of files or databases. */
export interface ObjectReceiver {
  /** Start an object: returns a sink for its data set bytes, or throws if it cannot be received at all. */
  begin(meta: {
    sopClassUid: string;
    sopInstanceUid: string;
    transferSyntaxUid: string;
    callingAe: string;
    calledAe: string;
    /** The sender's IP address and its association's number (what converters' scripts see). */
    peerAddress?: string;
    association?: number;
  }): ReceivedObject;
}

export interface ReceivedObject {
  write(chunk: Uint8Array): boolean;
  drained(): Promise<void>;
  /**
   * The attributes are in (the data set's bytes before its Pixel Data, `dataSetBytes` of them), header checked, and the
   * pixel data still arrives: a receiver may begin deciding on the object now. Not called for an object without
   * Pixel Data at its top level, nor when its header does not check.
   */
  headArrived?(header: InstanceHeader, dataSetBytes: number): void;
  /** All bytes are in and the header checked: make it permanent; resolves with the status to answer. */
  complete(header: InstanceHeader): Promise<{ status: number; comment?: string }>;
  /** Drop it (bad data, peer gone). */
  discard(): Promise<void>;
}

/**
 * Storage SCP (PS3.4 Annex B): the data set streams to the receiver while a scanner checks its structure and picks the
 * header values; only when both are done and the receiver has committed is the response sent.
 */
/** What the SCP answered for one object, for monitoring. */
export interface StoreResult {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  size: number;
  status: number;
}

export class StoreScp implements DimseService {
  readonly name = 'Storage SCP';
  readonly sopClasses = isStorageClass;
  readonly commands = [CommandField.CStoreRQ];
  private readonly receiver: ObjectReceiver;
  private readonly log: SourceLogger;
  private readonly onResult: (assoc: Association, result: StoreResult) => void;

  constructor(
    receiver: ObjectReceiver,
    log: SourceLogger,
    onResult: (assoc: Association, result: StoreResult) => void = () => undefined,
  ) {
    this.receiver = receiver;
    this.log = log;
    this.onResult = onResult;
  }

  /** Called when a C-STORE-RQ command is complete: attach a sink for its data set (it answers when the data set is in). */
  begin(assoc: Association, msg: IncomingMessage): void {
    msg.dataSink = new StoreOperation(assoc, msg, this.receiver, this.log, this.onResult);
  }
}

class StoreOperation implements DataSink {
  private readonly assoc: Association;
  private readonly msg: IncomingMessage;
  private readonly log: SourceLogger;
  private readonly scanner: DataSetScanner;
  private readonly littleEndian: boolean;
  private readonly onResult: (assoc: Association, result: StoreResult) => void;
  private object: ReceivedObject | undefined;
  private failure: DimseError | undefined;
  private headTold = false;

  constructor(
    assoc: Association,
    msg: IncomingMessage,
    receiver: ObjectReceiver,
    log: SourceLogger,
    onResult: (assoc: Association, result: StoreResult) => void,
  ) {
    this.assoc = assoc;
    this.msg = msg;
    this.log = log;
    this.onResult = onResult;
    const encoding = encodingOf(msg.context.transferSyntax);
    this.littleEndian = encoding.littleEndian;
    this.scanner = new DataSetScanner(encoding, INDEXED_TAGS);
    const cmd = msg.command;
    if (encoding.deflated) {
      this.failure = new DimseError(Status.CannotUnderstand, 'deflated transfer syntax is not supported for storage');
      return;
    }
    if (!cmd.affectedSopInstanceUid || !isValidUid(cmd.affectedSopInstanceUid)) {
      this.failure = new DimseError(
        Status.CannotUnderstand,
        `C-STORE-RQ has no valid Affected SOP Instance UID ("${cmd.affectedSopInstanceUid ?? ''}")`,
      );
      return;
    }
    try {
      this.object = receiver.begin({
        sopClassUid: cmd.affectedSopClassUid ?? msg.context.abstractSyntax,
        sopInstanceUid: cmd.affectedSopInstanceUid,
        transferSyntaxUid: msg.context.transferSyntax,
        callingAe: assoc.callingAe,
        calledAe: assoc.calledAe,
        peerAddress: assoc.remoteAddress,
        association: assoc.id,
      });
    } catch (err) {
      this.failure = new DimseError(ioFailureStatus(err), `cannot start storing: ${(err as Error).message}`);
    }
  }

  write(chunk: Uint8Array): boolean {
    if (this.failure) return true; // keep reading to the end of the message, then answer with the failure
    try {
      this.scanner.push(chunk);
    } catch (err) {
      this.fail(err);
      return true;
    }
    const more = this.object!.write(chunk);
    if (!this.headTold && this.scanner.pixelDataOffset !== undefined) this.tellHead(this.scanner.pixelDataOffset);
    return more;
  }

  /** The receiver hears that the attributes are in, when it listens and the header checks (else it hears at the end). */
  private tellHead(dataSetBytes: number): void {
    this.headTold = true;
    if (!this.object!.headArrived) return;
    let header: InstanceHeader;
    try {
      header = this.checkedHeader();
    } catch {
      return;
    }
    this.object!.headArrived(header, dataSetBytes);
  }

  drained(): Promise<void> {
    return this.object && !this.failure ? this.object.drained() : Promise.resolve();
  }

  end(): void {
    void this.finish();
  }

  abort(error: Error): void {
    this.log.warn(`${this.assoc.label}: object ${this.msg.command.affectedSopInstanceUid} dropped: ${error.message}`);
    void this.object
      ?.discard()
      .catch((err) => this.log.error(`cannot remove partial object: ${(err as Error).message}`));
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure =
      err instanceof DimseError
        ? err
        : err instanceof DataSetError
          ? new DimseError(Status.CannotUnderstand, `data set does not parse: ${err.message}`)
          : new DimseError(ioFailureStatus(err), (err as Error).message);
  }

  private async finish(): Promise<void> {
    const cmd = this.msg.command;
    let status: number = Status.Success;
    let comment: string | undefined;
    try {
      if (!this.failure) {
        try {
          this.scanner.end();
        } catch (err) {
          this.fail(err);
        }
      }
      const header = this.failure ? undefined : this.checkedHeader();
      if (this.failure || !header) throw this.failure;
      ({ status, comment } = await this.object!.complete(header));
    } catch (err) {
      this.fail(err);
      status = this.failure!.status;
      comment = this.failure!.message;
      await this.object?.discard().catch(() => undefined);
    }
    const line = `${this.assoc.label}: C-STORE ${cmd.affectedSopInstanceUid} (${this.msg.context.transferSyntax}) -> ${formatStatus(status)}${comment ? ': ' + comment : ''}`;
    if (status === Status.Success) this.log.debug(line);
    else this.log.warn(line);
    this.onResult(this.assoc, {
      sopInstanceUid: cmd.affectedSopInstanceUid ?? '',
      sopClassUid: cmd.affectedSopClassUid ?? this.msg.context.abstractSyntax,
      transferSyntaxUid: this.msg.context.transferSyntax,
      size: this.scanner.bytesScanned,
      status,
    });
    await this.assoc
      .sendMessage(this.msg.context.id, {
        commandField: CommandField.CStoreRSP,
        messageIdBeingRespondedTo: cmd.messageId,
        affectedSopClassUid: cmd.affectedSopClassUid,
        affectedSopInstanceUid: cmd.affectedSopInstanceUid,
        status,
        errorComment: comment && status !== Status.Success ? comment.slice(0, 64) : undefined,
        hasDataSet: false,
      })
      .catch((err) => this.log.warn(`${this.assoc.label}: could not send C-STORE-RSP: ${(err as Error).message}`));
  }

  /** The header must name the object the command announced (PS3.4 B.2.2.2). */
  private checkedHeader(): InstanceHeader {
    const header = instanceHeaderFrom(this.scanner.captured, this.littleEndian);
    const cmd = this.msg.command;
    for (const [key, what] of [
      ['studyInstanceUid', 'Study Instance UID'],
      ['seriesInstanceUid', 'Series Instance UID'],
    ] as const) {
      if (!isValidUid(header[key]))
        throw new DimseError(Status.CannotUnderstand, `data set has no valid ${what} ("${header[key]}")`);
    }
    if (header.sopInstanceUid && header.sopInstanceUid !== cmd.affectedSopInstanceUid) {
      throw new DimseError(
        Status.CannotUnderstand,
        `data set SOP Instance UID ${header.sopInstanceUid} differs from the command's ${cmd.affectedSopInstanceUid}`,
      );
    }
    if (header.sopClassUid && cmd.affectedSopClassUid && header.sopClassUid !== cmd.affectedSopClassUid) {
      throw new DimseError(
        Status.DataSetDoesNotMatchSopClass,
        `data set SOP Class UID ${header.sopClassUid} differs from the command's ${cmd.affectedSopClassUid}`,
      );
    }
    header.sopInstanceUid = cmd.affectedSopInstanceUid!;
    header.sopClassUid ||= cmd.affectedSopClassUid ?? this.msg.context.abstractSyntax;
    return header;
  }
}
