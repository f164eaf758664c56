import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import mysql from 'mysql2/promise';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { SqliteIndex } from '../../main/index/sqlite.ts';
import { MysqlIndex } from '../../main/index/mysql.ts';
import { freshDatabaseName, testMariaDb } from './mariadb.ts';
import { StorageSopClass } from '../../common/uids.ts';

/** Each index engine the product supports, opened empty for a test file; `dispose` closes it and drops what it made. */
export interface IndexEngine {
  name: string;
  open(label: string): Promise<{ index: ArchiveIndex; dispose(): Promise<void> }>;
}

export const INDEX_ENGINES: IndexEngine[] = [
  {
    name: 'SQLite',
    open: async () => {
      const index = new SqliteIndex(':memory:');
      return { index, dispose: () => index.close() };
    },
  },
  {
    name: 'MariaDB',
    open: async (label) => {
      const server = testMariaDb();
      const database = freshDatabaseName(label);
      const index = await MysqlIndex.open({ ...server, database });
      return {
        index,
        dispose: async () => {
          await index.close();
          const admin = await mysql.createConnection(server);
          await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
          await admin.end();
        },
      };
    },
  },
];

/**
 * An instance header for index tests: a CT object of patient P1, study 1.1, series 1.1.1 unless `h` says otherwise;
 * object `n` has SOP Instance UID `<uidRoot>.<n>` and instance number n.
 */
export function testHeader(h: Partial<InstanceHeader>, n: number, uidRoot = '1.2.3'): InstanceHeader {
  return {
    specificCharacterSet: '',
    sopClassUid: StorageSopClass.CtImage,
    sopInstanceUid: `${uidRoot}.${n}`,
    studyInstanceUid: '1.1',
    seriesInstanceUid: '1.1.1',
    patientId: 'P1',
    patientName: 'Doe^John',
    patientBirthDate: '19700101',
    patientSex: 'M',
    studyDate: '20240110',
    studyTime: '101500',
    accessionNumber: 'A1',
    studyId: '1',
    studyDescription: '',
    referringPhysicianName: '',
    modality: 'CT',
    seriesNumber: '1',
    seriesDescription: '',
    seriesDate: '',
    seriesTime: '',
    bodyPartExamined: '',
    instanceNumber: String(n),
    rows: 512,
    columns: 512,
    numberOfFrames: '',
    ...h,
  };
}
