import { isSequence, itemsOf, textElement, textOf, uint16Element, type DataSet } from '../../dicom/dataset.ts';
import { DimseError, Status } from '../../dicom/status.ts';
import { isValidUid } from '../../../common/uids.ts';
import { Tag } from '../../dicom/tags.ts';

/**
 * The data sets of Storage Commitment Push Model (PS3.4 J.3.2, J.3.3): the N-ACTION's Action Information (a Transaction
 * UID and the references to commit) and the N-EVENT-REPORT's Event Information (the same Transaction UID, the committed
 * references and the failed ones with a reason). Pure: both the SCP and the SCU side read and write them here.
 */

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
  const transactionUid = textOf(ds.get(Tag.TransactionUID));
  if (!isValidUid(transactionUid))
    throw new DimseError(Status.InvalidArgumentValue, `Transaction UID "${transactionUid}" is missing or not a UID`);
  const seq = ds.get(Tag.ReferencedSOPSequence);
  if (!seq || !isSequence(seq) || !seq.value.length)
    throw new DimseError(Status.InvalidArgumentValue, 'Referenced SOP Sequence (0008,1199) is missing or empty');
  const references = seq.value.map((item, i) => {
    const ref = {
      sopClassUid: textOf(item.get(Tag.ReferencedSOPClassUID)),
      sopInstanceUid: textOf(item.get(Tag.ReferencedSOPInstanceUID)),
    };
    if (!isValidUid(ref.sopClassUid) || !isValidUid(ref.sopInstanceUid)) {
      throw new DimseError(
        Status.InvalidArgumentValue,
        `Referenced SOP Sequence item ${i + 1} lacks a valid SOP Class or Instance UID`,
      );
    }
    return ref;
  });
  return { transactionUid, references };
}

export function writeCommitmentRequest(request: CommitmentRequest): DataSet {
  return new Map([
    [Tag.TransactionUID, textElement(Tag.TransactionUID, 'UI', request.transactionUid)],
    [
      Tag.ReferencedSOPSequence,
      { tag: Tag.ReferencedSOPSequence, vr: 'SQ', value: request.references.map(referenceItem) },
    ],
  ]);
}

/** The Event Information of the N-EVENT-REPORT and its Event Type ID. */
export function writeCommitmentResult(result: CommitmentResult): { eventTypeId: number; info: DataSet } {
  const info: DataSet = new Map([[Tag.TransactionUID, textElement(Tag.TransactionUID, 'UI', result.transactionUid)]]);
  if (result.retrieveAe && result.committed.length)
    info.set(Tag.RetrieveAETitle, textElement(Tag.RetrieveAETitle, 'AE', result.retrieveAe));
  if (result.failed.length) {
    info.set(Tag.FailedSOPSequence, {
      tag: Tag.FailedSOPSequence,
      vr: 'SQ',
      value: result.failed.map((f) => {
        const item = referenceItem(f);
        item.set(Tag.FailureReason, uint16Element(Tag.FailureReason, f.reason));
        return item;
      }),
    });
  }
  if (result.committed.length)
    info.set(Tag.ReferencedSOPSequence, {
      tag: Tag.ReferencedSOPSequence,
      vr: 'SQ',
      value: result.committed.map(referenceItem),
    });
  return { eventTypeId: result.failed.length ? CommitmentEvent.FailuresExist : CommitmentEvent.Success, info };
}

/** Read an N-EVENT-REPORT's Event Information (the SCU side). */
export function readCommitmentResult(ds: DataSet | undefined): CommitmentResult {
  if (!ds) throw new DimseError(Status.MissingAttribute, 'N-EVENT-REPORT without Event Information');
  const transactionUid = textOf(ds.get(Tag.TransactionUID));
  if (!isValidUid(transactionUid))
    throw new DimseError(Status.InvalidArgumentValue, `Transaction UID "${transactionUid}" is missing or not a UID`);
  const ref = (item: DataSet) => ({
    sopClassUid: textOf(item.get(Tag.ReferencedSOPClassUID)),
    sopInstanceUid: textOf(item.get(Tag.ReferencedSOPInstanceUID)),
  });
  return {
    transactionUid,
    committed: itemsOf(ds, Tag.ReferencedSOPSequence).map(ref),
    failed: itemsOf(ds, Tag.FailedSOPSequence).map((item) => {
      const reason = item.get(Tag.FailureReason);
      return {
        ...ref(item),
        reason:
          reason && Buffer.isBuffer(reason.value) && reason.value.length >= 2
            ? reason.value.readUInt16LE(0)
            : FailureReason.ProcessingFailure,
      };
    }),
    retrieveAe: textOf(ds.get(Tag.RetrieveAETitle)) || undefined,
  };
}

function referenceItem(ref: SopReference): DataSet {
  return new Map([
    [Tag.ReferencedSOPClassUID, textElement(Tag.ReferencedSOPClassUID, 'UI', ref.sopClassUid)],
    [Tag.ReferencedSOPInstanceUID, textElement(Tag.ReferencedSOPInstanceUID, 'UI', ref.sopInstanceUid)],
  ]);
}
