import { english, msg, verbatim, type Message } from '../../common/message.ts';
import type { ArchiveEvents, AssociationEvent, Hl7Event, JobEvent, ObjectEvent } from './events.ts';

/**
 * What the monitor shows, kept by the core so that a window opened later sees it too: the open associations with their
 * objects and bytes, the last closed ones, recent errors (aborted associations, failed objects, failed jobs) and HL7
 * messages; all but the open associations survive a restart (activity-file.ts), each list bounded.
 */

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

const RECENT = 20;
const HL7_RECENT = 50;
const ERRORS = 50;

/** A DICOM status that is neither success nor a warning (PS3.7 C). */
export function isFailureStatus(status: number): boolean {
  return status !== 0 && (status & 0xf000) !== 0xb000;
}

export class Activity {
  private readonly open = new Map<number, AssociationSummary>();
  private recent: AssociationSummary[] = [];
  private errors: ActivityError[] = [];
  private hl7: Hl7Event[] = [];

  constructor(events: ArchiveEvents) {
    events.on('association', (e) => this.onAssociation(e));
    events.on('object', (e) => this.onObject(e));
    events.on('job', (e) => this.onJob(e));
    events.on('hl7', (e) => {
      this.hl7 = [e, ...this.hl7].slice(0, HL7_RECENT);
      if (e.code !== 'AA')
        this.error(
          msg('HL7 {type} from {peer}: {code} {reason}', {
            type: e.type || 'connection',
            peer: e.peer,
            code: e.code,
            reason: e.message ?? verbatim(e.text),
          }),
        );
      this.onChange();
    });
  }

  /** Called when what survives a restart (recent associations, errors, HL7 messages) changed: activity-file.ts saves it. */
  onChange: () => void = () => undefined;

  /** What an earlier run kept (activity-file.ts); open associations did not survive it. */
  restore(saved: Partial<Pick<ActivitySnapshot, 'recent' | 'errors' | 'hl7'>>): void {
    this.recent = (saved.recent ?? []).slice(0, RECENT);
    this.errors = (saved.errors ?? []).slice(0, ERRORS);
    this.hl7 = (saved.hl7 ?? []).slice(0, HL7_RECENT);
  }

  snapshot(): ActivitySnapshot {
    return {
      open: [...this.open.values()].map((a) => ({ ...a })),
      recent: [...this.recent],
      errors: [...this.errors],
      hl7: [...this.hl7],
    };
  }

  /** A problem the archive found itself (at start, what a crash left and was repaired): shown with the errors. */
  problem(said: Message): void {
    this.error(said);
  }

  private error(said: Message): void {
    this.errors = [{ at: Date.now(), text: english(said), message: said }, ...this.errors].slice(0, ERRORS);
    this.onChange();
  }

  private onAssociation(e: AssociationEvent): void {
    const now = Date.now();
    if (e.type === 'opened') {
      this.open.set(e.id, {
        id: e.id,
        role: e.role,
        peer: e.peer,
        callingAe: e.callingAe,
        calledAe: e.calledAe,
        openedAt: now,
        lastAt: now,
        objects: 0,
        failed: 0,
        bytes: 0,
      });
      return;
    }
    const a = this.open.get(e.id);
    if (a && e.msPerObject !== undefined) a.msPerObject = e.msPerObject;
    if (e.type === 'timing' || !a) return;
    this.open.delete(e.id);
    this.recent = [{ ...a, closedAt: now, reason: e.reason ?? '' }, ...this.recent].slice(0, RECENT);
    this.onChange();
    if (e.reason && e.reason !== 'released' && e.reason !== 'closed')
      this.error(
        msg('{calling} → {called} ({peer}): association {reason}', {
          calling: e.callingAe,
          called: e.calledAe,
          peer: e.peer,
          reason: verbatim(e.reason),
        }),
      );
  }

  private onObject(e: ObjectEvent): void {
    const a = this.open.get(e.associationId);
    const failed = isFailureStatus(e.status);
    if (a) {
      a.objects++;
      a.bytes += e.size;
      a.lastAt = Date.now();
      if (failed) a.failed++;
    }
    const status = `0x${e.status.toString(16).padStart(4, '0')}`;
    if (failed) {
      this.error(
        e.direction === 'received'
          ? msg('receiving from {ae}: object {uid} failed with status {status}', {
              ae: e.peerAe,
              uid: e.sopInstanceUid,
              status,
            })
          : msg('sending to {ae}: object {uid} failed with status {status}', {
              ae: e.peerAe,
              uid: e.sopInstanceUid,
              status,
            }),
      );
    }
  }

  private onJob(e: JobEvent): void {
    if (e.state === 'failed') {
      this.error(
        msg('job {id} ({kind} {from} → {to}) failed: {reason}', {
          id: String(e.id),
          kind: e.kind,
          from: e.source || msg('here'),
          to: e.destination || msg('here'),
          reason: e.errorMessage ?? verbatim(e.error),
        }),
      );
    }
  }
}
