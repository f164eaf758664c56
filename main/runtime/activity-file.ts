import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Activity } from './activity.ts';
import type { SourceLogger } from '../util/log.ts';

const SAVE_DELAY_MS = 2000;

/**
 * The monitor's recent associations, errors and HL7 messages kept in DATA/activity.json, so that what happened before a
 * restart (the error that made the admin restart it) is still there after. Written at most every 2 s when changed, by
 * a temporary file and a rename (never half written), and at stop.
 */
export class ActivityFile {
  private readonly file: string;
  private readonly activity: Activity;
  private readonly log: SourceLogger;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(file: string, activity: Activity, log: SourceLogger) {
    this.file = file;
    this.activity = activity;
    this.log = log;
  }

  /** Load what the last run kept (a missing or unreadable file is an empty start), then save as things change. */
  async open(): Promise<void> {
    try {
      this.activity.restore(JSON.parse(await readFile(this.file, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn(`${this.file} could not be read (${(err as Error).message}); the monitor starts empty`);
    }
    this.activity.onChange = () => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.save();
      }, SAVE_DELAY_MS);
      this.timer.unref();
    };
  }

  async close(): Promise<void> {
    this.activity.onChange = () => undefined;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.save();
  }

  private save(): Promise<void> {
    const { recent, errors, hl7 } = this.activity.snapshot();
    const temp = `${this.file}.${process.pid}.tmp`;
    this.saving = this.saving
      .then(async () => {
        await writeFile(temp, JSON.stringify({ recent, errors, hl7 }));
        await rename(temp, this.file);
      })
      .catch((err: Error) => this.log.warn(`cannot save the monitor's activity to ${this.file}: ${err.message}`));
    return this.saving;
  }
}
