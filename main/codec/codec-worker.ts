import { parentPort } from 'node:worker_threads';
import { decodeFrame } from './decoders.ts';
import type { PixelModule } from './pixel-module.ts';

/** A codec worker thread: decodes the frames it is sent, one job at a time, and answers with the native pixels. */

export interface DecodeJob {
  id: number;
  transferSyntax: string;
  frames: Uint8Array[];
  pixels: PixelModule;
}

export type DecodeAnswer =
  | { id: number; ok: true; frames: Uint8Array[]; photometricInterpretation?: string; planarConfiguration?: number }
  | { id: number; ok: false; error: string };

parentPort?.on('message', (job: DecodeJob) => {
  void (async () => {
    try {
      const decoded = [];
      for (const frame of job.frames) decoded.push(await decodeFrame(job.transferSyntax, frame, job.pixels));
      const frames = decoded.map((d) => d.data);
      const answer: DecodeAnswer = { id: job.id, ok: true, frames, photometricInterpretation: decoded[0]?.photometricInterpretation, planarConfiguration: decoded[0]?.planarConfiguration };
      parentPort!.postMessage(answer, frames.map((f) => f.buffer as ArrayBuffer));
    } catch (err) {
      parentPort!.postMessage({ id: job.id, ok: false, error: (err as Error).message } satisfies DecodeAnswer);
    }
  })();
});
