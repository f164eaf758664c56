import { Status } from '../../dicom/status.ts';
import type { OutgoingObject, SendOutcome } from './store-scu.ts';

export interface SubOperationCounts {
  remaining?: number;
  completed: number;
  failed: number;
  warning: number;
}

/**
 * The C-STORE sub-operations of one C-MOVE or C-GET as they run: the counts its responses carry and the SOP instances
 * its final response lists as failed (PS3.4 C.4.2.1.4-5, C.4.3.1.4).
 */
export class SubOperations {
  readonly objects: OutgoingObject[];
  private completed = 0;
  private failed = 0;
  private warning = 0;
  private readonly attempted = new Set<string>();
  private readonly failedUids: string[] = [];

  constructor(objects: OutgoingObject[]) {
    this.objects = objects;
  }

  get remaining(): number {
    return this.objects.length - this.attempted.size;
  }

  record(obj: OutgoingObject, outcome: SendOutcome): void {
    this.attempted.add(obj.sopInstanceUid);
    this[outcome]++;
    if (outcome === 'failed') this.failedUids.push(obj.sopInstanceUid);
  }

  /** What a pending response says. */
  pending(): Required<SubOperationCounts> {
    return { remaining: this.remaining, completed: this.completed, failed: this.failed, warning: this.warning };
  }

  /**
   * The final status, counts and failed list. Objects never attempted are failed too, from the requester's point of
   * view; after a cancel they are still counted as remaining (PS3.4 C.4.2.1.5).
   */
  final(cancelled: boolean, refused?: number): { status: number; counts: SubOperationCounts; failedUids: string[] } {
    const notAttempted = this.objects.filter((o) => !this.attempted.has(o.sopInstanceUid)).map((o) => o.sopInstanceUid);
    const failedUids = [...this.failedUids, ...notAttempted];
    if (cancelled) return { status: Status.Cancel, counts: this.pending(), failedUids };
    const counts = { completed: this.completed, failed: this.failed + notAttempted.length, warning: this.warning };
    const status =
      refused ??
      (counts.failed === 0 && counts.warning === 0
        ? Status.Success
        : counts.completed === 0 && counts.warning === 0
          ? Status.OutOfResourcesSubOperations
          : Status.SubOperationsCompleteWithFailures);
    return { status, counts, failedUids };
  }
}
