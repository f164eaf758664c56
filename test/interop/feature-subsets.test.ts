import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { BytePeer } from '../helpers/dimse-bytes.ts';
import { MPPS_SOP_CLASS, STORAGE_COMMITMENT_SOP_CLASS, StorageSopClass } from '../../common/uids.ts';
import { importPath } from '../../main/archive/importer.ts';
import { queryRetrieve } from '../../main/features/query-retrieve.ts';
import { hl7 } from '../../main/features/hl7.ts';
import { api } from '../../main/features/api.ts';
import { transfers } from '../../main/features/transfers.ts';

/**
 * An archive assembled from some of its features (main/features, composed by main/core/compose.ts): each brings what
 * it needs and nothing else runs, so a feature is tried the way a peer uses it without the whole server.
 */
describe('an archive with only some of its features', () => {
  let work: string;
  let archive: TestArchive | undefined;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-subset-'));
  });
  afterEach(async () => {
    await archive?.stop();
    archive = undefined;
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('stores, finds and gives back objects as a DICOM node with no API, jobs or workflow services', async () => {
    archive = await startArchive({ MPPS: '1', StorageCommitment: '1' }, [], 'TESTPACS', { features: [queryRetrieve] });
    const server = archive.server;
    expect({ dicom: server.has(queryRetrieve), api: server.has(api), transfers: server.has(transfers) }).toEqual({
      dicom: true,
      api: false,
      transfers: false,
    });
    expect(() => server.apiUrl).toThrow('api is not part of this archive');
    const study = uid();
    const files = await writeImages(work, [
      makeImage({ studyUid: study, rows: 8, columns: 8 }),
      makeImage({ studyUid: study, rows: 8, columns: 8 }),
    ]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
    const found = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${study}`, 'NumberOfStudyRelatedInstances'],
    );
    expect(found.answers).toEqual([
      expect.objectContaining({ StudyInstanceUID: study, NumberOfStudyRelatedInstances: '2' }),
    ]);
    const into = path.join(work, 'got');
    await rm(into, { recursive: true, force: true });
    await mkdir(into);
    const got = await run('getscu', [
      '-aec',
      archive.aeTitle,
      '-S',
      '-od',
      into,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(got.code, got.stderr).toBe(0);
    expect(await readdir(into)).toHaveLength(2);
    // MPPS = 1 and StorageCommitment = 1 in dicom.ini, but their features are not here: an association asking only for
    // their SOP classes is rejected (no presentation context to accept), as one for a storage class is accepted.
    const ct = await BytePeer.associate(archive.port, archive.aeTitle, 'CT01', StorageSopClass.CtImage);
    expect(ct.contextResult).toBe(0);
    await ct.release();
    for (const sopClass of [MPPS_SOP_CLASS, STORAGE_COMMITMENT_SOP_CLASS]) {
      await expect(BytePeer.associate(archive.port, archive.aeTitle, 'CT01', sopClass), sopClass).rejects.toThrow(
        'association not accepted (PDU type 3)',
      );
    }
  }, 60_000);

  it('takes HL7 patient updates into stored objects with only the HL7 listener and the editor running', async () => {
    archive = await startArchive({ HL7Listener: '1', HL7Port: '0' }, [], 'TESTPACS', { features: [hl7] });
    const server = archive.server;
    expect({ dicomPort: server.port, api: server.has(api), hl7: server.hl7 !== undefined }).toEqual({
      dicomPort: 0,
      api: false,
      hl7: true,
    });
    const image = makeImage({ patientId: 'H1', patientName: 'Novak^J', rows: 8, columns: 8 });
    const folder = path.join(work, 'import');
    await writeImages(folder, [image]);
    expect((await importPath(folder, server.core.importTarget(), 'copy')).imported).toBe(1);
    const a08 = [
      'MSH|^~\\&|HIS|NEMOCNICE|PACSWS|RDG|20261207080000||ADT^A08|A08-1|P|2.3',
      'EVN|A08',
      'PID|||H1||Novak^Jan^Karel||19700101|M',
    ].join('\r');
    const file = path.join(work, 'a08.hl7');
    await writeFile(file, `${a08}\n`);
    const sent = await run('mllp_send', ['--loose', '-f', file, '-p', String(server.hl7!.port), '127.0.0.1']);
    expect(sent.stdout).toContain('MSA|AA|A08-1');
    await server.core.queue.idle();
    const stored = (await server.index.findInstance(image.sopUid))!;
    expect(await dumpDataSet(server.store.absolutePath(stored.location))).toMatch(
      /\(0010,0010\) PN \[Novak\^Jan\^Karel\]/,
    );
  }, 60_000);
});
