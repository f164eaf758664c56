/** How many refusals a minute are said in full; past that they are counted, and the count said at the minute's end. */
const SHOWN = 10;
const WINDOW_MS = 60_000;

/**
 * Refusals said in full up to SHOWN a minute, the rest counted and said once at the minute's end (or when `flush` is
 * called, at the connection's end): a sender's occasional bad message is logged as it is, a burst of garbage frames or
 * refused connections costs the log and the Monitor a few lines, not a line each.
 */
export class RefusalSummary<T> {
  private shown = 0;
  private windowStart = 0;
  private counted = 0;
  private last: T | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly say: (item: T) => void;
  private readonly sayCount: (count: number, last: T) => void;

  constructor(say: (item: T) => void, sayCount: (count: number, last: T) => void) {
    this.say = say;
    this.sayCount = sayCount;
  }

  refused(item: T): void {
    const now = Date.now();
    if (now - this.windowStart > WINDOW_MS) {
      this.flush();
      this.windowStart = now;
      this.shown = 0;
    }
    if (this.shown < SHOWN) {
      this.shown++;
      this.say(item);
      return;
    }
    this.counted++;
    this.last = item;
    this.timer ??= setTimeout(() => this.flush(), this.windowStart + WINDOW_MS - now).unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counted && this.last !== undefined) this.sayCount(this.counted, this.last);
    this.counted = 0;
    this.last = undefined;
  }
}
