import { parentPort } from 'node:worker_threads';
import { scryptSync } from 'node:crypto';

/**
 * scrypt in a thread of its own (password-hasher.ts): one guess at a time, never on libuv's pool, where the archive's
 * own file writes and flushes wait in line.
 */
type Request = { id: number; password: string; salt: Uint8Array; bytes: number; N: number; r: number; p: number };

parentPort!.on('message', (q: Request) => {
  try {
    const key = scryptSync(q.password, q.salt, q.bytes, { N: q.N, r: q.r, p: q.p, maxmem: 128 * q.N * q.r * 2 });
    parentPort!.postMessage({ id: q.id, key });
  } catch (err) {
    parentPort!.postMessage({ id: q.id, error: (err as Error).message });
  }
});
