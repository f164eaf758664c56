import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { retrieveResponses } from '../helpers/qr-tools.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { TransferSyntax } from '../../common/uids.ts';

const SIZE = 512;
const COUNT = 150;

/**
 * Decoding runs in the codec workers, off the event loop (issue 21): while a C-MOVE decodes a JPEG 2000 study for a
 * peer that takes only uncompressed syntaxes, a C-ECHO is answered before the move is done — it does not wait behind
 * the decoding. (How fast it is answered, and a modality's C-STORE speed meanwhile, are the bench's figures.)
 */
describe('the archive keeps answering while it transcodes', () => {
  let archive: TestArchive;
  let plain: RunningStorescp;
  let work: string;
  const study = uid();

  beforeAll(async () => {
    plain = await startStorescp('PLAIN');
    // Stored as JPEG 2000 lossless on arrival, so the move below must decode every object.
    archive = await startArchive({ IncomingCompression: 'jk' }, [`PLAIN 127.0.0.1 ${plain.port} un`]);
    work = await mkdtemp(path.join(tmpdir(), 'pacs-responsive-'));
    const images = Array.from({ length: COUNT }, (_, i) =>
      makeImage({
        patientId: 'BUSY',
        studyUid: study,
        instanceNumber: i + 1,
        rows: SIZE,
        columns: SIZE,
        pixel: phantom(SIZE, SIZE, i % 9),
        rescaleIntercept: -1024,
      }),
    );
    const r = await run('storescu', [
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...(await writeImages(work, images)),
    ]);
    expect(r.code, r.stderr).toBe(0);
    await archive.server.core.ingest.recodingIdle();
    const sample = await archive.server.index.findInstance(images[0]!.sopUid);
    expect(sample?.transferSyntaxUid).toBe(TransferSyntax.Jpeg2000Lossless);
  }, 120_000);
  afterAll(async () => {
    await archive?.stop();
    await plain?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('answers a C-ECHO in the middle of a decoding C-MOVE', async () => {
    const move = run('movescu', [
      '-d',
      '-S',
      '-aet',
      'MOVER',
      '-aem',
      'PLAIN',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
    ]);
    let moveDone = false;
    void move.then(() => {
      moveDone = true;
    });
    // The move is under way once the first decoded objects arrive.
    await expect
      .poll(async () => (await plain.files()).length, { timeout: 30_000, interval: 10 })
      .toBeGreaterThanOrEqual(3);
    const node = { ae: archive.aeTitle, host: '127.0.0.1', port: archive.port };
    await archive.server.transfers.client.echo(node);
    const arrivedAtEcho = (await plain.files()).length;
    expect(moveDone).toBe(false);
    expect(arrivedAtEcho).toBeLessThan(COUNT);
    const r = await move;
    expect(retrieveResponses(r.stdout + r.stderr, 'Move').at(-1)).toMatchObject({
      final: true,
      status: '0x0000',
      completed: COUNT,
      failed: 0,
    });
  }, 120_000);

  it.runIf(process.platform === 'linux')(
    "decodes in threads that yield the cores (nice 10), the event loop's thread untouched",
    async () => {
      // The archive runs in this process: its codec workers are threads of it (/proc/self/task), started by the move above.
      const nice = async (task: string) => {
        const stat = await readFile(`/proc/self/task/${task}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      };
      const values = await Promise.all((await readdir('/proc/self/task')).map(nice));
      expect(values.filter((v) => v === 10).length).toBeGreaterThanOrEqual(1);
      expect(await nice(String(process.pid))).toBe(0);
    },
  );
});
