import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { foldName } from '../query/name-fold.ts';

/**
 * A read-only connection to the index in a thread of its own (sqlite-reader.ts): long searches and streamed C-FIND
 * answers are read here, so a scan over millions of rows never holds the archive's event loop. Several cursors may be
 * open at once; each `next` reads one chunk.
 */

type Request =
  | { kind: 'all'; id: number; sql: string; params: unknown[] }
  | { kind: 'open'; id: number; sql: string; params: unknown[] }
  | { kind: 'next'; id: number; chunk: number }
  | { kind: 'close'; id: number };

const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.function('fold_name', { deterministic: true }, (name: unknown) => foldName(String(name ?? '')));
const prepared = new Map<string, Statement>();
/** Open cursors, or why one could not open (told with its first `next`). */
const cursors = new Map<number, { rows?: IterableIterator<unknown>; error?: string }>();

/** A prepared statement, kept for the next time. */
function statement(sql: string): Statement {
  let st = prepared.get(sql);
  if (!st) {
    st = db.prepare(sql);
    if (prepared.size >= 500) prepared.clear();
    prepared.set(sql, st);
  }
  return st;
}

parentPort!.on('message', (m: Request) => {
  try {
    switch (m.kind) {
      case 'all':
        parentPort!.postMessage({ id: m.id, rows: statement(m.sql).all(...m.params), done: true });
        break;
      case 'open':
        // Nothing is answered to an open: its first chunk (or its error) answers the `next` that follows it.
        try {
          cursors.set(m.id, { rows: statement(m.sql).iterate(...m.params) as IterableIterator<unknown> });
        } catch (err) {
          cursors.set(m.id, { error: (err as Error).message });
        }
        break;
      case 'next': {
        const cursor = cursors.get(m.id);
        if (cursor?.error !== undefined) throw new Error(cursor.error);
        const rows: unknown[] = [];
        let done = !cursor?.rows;
        while (cursor?.rows && rows.length < m.chunk) {
          const next = cursor.rows.next();
          if (next.done) { done = true; break; }
          rows.push(next.value);
        }
        if (done) cursors.delete(m.id);
        parentPort!.postMessage({ id: m.id, rows, done });
        break;
      }
      case 'close':
        cursors.get(m.id)?.rows?.return?.();
        cursors.delete(m.id);
        break;
    }
  } catch (err) {
    cursors.get(m.id)?.rows?.return?.();
    cursors.delete(m.id);
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
