import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { SqliteIndex } from '../../main/index/sqlite.ts';
import { INDEX_ENGINES, type IndexEngine } from '../helpers/index-engines.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import { identifierFromKeywords } from '../../main/query/keyword-identifiers.ts';
import { qrRequestFrom } from '../../main/query/identifier.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';

/**
 * C-FIND's matches come out of the index in chunks as they are asked for (issue 13): a universal query over the whole
 * archive never sits in memory whole, and while its result is being read a C-STORE's index write goes through (on
 * SQLite the chunks come from a read-only connection of their own, on MariaDB from a row stream). Leaving the loop
 * early ends the query and frees what it held.
 */
const FILE_SQLITE: IndexEngine = {
  name: 'SQLite (file)',
  open: async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-stream-'));
    const index = new SqliteIndex(path.join(dir, 'archive.db3'));
    return {
      index,
      dispose: async () => {
        await index.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

let n = 0;
function header(h: Partial<InstanceHeader> = {}): InstanceHeader {
  n++;
  return {
    specificCharacterSet: '',
    sopClassUid: StorageSopClass.CtImage,
    sopInstanceUid: `1.2.4.${n}`,
    studyInstanceUid: `1.4.${n % 7}`,
    seriesInstanceUid: `1.4.${n % 7}.1`,
    patientId: `P${n % 7}`,
    patientName: 'Stream^Test',
    patientBirthDate: '',
    patientSex: '',
    studyDate: '20240110',
    studyTime: '',
    accessionNumber: '',
    studyId: '',
    studyDescription: '',
    referringPhysicianName: '',
    modality: 'CT',
    seriesNumber: '1',
    seriesDescription: '',
    seriesDate: '',
    seriesTime: '',
    bodyPartExamined: '',
    instanceNumber: String(n),
    rows: 64,
    columns: 64,
    numberOfFrames: '',
    ...h,
  };
}

describe.each([FILE_SQLITE, INDEX_ENGINES.find((e) => e.name === 'MariaDB')!])(
  'streamed matches on $name',
  (engine) => {
    let index: ArchiveIndex;
    let dispose: () => Promise<void>;
    const COUNT = 1500;
    const store = () =>
      index.storeInstance({
        header: header(),
        transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
        location: { device: 0, relativePath: `s${n}` },
        size: 1,
        callingAe: 'CT',
      });
    beforeAll(async () => {
      ({ index, dispose } = await engine.open('stream'));
      await Promise.all(Array.from({ length: COUNT }, () => store()));
    });
    afterAll(async () => {
      await dispose?.();
    });

    const universal = () => {
      const request = qrRequestFrom(
        identifierFromKeywords({ StudyInstanceUID: '', SeriesInstanceUID: '', SOPInstanceUID: '' }, 'IMAGE'),
        'STUDY',
      );
      return index.streamArchive(request.level, request.returns, request.conditions);
    };

    it('gives every match, in chunks of a bounded size', async () => {
      const sizes: number[] = [];
      const uids = new Set<string>();
      for await (const chunk of universal()) {
        sizes.push(chunk.length);
        for (const row of chunk) uids.add(String(row.SOPInstanceUID));
      }
      expect(uids.size).toBe(COUNT);
      // A first chunk of 256 at most; on SQLite the next ones grow to 16 times that (fewer round trips to its reader thread).
      expect(sizes[0]).toBeLessThanOrEqual(256);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(16 * 256);
      expect(sizes.length).toBeGreaterThan(1);
    });

    it('lets a store write its row while a result is half read, and ends the query when the reader leaves', async () => {
      const before = n;
      let read = 0;
      for await (const chunk of universal()) {
        read += chunk.length;
        if (read === chunk.length) {
          // The query is open, its first chunk taken: a C-STORE's index write must not wait for it to end.
          await store();
          expect(await index.findInstance(`1.2.4.${n}`)).toBeDefined();
        }
        if (read >= 512) break;
      }
      expect(n).toBe(before + 1);
      // Left early: the next query runs, and sees the new row.
      let all = 0;
      for await (const chunk of universal()) all += chunk.length;
      expect(all).toBe(COUNT + 1);
    });
  },
);
