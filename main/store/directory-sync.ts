import { open } from 'node:fs/promises';

/**
 * A folder's entries made durable (fsync of the directory, after a file, a rename or a mkdir put a name in it), with
 * one flush covering every change that came while the previous one ran: under objects arriving from several senders
 * at once, each a new temporary file in the incoming folder, that folder is flushed about once per disk round trip,
 * not once per object. Windows has no directory fsync (its metadata journal orders renames): there it does nothing.
 */
export class DirectorySync {
  private readonly state = new Map<string, { running?: Promise<void>; queued?: Promise<void> }>();
  private readonly flush: (dir: string) => Promise<void>;

  /** `flush`: how one folder is flushed (fsync; a test counts the calls). */
  constructor(
    flush: (dir: string) => Promise<void> = process.platform === 'win32' ? async () => undefined : fsyncDirectory,
  ) {
    this.flush = flush;
  }

  sync(dir: string): Promise<void> {
    let s = this.state.get(dir);
    if (!s) {
      s = {};
      this.state.set(dir, s);
    }
    const entry = s;
    if (!entry.running) {
      entry.running = this.flush(dir).finally(() => {
        entry.running = undefined;
        if (!entry.queued) this.state.delete(dir);
      });
      return entry.running;
    }
    // A flush is running: it may have started before this change, so one more follows it, shared by all who wait.
    entry.queued ??= entry.running
      .catch(() => undefined)
      .then(() => {
        entry.queued = undefined;
        return this.sync(dir);
      });
    return entry.queued;
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
