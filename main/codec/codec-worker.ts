import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { convertDataSet } from './convert-data-set.ts';
import type { EncodeOptions } from './encoders.ts';
import { renderDataSet, type RenderRequest } from './render.ts';

/** A codec worker thread: converts or renders the data sets it is sent, one job at a time, and answers with bytes. */

export type CodecJob =
  | { id: number; kind: 'convert'; dataSet: Uint8Array; from: string; to: string; options?: EncodeOptions }
  | { id: number; kind: 'render'; dataSet: Uint8Array; transferSyntax: string; request: RenderRequest };

export type CodecAnswer = { id: number; ok: true; bytes: Uint8Array } | { id: number; ok: false; error: string };

// Decoding yields the cores to the event loop (a modality's C-STORE, queries, the UI): this thread runs at nice 10. On
// Linux a nice value belongs to the thread that sets it; elsewhere it would lower the whole process, so it is left.
if (process.platform === 'linux' && parentPort) {
  try {
    setPriority(10);
  } catch {
    // not allowed here (a container's policy): decode at normal priority
  }
}

parentPort?.on('message', (job: CodecJob) => {
  const work =
    job.kind === 'convert'
      ? convertDataSet(job.dataSet, job.from, job.to, job.options)
      : renderDataSet(job.dataSet, job.transferSyntax, job.request);
  work.then(
    (result) => {
      const bytes = new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
      // The answer's buffer moves to the main thread instead of being copied (a pooled Buffer's is copied).
      const transfer =
        result.byteOffset === 0 && result.byteLength === result.buffer.byteLength ? [result.buffer as ArrayBuffer] : [];
      parentPort!.postMessage({ id: job.id, ok: true, bytes } satisfies CodecAnswer, transfer);
    },
    (err: Error) => parentPort!.postMessage({ id: job.id, ok: false, error: err.message } satisfies CodecAnswer),
  );
});
