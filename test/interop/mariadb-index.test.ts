import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { findscu } from '../helpers/qr-tools.ts';
import {
  freshDatabaseName,
  restartMariaDb,
  startMariaDb,
  stopMariaDb,
  testMariaDb,
  type RunningMariaDb,
} from '../helpers/mariadb.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { MysqlIndex } from '../../main/index/mysql.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';

/** The archive with its index on MariaDB (MySQL = 1 in dicom.ini), driven by DCMTK like the SQLite one. */
describe('the archive on a MariaDB index', () => {
  let archive: TestArchive;
  let work: string;
  const database = freshDatabaseName('server');
  const study = uid();

  beforeAll(async () => {
    const db = testMariaDb();
    archive = await startArchive({
      MySQL: '1',
      SqLite: '0',
      SQLHost: `${db.host}:${db.port}`,
      SQLServer: database,
      Username: db.user,
      Password: db.password,
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-mariadb-'));
  });
  afterAll(async () => {
    await archive?.stop();
    const db = testMariaDb();
    const admin = await mysql.createConnection(db);
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
    await rm(work, { recursive: true, force: true });
  });

  it('stores from four associations at once (group commit) and answers C-FIND from MariaDB', async () => {
    const images = Array.from({ length: 40 }, (_, i) =>
      makeImage({ patientName: 'Svoboda^Petr', patientId: 'PM1', studyUid: study, instanceNumber: i + 1 }),
    );
    const files = await writeImages(work, images);
    const peer = ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)];
    const results = await Promise.all(
      [0, 1, 2, 3].map((k) => run('storescu', [...peer, ...files.filter((_, i) => i % 4 === k)])),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(await archive.server.index.counts()).toMatchObject({ patients: 1, studies: 1, instances: 40 });
    const r = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      [
        'QueryRetrieveLevel=STUDY',
        'PatientName=svob*',
        'StudyInstanceUID',
        'NumberOfStudyRelatedInstances',
        'ModalitiesInStudy',
      ],
    );
    expect(r.final).toBe('Success');
    expect(r.answers).toEqual([
      expect.objectContaining({
        StudyInstanceUID: study,
        NumberOfStudyRelatedInstances: '40',
        ModalitiesInStudy: 'CT',
      }),
    ]);
  });

  it('loses no acknowledged object when the database server crashes and comes back during ingest', async () => {
    // A server of its own, since this test kills it.
    let own: RunningMariaDb | undefined;
    let index: MysqlIndex | undefined;
    try {
      own = await startMariaDb();
      index = await MysqlIndex.open({
        host: own.host,
        port: own.port,
        user: own.user,
        password: own.password,
        database: 'crash',
      });
      const acknowledged: string[] = [];
      const failed: string[] = [];
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          const sop = `1.2.826.0.1.3680043.10.999.9.${i}`;
          const header = {
            specificCharacterSet: '',
            sopClassUid: StorageSopClass.CtImage,
            sopInstanceUid: sop,
            studyInstanceUid: '1.9',
            seriesInstanceUid: `1.9.${i % 3}`,
            patientId: 'CRASH',
            patientName: 'Crash^Test',
            patientBirthDate: '',
            patientSex: '',
            studyDate: '',
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
            instanceNumber: String(i),
            rows: 1,
            columns: 1,
            numberOfFrames: '',
          } satisfies InstanceHeader;
          await index!
            .storeInstance({
              header,
              transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
              location: { device: 0, relativePath: `x/${i}` },
              size: 1,
              callingAe: 'T',
            })
            .then(
              () => acknowledged.push(sop),
              () => failed.push(sop),
            );
        }
      })();
      while (acknowledged.length < 50) await new Promise((r) => setTimeout(r, 5));
      await restartMariaDb(own, 'SIGKILL', 1000);
      const afterRestart = acknowledged.length;
      while (acknowledged.length < afterRestart + 50) await new Promise((r) => setTimeout(r, 5));
      stop = true;
      await writer;
      expect(failed).toEqual([]);
      for (const sop of acknowledged) expect(await index.findInstance(sop), sop).toBeDefined();
      expect((await index.counts()).instances).toBe(acknowledged.length);
    } finally {
      await index?.close();
      if (own) await stopMariaDb(own);
    }
  });
});
