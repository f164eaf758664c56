import { Worker } from 'node:worker_threads';

/**
 * Reads of the SQLite index that may take long — a C-FIND streamed to a peer, a search of the UI or of QIDO-RS — run on
 * read-only connections in worker threads (sqlite-reader-worker.ts): better-sqlite3 is synchronous, and a scan over
 * millions of rows on the main thread would stop every association and the UI meanwhile. WAL lets them read while the
 * main connection writes. A stream holds two chunks at most: the one its consumer is taking and the next, read
 * meanwhile (backpressure: no more is read until the consumer takes it); leaving early closes its cursor. Workers start
 * when first needed, two at most, requests spread over them; one that fails is replaced.
 */

const WORKER_URL = new URL('./sqlite-reader-worker.ts', import.meta.url);

type Answer = { id: number; columns?: string[]; rows?: unknown[][]; done?: boolean; error?: string };

/** Rows as the worker sends them (arrays of values) made objects named by their columns again. */
function rowObjects<T>(columns: string[] | undefined, rows: unknown[][] | undefined): T[] {
  if (!rows?.length || !columns) return [];
  const out = new Array<T>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!;
    const row: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) row[columns[c]!] = values[c];
    out[r] = row as T;
  }
  return out;
}

class ReaderThread {
  readonly worker: Worker;
  private readonly waiting = new Map<number, (a: Answer) => void>();
  /** Why the thread is gone (it failed or exited): every question since is answered with it. */
  gone: string | undefined;

  constructor(file: string) {
    this.worker = new Worker(WORKER_URL, { workerData: { file } });
    this.worker.unref();
    this.worker.on('message', (a: Answer) => {
      const resolve = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      if (this.waiting.size === 0) this.worker.unref();
      resolve?.(a);
    });
    const fail = (why: string) => {
      this.gone ??= why;
      for (const [id, resolve] of this.waiting) resolve({ id, error: `the index reader ${this.gone}` });
      this.waiting.clear();
    };
    this.worker.on('error', (err) => fail(`failed: ${err.message}`));
    this.worker.on('exit', (code) => fail(`stopped (${code})`));
  }

  /** Send `message` and wait for the answer with its id (the worker keeps the process alive meanwhile). */
  ask(message: { kind: string; id: number } & Record<string, unknown>): Promise<Answer> {
    if (this.gone) return Promise.resolve({ id: message.id, error: `the index reader ${this.gone}` });
    return new Promise((resolve) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(message.id, resolve);
      this.worker.postMessage(message);
    });
  }

  tell(message: { kind: string; id: number } & Record<string, unknown>): void {
    if (!this.gone) this.worker.postMessage(message);
  }
}

export class SqliteReaders {
  private readonly file: string;
  private readonly size: number;
  private readonly threads: ReaderThread[] = [];
  private nextId = 1;
  private turn = 0;

  constructor(file: string, size = 2) {
    this.file = file;
    this.size = size;
  }

  private thread(): ReaderThread {
    // A thread that failed is replaced by the next question (its own questions were answered with the reason).
    for (let i = this.threads.length - 1; i >= 0; i--) if (this.threads[i]!.gone) this.threads.splice(i, 1);
    if (this.threads.length < this.size) this.threads.push(new ReaderThread(this.file));
    return this.threads[this.turn++ % this.threads.length]!;
  }

  async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    const answer = await this.thread().ask({ kind: 'all', id: this.nextId++, sql, params });
    if (answer.error !== undefined) throw new Error(answer.error);
    return rowObjects<T>(answer.columns, answer.rows);
  }

  /**
   * The rows in chunks. The next chunk is asked for as soon as one arrives, so the thread reads it while this one is
   * answered (two chunks at most are held); leaving early closes the cursor.
   */
  async *stream<T>(sql: string, params: unknown[], chunk: number): AsyncIterable<T[]> {
    const thread = this.thread();
    const id = this.nextId++;
    let size = chunk;
    // The cursor is opened and its first chunk read in one message.
    let ahead: Promise<Answer> | undefined = thread.ask({ kind: 'open', id, sql, params, chunk: size });
    try {
      while (ahead) {
        const answer = await ahead;
        ahead = undefined;
        if (answer.error !== undefined) throw new Error(answer.error);
        // A small first chunk answers soon; the next ones grow (to 16 times), each a round trip fewer between threads.
        size = Math.min(size * 4, chunk * 16);
        if (!answer.done) ahead = thread.ask({ kind: 'next', id, chunk: size });
        if (answer.rows?.length) yield rowObjects<T>(answer.columns, answer.rows);
      }
    } finally {
      // Left early (a C-CANCEL, a dropped association): the chunk asked for ahead is dropped with the cursor.
      if (ahead) {
        thread.tell({ kind: 'close', id });
        void ahead.catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }
}
