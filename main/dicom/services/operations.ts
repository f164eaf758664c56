import type { Association } from '../association.ts';

/** A running C-FIND, C-MOVE or C-GET that a C-CANCEL-RQ may stop (PS3.7 9.3.2.3). */
export interface RunningOperation {
  readonly messageId: number;
  cancelled: boolean;
}

/** The operations running on each association, by message ID, so a C-CANCEL finds the one it names. */
export class RunningOperations {
  private readonly byAssociation = new WeakMap<Association, Map<number, RunningOperation>>();

  begin(assoc: Association, messageId: number): RunningOperation {
    let ops = this.byAssociation.get(assoc);
    if (!ops) {
      const created = new Map<number, RunningOperation>();
      this.byAssociation.set(assoc, created);
      // Nobody is left to answer once the requester's association has ended: its operations stop as if cancelled.
      assoc.once('closed', () => { for (const op of created.values()) op.cancelled = true; });
      ops = created;
    }
    const op = { messageId, cancelled: false };
    ops.set(messageId, op);
    return op;
  }

  end(assoc: Association, op: RunningOperation): void {
    this.byAssociation.get(assoc)?.delete(op.messageId);
  }

  /** Mark the operation the cancel names; false when nothing by that ID runs (it may have just finished). */
  cancel(assoc: Association, messageId: number): boolean {
    const op = this.byAssociation.get(assoc)?.get(messageId);
    if (!op) return false;
    op.cancelled = true;
    return true;
  }
}
