import type { QrAttribute } from '../../query/attributes.ts';
import type { CompressionPlan } from '../../../common/compression-code.ts';
import type { Association } from '../association.ts';
import type { QrRequest, Row, WorklistKey, WorklistRequest } from '../../query/identifier.ts';
import type { OutgoingObject } from './store-scu.ts';
import type { CommitmentRequest, CommitmentResult } from './commitment-info.ts';
import type { DataSet } from '../../dicom/dataset.ts';
import type { TlsSettings } from '../network.ts';

/**
 * What the query and retrieve services ask of the archive (as Orthanc's I*RequestHandler): they parse the request,
 * count, cancel and answer; the archive behind these ports decides how to search and where objects are. The protocol
 * code knows no database or file (the storage service's port is ObjectReceiver, in store-scp.ts).
 */

/** C-FIND: the rows matching a parsed request, each with the request's return keys by keyword. */
export interface QueryPort {
  /** In chunks, read as the answers leave: a query over millions of objects never sits in memory. */
  findArchive(request: QrRequest): AsyncIterable<Row[]>;
  findWorklist(request: WorklistRequest): Promise<Row[]>;
  /** The keys dicom.sql added to the index, beside its own (QR_ATTRIBUTES). */
  addedKeys?(): readonly QrAttribute[];
  /** The keys dicom.sql added to the worklist, beside its own (MWL_ATTRIBUTES, MWL_STEP_ATTRIBUTES). */
  addedWorklistKeys?(): readonly WorklistKey[];
}

/**
 * Virtual servers: a C-FIND passed on to upstream nodes as well. `prepare` gives the identifier the local search sees
 * (marks between archives taken off) and, when upstreams are asked, their answers to come, merged by the level's
 * unique key, with a note for each upstream that did not answer.
 */
export interface QueryUpstreams {
  prepare(
    identifier: DataSet,
    sopClass: string,
    callingAe: string,
  ): {
    identifier: DataSet;
    upstream?: { uniqueKey: number; answers: Promise<{ answers: DataSet[]; notes: string[] }> };
  };
}

/** C-MOVE and C-GET: the stored objects under the entities a request names, in series and instance order. */
export interface RetrievePort {
  objectsFor(request: QrRequest): Promise<OutgoingObject[]>;
}

/**
 * Virtual servers: a C-MOVE or C-GET lists, besides the objects stored here, those only upstream nodes hold; each of
 * those is fetched from its upstream and read once it arrived. `ended` is told when the retrieve is over.
 */
export interface RetrieveUpstreams {
  extend(request: QrRequest, local: OutgoingObject[], callingAe: string): Promise<OutgoingObject[]>;
  ended(objects: OutgoingObject[]): void;
}

export interface MoveDestination {
  host: string;
  port: number;
  /** The node's compression code (acrnema.map): what its objects are sent in. */
  compression: CompressionPlan;
  /** Reached over DICOM TLS (TLSNodes), with these credentials. */
  tls?: TlsSettings;
}

/** C-MOVE: where a move destination AE title lives (acrnema.map); undefined when unknown. */
export type DestinationPort = (ae: string, requester: Association) => MoveDestination | undefined;

/**
 * Storage Commitment (PS3.4 J): the archive keeps each request until it has reported on it, and matches the reports
 * other nodes send on requests of ours. `answered` settles once the N-ACTION response is on its way, so a report sent
 * on the same association never overtakes it.
 */
export interface CommitmentPort {
  requested(
    request: CommitmentRequest,
    from: { assoc: Association; contextId: number },
    answered: Promise<void>,
  ): Promise<void>;
  /** A node's report on a request of ours; false when no request of ours has that Transaction UID. */
  reported(result: CommitmentResult, fromAe: string): Promise<boolean>;
}

/**
 * Modality Performed Procedure Step (PS3.4 F): steps by SOP Instance UID, as data sets the service has checked
 * (mpps-rules.ts). `create` refuses a UID it already holds with DimseError(DuplicateSopInstance).
 */
export interface MppsPort {
  create(sopInstanceUid: string, step: DataSet, callingAe: string): Promise<void>;
  get(sopInstanceUid: string): Promise<DataSet | undefined>;
  /** The step after an N-SET (`changes` applied), with what the N-SET carried. */
  set(sopInstanceUid: string, step: DataSet, changes: DataSet, callingAe: string): Promise<void>;
}
