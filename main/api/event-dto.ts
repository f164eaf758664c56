import type { Message } from '../../common/message.ts';

/**
 * The live events (GET /api/events, a WebSocket) and the Monitor's activity (GET /api/activity) as the API's own types:
 * the core's events (runtime/events.ts) and activity (runtime/activity.ts) are checked against these where they are
 * sent (http-api.ts, status-routes.ts), so a change inside the core that would change a message fails the typecheck.
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
export type WorklistEvent =
  | { reason: 'mpps'; sopInstanceUid: string; status: string }
  | { reason: 'scheduled'; patientId: string; studyUid: string; accessionNumber: string };

export interface AssociationSummary {
  id: number;
  role: 'acceptor' | 'requestor';
  peer: string;
  callingAe: string;
  calledAe: string;
  /** Epoch milliseconds. */
  openedAt: number;
  lastAt: number;
  objects: number;
  failed: number;
  bytes: number;
  closedAt?: number;
  reason?: string;
  /** Median time per object (C-STORE request to response), ms, over the objects timed so far. */
  msPerObject?: number;
}

export interface ActivityError {
  at: number;
  /** In English; `message` for the UI to say in the user's language. */
  text: string;
  message?: Message;
}

export interface ActivitySnapshot {
  open: AssociationSummary[];
  recent: AssociationSummary[];
  errors: ActivityError[];
  /** The last HL7 messages received, newest first. */
  hl7: Hl7Event[];
}
