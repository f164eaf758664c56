import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { freePort, startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { retrieveResponses } from '../helpers/qr-tools.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { TransferSyntax } from '../../common/uids.ts';

/** Objects equal in content whatever their encoding (private elements aside: DCMTK cannot name their VR in implicit VR). */
async function sameContent(a: string, b: string): Promise<void> {
  const strip = (d: string) =>
    d
      .split('\n')
      .filter((l) => !/\(0009,/.test(l))
      .join('\n');
  expect(strip(await dumpDataSet(a))).toBe(strip(await dumpDataSet(b)));
}

/** DCMTK's movescu and getscu pulling from the archive, to storescp, to themselves, and what goes wrong on the way. */
describe('C-MOVE and C-GET SCP with movescu and getscu', () => {
  let archive: TestArchive;
  let work: string;
  const destinations: RunningStorescp[] = [];
  const study = uid();
  const series = uid();
  const big = { study: uid(), series: uid() };
  const originals = new Map<string, string>(); // SOP Instance UID -> file as sent
  let rleUid = '';
  let rleUncompressed = '';
  let implicitUid = '';
  const ports = { dead: 0, movescu: 0 };

  async function destination(ae: string, args: string[] = []): Promise<RunningStorescp> {
    const scp = await startStorescp(ae, args);
    destinations.push(scp);
    return scp;
  }

  beforeAll(async () => {
    ports.dead = await freePort();
    ports.movescu = await freePort();
    // Started one after the other: `destinations` keeps this order (DEST_ALL first), which the tests rely on.
    const scps = [await destination('DEST_ALL', ['+xa']), await destination('DEST_IMPL', ['+xi'])];
    archive = await startArchive({}, [
      ...scps.map((s) => `${s.aeTitle} 127.0.0.1 ${s.port} as`),
      `MOVESCU 127.0.0.1 ${ports.movescu} un`,
      `DEAD 127.0.0.1 ${ports.dead} un`,
    ]);
    work = await mkdtemp(path.join(tmpdir(), 'pacs-retrieve-'));
    const images = [1, 2, 3, 4].map((i) =>
      makeImage({ patientId: 'PID100', studyUid: study, seriesUid: series, instanceNumber: i }),
    );
    const files = await writeImages(path.join(work, 'sent'), images);
    images.forEach((img, i) => {
      originals.set(img.sopUid, files[i]!);
    });
    // One object stored as implicit VR little endian, one RLE-compressed: each is kept as sent.
    const implicit = makeImage({ patientId: 'PID100', studyUid: study, seriesUid: uid() });
    const rle = makeImage({ patientId: 'PID100', studyUid: study, seriesUid: uid() });
    const [implicitIn, rleIn] = await writeImages(path.join(work, 'raw'), [implicit, rle]);
    const implicitFile = path.join(work, 'implicit.dcm');
    const rleFile = path.join(work, 'rle.dcm');
    expect((await run('dcmconv', ['+ti', implicitIn!, implicitFile])).code).toBe(0);
    expect((await run('dcmcrle', [rleIn!, rleFile])).code).toBe(0);
    originals.set(implicit.sopUid, implicitFile);
    originals.set(rle.sopUid, rleFile);
    implicitUid = implicit.sopUid;
    rleUid = rle.sopUid;
    rleUncompressed = rleIn!;
    const peer = ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port)];
    expect((await run('storescu', [...peer, ...files])).code).toBe(0);
    expect((await run('storescu', ['-xi', ...peer, implicitFile])).code).toBe(0);
    expect((await run('storescu', ['-xr', ...peer, rleFile])).code).toBe(0);
    const many = Array.from({ length: 60 }, (_, i) =>
      makeImage({
        patientId: 'PID200',
        studyUid: big.study,
        seriesUid: big.series,
        instanceNumber: i + 1,
        rows: 16,
        columns: 16,
      }),
    );
    expect((await run('storescu', [...peer, ...(await writeImages(path.join(work, 'many'), many))])).code).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    for (const d of destinations) await d.stop();
    await rm(work, { recursive: true, force: true });
  });

  const movescu = (dest: string, keys: string[], extra: string[] = []) =>
    run('movescu', [
      '-d',
      '-S',
      '-aet',
      'MOVESCU',
      '-aem',
      dest,
      ...extra,
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...keys.flatMap((k) => ['-k', k]),
    ]);
  const studyKeys = (uidValue = study) => ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${uidValue}`];

  async function receivedBySop(dest: RunningStorescp): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of await dest.files()) out.set(path.basename(f).replace(/^[A-Z]{2}\./, ''), f);
    return out;
  }

  it('moves a study to storescp, each object in the transfer syntax it was stored in, with pending counts', async () => {
    const dest = destinations[0]!;
    const r = await movescu(dest.aeTitle, studyKeys());
    const responses = retrieveResponses(r.stdout + r.stderr, 'Move');
    const final = responses.at(-1)!;
    expect(final).toMatchObject({ final: true, status: '0x0000', completed: 6, failed: 0, warning: 0 });
    const pending = responses.filter((p) => !p.final);
    expect(pending.length).toBeGreaterThan(0);
    for (const p of pending) expect(p.remaining! + p.completed + p.failed + p.warning).toBe(6);
    const got = await receivedBySop(dest);
    expect([...got.keys()].sort()).toEqual([...originals.keys()].sort());
    for (const [sop, file] of originals) await sameContent(got.get(sop)!, file);
    expect(await transferSyntaxOf(got.get(rleUid)!)).toBe(TransferSyntax.Rle);
    expect(await transferSyntaxOf(got.get(implicitUid)!)).toBe(TransferSyntax.ImplicitLittleEndian);
  });

  it('converts every object for a node that takes only implicit VR, decoding the compressed one', async () => {
    const dest = destinations[1]!;
    const r = await movescu(dest.aeTitle, studyKeys());
    const log = r.stdout + r.stderr;
    expect(retrieveResponses(log, 'Move').at(-1)).toMatchObject({
      final: true,
      status: '0x0000',
      completed: 6,
      failed: 0,
    });
    const got = await receivedBySop(dest);
    expect(got.size).toBe(6);
    for (const [sop, file] of got) {
      expect(await transferSyntaxOf(file)).toBe(TransferSyntax.ImplicitLittleEndian);
      // The RLE object arrives decoded: the same as the uncompressed object it was made from.
      await sameContent(file, sop === rleUid ? rleUncompressed : originals.get(sop)!);
    }
  });

  it('moves a series to movescu itself, acting as the storage SCP', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'movescu-'));
    const r = await movescu(
      'MOVESCU',
      ['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${study}`, `SeriesInstanceUID=${series}`],
      ['+P', String(ports.movescu), '-od', dir],
    );
    expect(retrieveResponses(r.stdout + r.stderr, 'Move').at(-1)).toMatchObject({ status: '0x0000', completed: 4 });
    expect((await readdir(dir)).length).toBe(4);
    await rm(dir, { recursive: true, force: true });
  });

  it('sends objects back over the same association for getscu (C-GET), converting and decoding what it cannot take as stored', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'getscu-'));
    const getscu = (keys: string[]) =>
      run('getscu', [
        '-d',
        '-S',
        '-aec',
        archive.aeTitle,
        '-od',
        dir,
        '127.0.0.1',
        String(archive.port),
        ...keys.flatMap((k) => ['-k', k]),
      ]);
    const r = await getscu(studyKeys());
    const log = r.stdout + r.stderr;
    // getscu takes uncompressed syntaxes only (its default): the RLE object goes decoded.
    expect(retrieveResponses(log, 'C-GET').at(-1)).toMatchObject({
      final: true,
      status: '0x0000',
      completed: 6,
      failed: 0,
    });
    const files = await readdir(dir);
    expect(files.length).toBe(6);
    for (const f of files) {
      const sop = f.replace(/^[A-Z]{2}\./, '');
      await sameContent(path.join(dir, f), sop === rleUid ? rleUncompressed : originals.get(sop)!);
    }
    // The object stored as implicit VR went in the explicit VR syntax getscu prefers.
    expect(await transferSyntaxOf(path.join(dir, files.find((f) => f.endsWith(implicitUid))!))).toBe(
      TransferSyntax.ExplicitLittleEndian,
    );
    const seriesOnly = await getscu([
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${study}`,
      `SeriesInstanceUID=${series}`,
    ]);
    expect(retrieveResponses(seriesOnly.stdout + seriesOnly.stderr, 'C-GET').at(-1)).toMatchObject({
      status: '0x0000',
      completed: 4,
      failed: 0,
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an unknown destination with A801, a retrieve without its unique key with A900, and a dead node with A702', async () => {
    const unknown = await movescu('NOBODY', studyKeys());
    expect(unknown.stdout + unknown.stderr).toContain('Refused: MoveDestinationUnknown');
    const noKey = await movescu(destinations[0]!.aeTitle, ['QueryRetrieveLevel=STUDY', 'PatientID=PID100']);
    expect(retrieveResponses(noKey.stdout + noKey.stderr, 'Move').at(-1)).toMatchObject({ status: '0xa900' });
    const dead = await movescu('DEAD', studyKeys());
    expect(retrieveResponses(dead.stdout + dead.stderr, 'Move').at(-1)).toMatchObject({
      status: '0xa702',
      completed: 0,
      failed: 6,
    });
    expect(archive.logText()).toMatch(/cannot open an association to DEAD/);
  });

  it('stops a move on C-CANCEL between two objects, with the counts of what was done', async () => {
    const dest = destinations[0]!;
    const before = (await dest.files()).length;
    const r = await movescu(dest.aeTitle, studyKeys(big.study), ['--cancel', '1']);
    const final = retrieveResponses(r.stdout + r.stderr, 'Move').at(-1)!;
    expect(final.status).toBe('0xfe00');
    expect(final.completed).toBeGreaterThan(0);
    expect(final.completed).toBeLessThan(60);
    expect(final.completed + final.failed + final.warning + (final.remaining ?? 0)).toBe(60);
    expect((await dest.files()).length - before).toBe(final.completed);
    // The archive serves the next request as usual.
    const again = await movescu(dest.aeTitle, studyKeys());
    expect(retrieveResponses(again.stdout + again.stderr, 'Move').at(-1)).toMatchObject({ status: '0x0000' });
  });
});
