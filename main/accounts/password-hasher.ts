import { Worker } from 'node:worker_threads';
import type { ScryptOptions } from 'node:crypto';

/**
 * Password hashing off the archive's paths: scrypt runs in one worker thread of its own (scrypt-worker.ts), so a flood
 * of logins queues there instead of on libuv's 4 threads, which the store's file writes and flushes use (a login flood
 * had slowed C-STORE 30x). At most MAX_WAITING guesses wait; beyond that a login is refused at once (BusyHashing), so
 * the queue cannot grow without end.
 */

const WORKER_URL = new URL('./scrypt-worker.ts', import.meta.url);
const MAX_WAITING = 16;

export class BusyHashing extends Error {}

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, { resolve(key: Buffer): void; reject(err: Error): void }>();

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_URL);
  w.unref();
  w.on('message', (a: { id: number; key?: Uint8Array; error?: string }) => {
    const pending = waiting.get(a.id);
    waiting.delete(a.id);
    if (!waiting.size) w.unref();
    if (a.error !== undefined) pending?.reject(new Error(a.error));
    else pending?.resolve(Buffer.from(a.key!));
  });
  w.on('error', (err) => {
    for (const p of waiting.values()) p.reject(err);
    waiting.clear();
    worker = undefined;
  });
  worker = w;
  return w;
}

/** scrypt(password, salt) in the hashing thread; BusyHashing when too many wait already. */
export function deriveKey(
  password: string,
  salt: Buffer,
  options: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>,
  bytes: number,
): Promise<Buffer> {
  if (waiting.size >= MAX_WAITING) return Promise.reject(new BusyHashing('too many sign-ins at once'));
  const w = thread();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, password, salt, bytes, ...options });
  });
}
