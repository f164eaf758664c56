import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DecodeAnswer, DecodeJob } from './codec-worker.ts';

/**
 * The codec worker threads: decoding and encoding never run on the event loop, so associations, queries and the API
 * keep their pace while a transcoding retrieve runs. One worker a core (at most 4), started when first needed; jobs
 * wait in one queue and go to the first free worker. A worker that dies fails its job and is replaced.
 */

interface Pending {
  job: Omit<DecodeJob, 'id'>;
  resolve: (answer: Extract<DecodeAnswer, { ok: true }>) => void;
  reject: (err: Error) => void;
}

const WORKER_URL = new URL('./codec-worker.ts', import.meta.url);

export class CodecPool {
  private readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private started = 0;
  private nextId = 1;
  private closed = false;

  constructor(size = Math.max(1, Math.min(availableParallelism(), 4))) {
    this.size = size;
  }

  /** A data set from `from` to `to` in a worker (convert-data-set.ts). */
  convert(dataSet: Uint8Array, from: string, to: string): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the codec workers are stopped'));
    return new Promise<Extract<DecodeAnswer, { ok: true }>>((resolve, reject) => {
      this.queue.push({ job: { dataSet, from, to }, resolve, reject });
      this.next();
    }).then((answer) => Buffer.from(answer.dataSet.buffer, answer.dataSet.byteOffset, answer.dataSet.byteLength));
  }

  private next(): void {
    while (this.queue.length) {
      const worker = this.idle.pop() ?? (this.started < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift()!;
      this.busy.set(worker, pending);
      // A worker with a job keeps the process alive (a CLI import waits for it); an idle one does not.
      worker.ref();
      const job: DecodeJob = { id: this.nextId++, ...pending.job };
      worker.postMessage(job);
    }
  }

  private spawn(): Worker {
    this.started++;
    const worker = new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', (answer: DecodeAnswer) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      worker.unref();
      if (pending) {
        if (answer.ok) pending.resolve(answer);
        else pending.reject(new Error(answer.error));
      }
      this.next();
    });
    const gone = (why: string) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      this.started--;
      pending?.reject(new Error(`the codec worker ${why}`));
      if (!this.closed) this.next();
    };
    worker.on('error', (err) => gone(`failed: ${err.message}`));
    worker.on('exit', (code) => { if (this.busy.has(worker) || this.idle.includes(worker)) gone(`exited (${code})`); });
    return worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the codec workers are stopping'));
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }
}
