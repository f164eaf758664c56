import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CodecAnswer, CodecJob } from './codec-worker.ts';
import type { EncodeOptions } from './encoders.ts';
import type { RenderRequest } from './render.ts';

/**
 * The codec worker threads: decoding and encoding never run on the event loop, so associations, queries and the API
 * keep their pace while a transcoding retrieve runs. One worker a core (at most 4), started when first needed; jobs
 * wait in one queue and go to the first free worker. A worker that dies fails its job and is replaced.
 */

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending {
  job: WithoutId<CodecJob>;
  resolve: (bytes: Buffer) => void;
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
  convert(dataSet: Uint8Array, from: string, to: string, options?: EncodeOptions): Promise<Buffer> {
    return this.run({ kind: 'convert', dataSet, from, to, options });
  }

  /** One frame of a data set as a JPEG or PNG picture, in a worker (render.ts). */
  render(dataSet: Uint8Array, transferSyntax: string, request: RenderRequest): Promise<Buffer> {
    return this.run({ kind: 'render', dataSet, transferSyntax, request });
  }

  private run(job: WithoutId<CodecJob>): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the codec workers are stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.queue.length) {
      const worker = this.idle.pop() ?? (this.started < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift()!;
      this.busy.set(worker, pending);
      // A worker with a job keeps the process alive (a CLI import waits for it); an idle one does not.
      worker.ref();
      const job = { id: this.nextId++, ...pending.job } as CodecJob;
      worker.postMessage(job);
    }
  }

  private spawn(): Worker {
    this.started++;
    const worker = new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', (answer: CodecAnswer) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      worker.unref();
      if (pending) {
        if (answer.ok)
          pending.resolve(Buffer.from(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.byteLength));
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
    worker.on('exit', (code) => {
      if (this.busy.has(worker) || this.idle.includes(worker)) gone(`exited (${code})`);
    });
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
