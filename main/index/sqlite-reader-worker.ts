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
const cursors = new Map<number, IterableIterator<unknown>>();

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
        cursors.set(m.id, statement(m.sql).iterate(...m.params) as IterableIterator<unknown>);
        break;
      case 'next': {
        const cursor = cursors.get(m.id);
        const rows: unknown[] = [];
        let done = !cursor;
        while (cursor && rows.length < m.chunk) {
          const next = cursor.next();
          if (next.done) { done = true; break; }
          rows.push(next.value);
        }
        if (done) cursors.delete(m.id);
        parentPort!.postMessage({ id: m.id, rows, done });
        break;
      }
      case 'close':
        cursors.get(m.id)?.return?.();
        cursors.delete(m.id);
        break;
    }
  } catch (err) {
    cursors.delete(m.id);
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
