import type { Association } from '../association.ts';

/** A running C-FIND, C-MOVE or C-GET that a C-CANCEL-RQ may stop (PS3.7 9.3.2.3). */
export interface RunningOperation {
  readonly messageId: number;
  readonly cancelled: boolean;
  /** Resolves when it is cancelled (a C-CANCEL, or its association ended): a wait on the peer can stop at once. */
  readonly whenCancelled: Promise<void>;
}

class Operation implements RunningOperation {
  readonly messageId: number;
  cancelled = false;
  readonly whenCancelled: Promise<void>;
  private resolve!: () => void;

  constructor(messageId: number) {
    this.messageId = messageId;
    this.whenCancelled = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.resolve();
  }
}

/** The operations running on each association, by message ID, so a C-CANCEL finds the one it names. */
export class RunningOperations {
  private readonly byAssociation = new WeakMap<Association, Map<number, Operation>>();

  begin(assoc: Association, messageId: number): RunningOperation {
    let ops = this.byAssociation.get(assoc);
    if (!ops) {
      const created = new Map<number, Operation>();
      this.byAssociation.set(assoc, created);
      // Nobody is left to answer once the requester's association has ended: its operations stop as if cancelled.
      assoc.once('closed', () => {
        for (const op of created.values()) op.cancel();
      });
      ops = created;
    }
    const op = new Operation(messageId);
    ops.set(messageId, op);
    return op;
  }

  end(assoc: Association, op: RunningOperation): void {
    const ops = this.byAssociation.get(assoc);
    if (ops?.get(op.messageId) === op) ops.delete(op.messageId);
  }

  /** Mark the operation the cancel names; false when nothing by that ID runs (it may have just finished). */
  cancel(assoc: Association, messageId: number): boolean {
    const op = this.byAssociation.get(assoc)?.get(messageId);
    if (!op) return false;
    op.cancel();
    return true;
  }
}
