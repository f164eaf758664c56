import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteIndex } from '../../main/index/sqlite.ts';
import { SqliteReaders } from '../../main/index/sqlite-reader.ts';
import { testHeader } from '../helpers/index-engines.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { qrRequestFrom } from '../../main/query/identifier.ts';
import { TransferSyntax } from '../../common/uids.ts';

/**
 * Long reads of the SQLite index run in worker threads (issue 13): better-sqlite3 is synchronous, so a scan on the main
 * thread would stop every association and the UI until it ends. These tests count the turns the main thread's event
 * loop makes while a read that keeps SQLite busy is in progress: on the main thread there would be none.
 */

/** A query SQLite needs a while for (a few million steps of a recursive CTE), with no table behind it. */
const SLOW =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c';

/** Turns of the event loop (setImmediate callbacks) until `work` settles. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let settled = false;
  const spin = () => {
    if (!settled) {
      turns++;
      setImmediate(spin);
    }
  };
  setImmediate(spin);
  try {
    return { value: await work, turns };
  } finally {
    settled = true;
  }
}

describe('the SQLite index reader threads', () => {
  let dir: string;
  let index: SqliteIndex;
  let readers: SqliteReaders;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pacs-reader-'));
    index = new SqliteIndex(path.join(dir, 'archive.db3'));
    readers = new SqliteReaders(path.join(dir, 'archive.db3'));
  });
  afterAll(async () => {
    await readers?.close();
    await index?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a long read while the main thread keeps turning', async () => {
    const { value, turns } = await turnsDuring(readers.all<{ n: number }>(SLOW, []));
    expect(value).toEqual([{ n: 3000000 }]);
    expect(turns).toBeGreaterThan(20);
  });

  it('streams a long result chunk by chunk, the main thread turning between chunks', async () => {
    const sql = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) SELECT x FROM c';
    const sizes: number[] = [];
    let last = 0;
    const { turns } = await turnsDuring(
      (async () => {
        for await (const chunk of readers.stream<{ x: number }>(sql, [], 300)) {
          sizes.push(chunk.length);
          expect(chunk[0]!.x).toBe(last + 1);
          last = chunk.at(-1)!.x;
        }
      })(),
    );
    expect(last).toBe(2000);
    // The first chunk as asked, the next ones four times bigger each, to 16 times at most.
    expect(sizes).toEqual([300, 1200, 500]);
    expect(turns).toBeGreaterThan(0);
  });

  it('closes a cursor left early, and the thread goes on serving', async () => {
    const sql = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c';
    for (let round = 0; round < 20; round++) {
      for await (const chunk of readers.stream<{ x: number }>(sql, [], 10)) {
        expect(chunk).toHaveLength(10);
        break;
      }
    }
    expect(await readers.all('SELECT 7 AS seven', [])).toEqual([{ seven: 7 }]);
  });

  it('gives an SQL error as an error, in a stream too, and serves the next read', async () => {
    await expect(readers.all('SELECT * FROM no_such_table', [])).rejects.toThrow(/no such table/);
    const stream = async () => {
      for await (const _ of readers.stream('SELECT * FROM no_such_table', [], 10)) {
        /* none */
      }
    };
    await expect(stream()).rejects.toThrow(/no such table/);
    expect(await readers.all('SELECT 1 AS one', [])).toEqual([{ one: 1 }]);
  });

  it('sees rows the main connection committed, while the index stores and searches on', async () => {
    const before = await readers.all<{ n: number }>('SELECT count(*) AS n FROM instances', []);
    await index.storeInstance({
      header: testHeader({ studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', patientId: 'R1' }, 5, '1.2.3.4'),
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: 'r1' },
      size: 1,
      callingAe: 'CT',
    });
    expect(await readers.all<{ n: number }>('SELECT count(*) AS n FROM instances', [])).toEqual([
      { n: before[0]!.n + 1 },
    ]);
    // The index's own searches (the UI's, QIDO-RS's) go through its reader threads as well.
    const request = qrRequestFrom(
      identifierFromKeywords({ PatientID: 'R1', PatientName: '', StudyInstanceUID: '' }, 'STUDY'),
      'STUDY',
    );
    const rows = await index.queryArchive(request.level, request.returns, request.conditions);
    expect(rows.map((r) => r.StudyInstanceUID)).toEqual(['1.2.3']);
  });
});
