import type { Message } from '../../common/message.ts';
import { EventEmitter } from 'node:events';

/**
 * The core's one stream of live events: associations opening and closing, objects received and sent, job progress.
 * The monitor (API, UI) subscribes here; nothing in the core waits on a listener.
 */

export interface AssociationEvent {
  /** 'timing': objects went over it (at most once a second while they do). */
  type: 'opened' | 'timing' | 'closed';
  id: number;
  /** acceptor: a peer called us; requestor: we called a peer. */
  role: 'acceptor' | 'requestor';
  peer: string;
  callingAe: string;
  calledAe: string;
  /** Accepted abstract syntaxes with their transfer syntax. */
  contexts: { abstractSyntax: string; transferSyntax: string }[];
  reason?: string;
  /** C-STORE requests answered on it so far, either way, and the median of their times (request to response), ms. */
  objectsTimed?: number;
  msPerObject?: number;
}

export interface ObjectEvent {
  direction: 'received' | 'sent';
  /** How it went: received by C-STORE; sent by a send or forward (C-STORE), or as a C-MOVE's or C-GET's. */
  service?: 'C-STORE' | 'C-MOVE' | 'C-GET';
  associationId: number;
  peerAe: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  size: number;
  status: number;
}

export interface JobEvent {
  id: number;
  kind: string;
  state: string;
  source: string;
  destination: string;
  total: number;
  done: number;
  failed: number;
  bytes: number;
  /** Bytes per second since the job started running. */
  rate: number;
  error: string;
  /** The error as a message, for the UI to say in the user's language. */
  errorMessage?: Message;
  /** A queued job that failed an attempt: when it tries again (epoch ms; 0 when it is not waiting to retry). */
  nextAttemptAt: number;
  /** Storage Commitment of a send or forward ('' when not asked): asked, requested, committed, failed. */
  commitment: string;
}

/** An HL7 message received, with the acknowledgment code it got (AA, AE, AR) and what it did or why not. */
export interface Hl7Event {
  at: number;
  peer: string;
  type: string;
  controlId: string;
  code: string;
  text: string;
  /** What it did, as a message for the UI to say in the user's language. */
  message?: Message;
}

/** The worklist changed outside the screen that shows it: a modality's MPPS (created or set), an HL7 order. */
/** A modality reported a step (MPPS), or a worklist entry was made (an HL7 order, or by hand). */
export type WorklistEvent =
  | { reason: 'mpps'; sopInstanceUid: string; status: string }
  | { reason: 'scheduled'; patientId: string; studyUid: string; accessionNumber: string };

/**
 * A DIMSE request and its final response: one this archive answered (role 'scp', timed from its first byte) or one it
 * made of another node (role 'scu', timed from its sending).
 */
export interface DimseEvent {
  role: 'scp' | 'scu';
  command: string;
  peerAe: string;
  ms: number;
  status: number;
}

interface EventMap {
  hl7: [Hl7Event];
  dimse: [DimseEvent];
  worklist: [WorklistEvent];
  association: [AssociationEvent];
  object: [ObjectEvent];
  job: [JobEvent];
}

/** A listener that throws is reported, never allowed to break the DICOM work that announced the event. */
export class ArchiveEvents extends EventEmitter<EventMap> {
  onListenerError: (err: Error) => void = (err) => process.stderr.write(`event listener failed: ${err.stack ?? err}\n`);

  override emit<K extends keyof EventMap>(event: K, ...args: EventMap[K]): boolean {
    try {
      return (EventEmitter.prototype.emit as (this: EventEmitter, e: string, ...a: unknown[]) => boolean).call(
        this,
        event,
        ...args,
      );
    } catch (err) {
      this.onListenerError(err as Error);
      return true;
    }
  }
}
