/**
 * How long each C-STORE of one association took, from the first byte of the request to its response, on whichever
 * side the request was: the Monitor's time per object, where a slow peer shows at once (a peer kept waiting by delayed
 * acknowledgements takes ~40 ms an object instead of 1-3). The last RECENT times are kept for the median.
 */
const RECENT = 255;

export class StoreTimes {
  /** Requests waiting for their response, by message ID: when each began (performance.now()). */
  private readonly open = new Map<number, number>();
  private readonly recent: number[] = [];
  private next = 0;
  /** C-STORE requests answered so far. */
  count = 0;

  begin(messageId: number, at = performance.now()): void {
    this.open.set(messageId, at);
  }

  /** The response to `messageId` went out or came in; its milliseconds, or undefined for a request not begun here. */
  end(messageId: number): number | undefined {
    const began = this.open.get(messageId);
    if (began === undefined) return undefined;
    this.open.delete(messageId);
    const ms = performance.now() - began;
    this.recent[this.next] = ms;
    this.next = (this.next + 1) % RECENT;
    this.count++;
    return ms;
  }

  /** The median of the recent times in milliseconds; undefined before the first. */
  median(): number | undefined {
    if (!this.recent.length) return undefined;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
}
