import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { foldName } from '../query/name-fold.ts';

/**
 * A read-only connection to the index in a thread of its own (sqlite-reader.ts): long searches and streamed C-FIND
 * answers are read here, so a scan over millions of rows never holds the archive's event loop. Several cursors may be
 * open at once; `open` answers with the first chunk, each `next` with one more.
 */

type Request =
  | { kind: 'all'; id: number; sql: string; params: unknown[] }
  | { kind: 'open'; id: number; sql: string; params: unknown[]; chunk: number }
  | { kind: 'next'; id: number; chunk: number }
  | { kind: 'close'; id: number };

const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.function('fold_name', { deterministic: true }, (name: unknown) => foldName(String(name ?? '')));
const prepared = new Map<string, { st: Statement; columns: string[] }>();
/** Open cursors: their rows, and the names of their columns. */
const cursors = new Map<number, { columns: string[]; rows: IterableIterator<unknown> }>();

/**
 * A prepared statement, kept for the next time. Its rows come as arrays (their column names sent beside them): an
 * array of values crosses to the main thread in a third of the time an object with named fields takes.
 */
function statement(sql: string): { st: Statement; columns: string[] } {
  let kept = prepared.get(sql);
  if (!kept) {
    const st = db.prepare(sql);
    st.raw(true);
    kept = { st, columns: st.columns().map((c) => c.name) };
    if (prepared.size >= 500) prepared.clear();
    prepared.set(sql, kept);
  }
  return kept;
}

/** The next `chunk` rows of a cursor, sent; the cursor is forgotten after its last. */
function readChunk(id: number, chunk: number): void {
  const cursor = cursors.get(id);
  const rows: unknown[] = [];
  let done = !cursor;
  while (cursor && rows.length < chunk) {
    const next = cursor.rows.next();
    if (next.done) {
      done = true;
      break;
    }
    rows.push(next.value);
  }
  if (done) cursors.delete(id);
  parentPort!.postMessage({ id, columns: cursor?.columns, rows, done });
}

parentPort!.on('message', (m: Request) => {
  try {
    switch (m.kind) {
      case 'all': {
        const { st, columns } = statement(m.sql);
        parentPort!.postMessage({ id: m.id, columns, rows: st.all(...m.params), done: true });
        break;
      }
      case 'open': {
        // Opened and its first chunk read at once; an error opening it is its answer.
        const { st, columns } = statement(m.sql);
        cursors.set(m.id, { columns, rows: st.iterate(...m.params) as IterableIterator<unknown> });
        readChunk(m.id, m.chunk);
        break;
      }
      case 'next':
        readChunk(m.id, m.chunk);
        break;
      case 'close':
        cursors.get(m.id)?.rows.return?.();
        cursors.delete(m.id);
        break;
    }
  } catch (err) {
    cursors.get(m.id)?.rows.return?.();
    cursors.delete(m.id);
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
