import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { Logger, type LogRecord } from '../../main/util/log.ts';
import { MOST_ROWS_REPAIRED, repairNewestRows } from '../../main/archive/store-repair.ts';
import { INDEX_ENGINES, testHeader } from '../helpers/index-engines.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { qrRequestFrom } from '../../main/query/identifier.ts';
import { TransferSyntax } from '../../common/uids.ts';

/**
 * An object's file and its index row are written side by side (issue 13: the index's commit overlaps the file's
 * flushes). Whichever of the two fails, the other is taken back; and a row whose file never reached the disk (a crash
 * between the two) is removed at the next start, unless so many files are missing that something else is wrong.
 */
describe('an object file and its row, written side by side', () => {
  let archive: TestArchive;
  let work: string;
  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-rowfile-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(archive?.dataDir ?? '', { recursive: true, force: true });
  });

  const store = (file: string) =>
    run('storescu', ['-v', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file]);
  const study = uid();
  const series = uid();
  const first = makeImage({ patientId: 'ROWFILE', studyUid: study, seriesUid: series, instanceNumber: 1 });
  const second = makeImage({ patientId: 'ROWFILE', studyUid: study, seriesUid: series, instanceNumber: 2 });

  it('takes the row back when the file cannot be put in place, and answers a failure', async () => {
    const [firstFile, secondFile] = await writeImages(work, [first, second]);
    expect((await store(firstFile!)).code).toBe(0);
    const stored = (await archive.server.index.findInstance(first.sopUid))!;
    const folder = path.dirname(archive.server.store.absolutePath(stored.location));
    // The series folder becomes a file: the second object's rename into it fails while its row is being written.
    await rm(folder, { recursive: true });
    await writeFile(folder, 'not a folder');
    const refused = await store(secondFile!);
    expect(refused.stdout + refused.stderr).toMatch(/Received Store Response \(Unknown Status: 0x110\)/); // Processing Failure
    expect(await archive.server.index.findInstance(second.sopUid)).toBeUndefined();
    const q = qrRequestFrom(
      identifierFromKeywords(
        { StudyInstanceUID: study, SeriesInstanceUID: series, NumberOfSeriesRelatedInstances: '' },
        'SERIES',
      ),
      'STUDY',
    );
    expect(await archive.server.index.queryArchive(q.level, q.returns, q.conditions)).toEqual([
      expect.objectContaining({ NumberOfSeriesRelatedInstances: 1 }),
    ]);
    expect(archive.logText()).toMatch(new RegExp(`cannot store ${second.sopUid.replace(/\./g, '\\.')}`));

    // Once the folder can be made again, the same object is stored.
    await unlink(folder);
    await mkdir(folder);
    expect((await store(secondFile!)).code).toBe(0);
    expect(await archive.server.index.findInstance(second.sopUid)).toBeDefined();
  });

  it('removes at the next start a row whose file did not survive, and says so', async () => {
    // The first object's file went with its folder above: its row is what a crash before the answer would leave.
    expect(await archive.server.index.findInstance(first.sopUid)).toBeDefined();
    await archive.restart();
    expect(await archive.server.index.findInstance(first.sopUid)).toBeUndefined();
    expect(await archive.server.index.findInstance(second.sopUid)).toBeDefined();
    expect(archive.logText()).toContain(`object ${first.sopUid}: no file at `);
    const activity = (await (await apiFetch(archive, 'GET', '/api/activity')).json()) as { errors: { text: string }[] };
    expect(activity.errors.map((e) => e.text)).toContain(
      'at start: 1 index row whose file never reached the disk was removed (their senders were not told the objects were stored)',
    );
  });
});

describe.each(INDEX_ENGINES)('the start-up check of the newest rows on $name', (engine) => {
  let dir: string;
  let index: ArchiveIndex;
  let dispose: () => Promise<void>;
  const logs: LogRecord[] = [];
  const logger = new Logger('debug');
  logger.addSink((r) => logs.push(r));
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pacs-repair-'));
    ({ index, dispose } = await engine.open('repair'));
  });
  afterAll(async () => {
    await dispose?.();
    await rm(dir, { recursive: true, force: true });
  });

  const header = (n: number) =>
    testHeader({ studyInstanceUid: '1.2.9', seriesInstanceUid: '1.2.9.0', patientId: 'REPAIR' }, n, '1.2.9');

  it("takes back a row: a new object's goes with its empty series and study, a stored-again one names its former file again", async () => {
    const lone = testHeader(
      { studyInstanceUid: '1.2.7', seriesInstanceUid: '1.2.7.1', patientId: 'UNDO' },
      1,
      '1.2.7.9',
    );
    await index.storeInstance({
      header: lone,
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: 'u/1.dcm' },
      size: 10,
      callingAe: 'CT',
    });
    expect(
      await index.undoStore(lone.sopInstanceUid, {
        location: { device: 0, relativePath: 'u/1.dcm' },
        transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      }),
    ).toBe(true);
    expect(await index.findInstance(lone.sopInstanceUid)).toBeUndefined();
    expect(await index.patientsOfStudies(['1.2.7'])).toEqual(new Map());

    const again = testHeader(
      { studyInstanceUid: '1.2.6', seriesInstanceUid: '1.2.6.1', patientId: 'UNDO' },
      1,
      '1.2.6.9',
    );
    await index.storeInstance({
      header: again,
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      location: { device: 0, relativePath: 'a/old.dcm' },
      size: 10,
      callingAe: 'CT',
    });
    const { replaced } = await index.storeInstance({
      header: again,
      transferSyntaxUid: TransferSyntax.JpegLsLossless,
      location: { device: 0, relativePath: 'a/new.dcm' },
      size: 4,
      callingAe: 'CT',
    });
    expect(replaced).toEqual({
      device: 0,
      relativePath: 'a/old.dcm',
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      size: 10,
    });
    expect(
      await index.undoStore(
        again.sopInstanceUid,
        { location: { device: 0, relativePath: 'a/new.dcm' }, transferSyntaxUid: TransferSyntax.JpegLsLossless },
        replaced,
      ),
    ).toBe(true);
    expect(await index.findInstance(again.sopInstanceUid)).toMatchObject({
      location: { device: 0, relativePath: 'a/old.dcm' },
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
      size: 10,
    });
    await index.undoStore(again.sopInstanceUid, {
      location: { device: 0, relativePath: 'a/old.dcm' },
      transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
    });
  });

  it('keeps every row when more files are missing than a crash leaves (a storage folder not there)', async () => {
    for (let n = 1; n <= MOST_ROWS_REPAIRED + 6; n++) {
      await index.storeInstance({
        header: header(n),
        transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
        location: { device: 0, relativePath: `f${n}.dcm` },
        size: 1,
        callingAe: 'CT',
      });
    }
    const store = { absolutePath: (l: { relativePath: string }) => path.join(dir, 'nowhere', l.relativePath) };
    expect(await repairNewestRows(index, store, logger.child('store'))).toBe(0);
    expect((await index.counts()).instances).toBe(MOST_ROWS_REPAIRED + 6);
    expect(logs.map((l) => l.message).join('\n')).toMatch(
      /more than a crash leaves, so their rows are kept: is a storage folder missing/,
    );
  });

  it('removes the few rows without a file, and their series and study once empty', async () => {
    await mkdir(path.join(dir, 'files'));
    for (let n = 4; n <= MOST_ROWS_REPAIRED + 6; n++) await writeFile(path.join(dir, 'files', `f${n}.dcm`), 'x');
    const store = { absolutePath: (l: { relativePath: string }) => path.join(dir, 'files', l.relativePath) };
    expect(await repairNewestRows(index, store, logger.child('store'))).toBe(3);
    expect((await index.counts()).instances).toBe(MOST_ROWS_REPAIRED + 3);
    expect(await index.findInstance('1.2.9.2')).toBeUndefined();
    expect(await index.findInstance('1.2.9.4')).toBeDefined();
    for (let n = 4; n <= MOST_ROWS_REPAIRED + 6; n++) await rm(path.join(dir, 'files', `f${n}.dcm`));
    // Now every file is gone, but the index has more rows than are repaired at once: all are kept.
    expect(await repairNewestRows(index, store, logger.child('store'))).toBe(0);
  });
});
