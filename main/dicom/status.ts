import type { DataSet } from './dataset.ts';

/** DIMSE status codes (PS3.7 Annex C, PS3.4 B.2.3 for C-STORE). */
export const Status = {
  Success: 0x0000,
  Cancel: 0xfe00,
  Pending: 0xff00,
  /** C-FIND: matches continue, but an optional key given a value was not matched on (PS3.4 C.4.1.1.4) */
  PendingWarning: 0xff01,
  /** C-STORE warnings */
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  /** C-STORE failures */
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  /** Query/Retrieve (PS3.4 C.4.1.1.4, C.4.2.1.5, C.4.3.1.4) */
  IdentifierDoesNotMatchSopClass: 0xa900,
  UnableToProcess: 0xc000,
  OutOfResourcesMatches: 0xa701,
  OutOfResourcesSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  SubOperationsCompleteWithFailures: 0xb000,
  /** general failures (PS3.7 C.5) */
  DuplicateSopInstance: 0x0111,
  SopClassNotSupported: 0x0122,
  ProcessingFailure: 0x0110,
  UnrecognizedOperation: 0x0211,
  /** PS3.7 C.5.22: the requester may not invoke this operation (here: a C-MOVE destination noderights.map does not allow). */
  NotAuthorized: 0x0124,
  /** N-services (PS3.7 C.5) */
  NoSuchSopClass: 0x0118,
  NoSuchSopInstance: 0x0112,
  NoSuchActionType: 0x0123,
  NoSuchEventType: 0x0113,
  InvalidArgumentValue: 0x0115,
  InvalidAttributeValue: 0x0106,
  MissingAttribute: 0x0120,
  MistypedArgument: 0x0212,
} as const;

export function statusName(code: number): string {
  for (const [name, value] of Object.entries(Status)) if (value === code) return name;
  return 'Status';
}

export function formatStatus(code: number): string {
  return `${statusName(code)} (0x${code.toString(16).padStart(4, '0').toUpperCase()})`;
}

/**
 * A failure answered to the peer (as dcm4che's DicomServiceException): the DIMSE status, an error comment, and an
 * optional identifier data set (the failed SOP instances of a retrieve, say). Services throw it; the service registry
 * (services/registry.ts) builds the response.
 */
export class DimseError extends Error {
  readonly status: number;
  readonly identifier?: DataSet;
  constructor(status: number, comment: string, identifier?: DataSet) {
    super(comment);
    this.name = 'DimseError';
    this.status = status;
    this.identifier = identifier;
  }
}

/**
 * The status for an object or identifier that could not be written or read: out of resources (0xA700) only when the
 * disk is full (a modality then tries another archive, or later); a file another program holds, or any other failure,
 * is a processing failure (0x0110, PS3.7 C.5) whose comment says what happened.
 */
export function ioFailureStatus(err: unknown): number {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? Status.OutOfResources : Status.ProcessingFailure;
}
