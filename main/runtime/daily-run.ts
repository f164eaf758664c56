/** How often the clock is looked at (a changed hour applies within it). */
const LOOK_MS = 60_000;

/**
 * A task run once a day at an hour the settings give (BackupHour, VerifyStorageHour), local time: the clock is looked
 * at every minute, so a changed hour or a task switched on applies within the minute; `hour` undefined: off.
 */
export class DailyRun {
  private readonly hour: () => number | undefined;
  private readonly run: () => void;
  private lastDay = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(hour: () => number | undefined, run: () => void) {
    this.hour = hour;
    this.run = run;
  }

  start(): void {
    this.timer = setInterval(() => this.look(), LOOK_MS);
    this.timer.unref();
    this.look();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private look(): void {
    const now = new Date();
    const day = now.toDateString();
    if (now.getHours() !== this.hour() || this.lastDay === day) return;
    this.lastDay = day;
    this.run();
  }
}
