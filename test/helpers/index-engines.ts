import mysql from 'mysql2/promise';
import type { ArchiveIndex } from '../../main/index/archive-index.ts';
import { SqliteIndex } from '../../main/index/sqlite.ts';
import { MysqlIndex } from '../../main/index/mysql.ts';
import { freshDatabaseName, testMariaDb } from './mariadb.ts';

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
