import { isSequence, itemsOf, textElement, textOf, uint16Element, type DataSet } from '../../dicom/dataset.ts';
import { DimseError, Status } from '../../dicom/status.ts';
import { isValidUid } from '../../../common/uids.ts';
import { Tag } from '../../dicom/tags.ts';

/**
 * The data sets of Storage Commitment Push Model (PS3.4 J.3.2, J.3.3): the N-ACTION's Action Information (a Transaction
 * UID and the references to commit) and the N-EVENT-REPORT's Event Information (the same Transaction UID, the committed
 * references and the failed ones with a reason). Pure: both the SCP and the SCU side read and write them here.
 */

export const TRANSACTION_UID = Tag.TransactionUID;
export const REFERENCED_SOP_SEQUENCE = Tag.ReferencedSOPSequence;
export const FAILED_SOP_SEQUENCE = Tag.FailedSOPSequence;
export const REFERENCED_SOP_CLASS_UID = Tag.ReferencedSOPClassUID;
export const REFERENCED_SOP_INSTANCE_UID = Tag.ReferencedSOPInstanceUID;
export const FAILURE_REASON = Tag.FailureReason;
export const RETRIEVE_AE_TITLE = Tag.RetrieveAETitle;

/** Action Type ID 1: Request Storage Commitment (PS3.4 Table J.3-1). */
export const REQUEST_COMMITMENT_ACTION = 1;
/** Event Type IDs (PS3.4 Table J.3-2): all committed, or failures exist. */
export const CommitmentEvent = { Success: 1, FailuresExist: 2 } as const;

/** Failure Reasons (PS3.4 J.3.3.1.1.1). */
export const FailureReason = {
  ProcessingFailure: 0x0110,
  NoSuchObjectInstance: 0x0112,
  ResourceLimitation: 0x0213,
  ReferencedSopClassNotSupported: 0x0122,
  ClassInstanceConflict: 0x0119,
  DuplicateTransactionUid: 0x0131,
} as const;

export interface SopReference {
  sopClassUid: string;
  sopInstanceUid: string;
}

export interface FailedReference extends SopReference {
  reason: number;
}

export interface CommitmentRequest {
  transactionUid: string;
  references: SopReference[];
}

export interface CommitmentResult {
  transactionUid: string;
  committed: SopReference[];
  failed: FailedReference[];
  /** Where the committed objects can be retrieved from (our AE title), optional. */
  retrieveAe?: string;
}

/** Read and check an N-ACTION's Action Information; a malformed one is refused with the status PS3.7 10.1.4.1.10 names. */
export function readCommitmentRequest(ds: DataSet | undefined): CommitmentRequest {
  if (!ds) throw new DimseError(Status.MissingAttribute, 'N-ACTION without Action Information');
  const transactionUid = textOf(ds.get(TRANSACTION_UID));
  if (!isValidUid(transactionUid)) throw new DimseError(Status.InvalidArgumentValue, `Transaction UID "${transactionUid}" is missing or not a UID`);
  const seq = ds.get(REFERENCED_SOP_SEQUENCE);
  if (!seq || !isSequence(seq) || !seq.value.length) throw new DimseError(Status.InvalidArgumentValue, 'Referenced SOP Sequence (0008,1199) is missing or empty');
  const references = seq.value.map((item, i) => {
    const ref = { sopClassUid: textOf(item.get(REFERENCED_SOP_CLASS_UID)), sopInstanceUid: textOf(item.get(REFERENCED_SOP_INSTANCE_UID)) };
    if (!isValidUid(ref.sopClassUid) || !isValidUid(ref.sopInstanceUid)) {
      throw new DimseError(Status.InvalidArgumentValue, `Referenced SOP Sequence item ${i + 1} lacks a valid SOP Class or Instance UID`);
    }
    return ref;
  });
  return { transactionUid, references };
}

export function writeCommitmentRequest(request: CommitmentRequest): DataSet {
  return new Map([
    [TRANSACTION_UID, textElement(TRANSACTION_UID, 'UI', request.transactionUid)],
    [REFERENCED_SOP_SEQUENCE, { tag: REFERENCED_SOP_SEQUENCE, vr: 'SQ', value: request.references.map(referenceItem) }],
  ]);
}

/** The Event Information of the N-EVENT-REPORT and its Event Type ID. */
export function writeCommitmentResult(result: CommitmentResult): { eventTypeId: number; info: DataSet } {
  const info: DataSet = new Map([[TRANSACTION_UID, textElement(TRANSACTION_UID, 'UI', result.transactionUid)]]);
  if (result.retrieveAe && result.committed.length) info.set(RETRIEVE_AE_TITLE, textElement(RETRIEVE_AE_TITLE, 'AE', result.retrieveAe));
  if (result.failed.length) {
    info.set(FAILED_SOP_SEQUENCE, { tag: FAILED_SOP_SEQUENCE, vr: 'SQ', value: result.failed.map((f) => {
      const item = referenceItem(f);
      item.set(FAILURE_REASON, uint16Element(FAILURE_REASON, f.reason));
      return item;
    }) });
  }
  if (result.committed.length) info.set(REFERENCED_SOP_SEQUENCE, { tag: REFERENCED_SOP_SEQUENCE, vr: 'SQ', value: result.committed.map(referenceItem) });
  return { eventTypeId: result.failed.length ? CommitmentEvent.FailuresExist : CommitmentEvent.Success, info };
}

/** Read an N-EVENT-REPORT's Event Information (the SCU side). */
export function readCommitmentResult(ds: DataSet | undefined): CommitmentResult {
  if (!ds) throw new DimseError(Status.MissingAttribute, 'N-EVENT-REPORT without Event Information');
  const transactionUid = textOf(ds.get(TRANSACTION_UID));
  if (!isValidUid(transactionUid)) throw new DimseError(Status.InvalidArgumentValue, `Transaction UID "${transactionUid}" is missing or not a UID`);
  const ref = (item: DataSet) => ({ sopClassUid: textOf(item.get(REFERENCED_SOP_CLASS_UID)), sopInstanceUid: textOf(item.get(REFERENCED_SOP_INSTANCE_UID)) });
  return {
    transactionUid,
    committed: itemsOf(ds, REFERENCED_SOP_SEQUENCE).map(ref),
    failed: itemsOf(ds, FAILED_SOP_SEQUENCE).map((item) => {
      const reason = item.get(FAILURE_REASON);
      return { ...ref(item), reason: reason && Buffer.isBuffer(reason.value) && reason.value.length >= 2 ? reason.value.readUInt16LE(0) : FailureReason.ProcessingFailure };
    }),
    retrieveAe: textOf(ds.get(RETRIEVE_AE_TITLE)) || undefined,
  };
}

function referenceItem(ref: SopReference): DataSet {
  return new Map([
    [REFERENCED_SOP_CLASS_UID, textElement(REFERENCED_SOP_CLASS_UID, 'UI', ref.sopClassUid)],
    [REFERENCED_SOP_INSTANCE_UID, textElement(REFERENCED_SOP_INSTANCE_UID, 'UI', ref.sopInstanceUid)],
  ]);
}
