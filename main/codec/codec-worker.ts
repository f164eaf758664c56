import { parentPort } from 'node:worker_threads';
import { convertDataSet } from './convert-data-set.ts';

/** A codec worker thread: converts the data sets it is sent, one job at a time, and answers with the new bytes. */

export interface DecodeJob {
  id: number;
  dataSet: Uint8Array;
  from: string;
  to: string;
}

export type DecodeAnswer = { id: number; ok: true; dataSet: Uint8Array } | { id: number; ok: false; error: string };

parentPort?.on('message', (job: DecodeJob) => {
  convertDataSet(job.dataSet, job.from, job.to).then(
    (bytes) => {
      const dataSet = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // The answer's buffer moves to the main thread instead of being copied (it may be a pooled Buffer: then copied).
      const transfer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : [];
      parentPort!.postMessage({ id: job.id, ok: true, dataSet } satisfies DecodeAnswer, transfer);
    },
    (err: Error) => parentPort!.postMessage({ id: job.id, ok: false, error: err.message } satisfies DecodeAnswer),
  );
});
