import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, type MadeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { findscu, getscu, retrieveResponses } from '../helpers/qr-tools.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';
import { until } from '../helpers/wait.ts';

/**
 * Virtual servers (issue 32.2): a small archive (CACHE) in front of a big one (BIGPACS, a second archive of ours, which
 * names CACHE as its own virtual server: a loop of two) and Orthanc. findscu sees the studies of all three merged by
 * UID; movescu and getscu of a study only upstream get it through CACHE, which keeps a copy; an upstream that accepts
 * the connection and never answers costs VirtualServerTimeout and is named in the final response's comment.
 */
describe('virtual servers', () => {
  let big: TestArchive;
  let cache: TestArchive;
  let orthanc: RunningOrthanc;
  let viewer: RunningStorescp;
  let silent: Server;
  let work: string;
  const onlyBig = uid();
  const onlyHere = uid();
  const shared = uid();
  const inOrthanc = uid();
  const passedOn = uid();
  const early = uid();
  const imagesOf = (studyUid: string, series: string[], patientId = 'V100') =>
    series.map((seriesUid) => makeImage({ patientId, studyUid, seriesUid, modality: 'CT', rows: 8, columns: 8 }));
  // The shared study: series A's first object is here too, its second and series B only upstream.
  const seriesA = uid();
  const sharedImages = imagesOf(shared, [seriesA, seriesA, uid()]);
  let bigImages: MadeImage[];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-virtual-'));
    viewer = await startStorescp('VIEWER');
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    big = await startArchive({}, [], 'BIGPACS');
    cache = await startArchive(
      { VirtualServerFor0: 'BIGPACS', VirtualServerFor1: 'ORTHANC', VirtualServerTimeout: '3' },
      [`BIGPACS 127.0.0.1 ${big.port} un`, `VIEWER 127.0.0.1 ${viewer.port} un`],
      'CACHE',
    );
    orthanc = await startOrthanc(
      { url: `http://127.0.0.1:${cache.server.api!.port}/dicom-web`, secret: cache.server.apiSecret },
      { DicomModalities: { cache: ['CACHE', '127.0.0.1', cache.port] } },
    );
    // BIGPACS knows CACHE as a move destination, and as its own upstream: the loop the archives must not run.
    for (const body of [{ ae: 'CACHE', host: '127.0.0.1', port: cache.port, compression: 'un' }])
      expect((await apiFetch(big, 'POST', '/api/nodes', body)).status).toBe(200);
    expect(
      (
        await apiFetch(cache, 'POST', '/api/nodes', {
          ae: 'ORTHANC',
          host: '127.0.0.1',
          port: orthanc.dicomPort,
          compression: 'un',
        })
      ).status,
    ).toBe(200);
    await big.setIni('VirtualServerFor0', 'CACHE');
    expect(big.server.core.settings.virtualServers.map((s) => s.ae)).toEqual(['CACHE']);
    bigImages = [
      ...imagesOf(onlyBig, [uid(), uid(), uid()]),
      ...sharedImages,
      ...imagesOf(passedOn, [uid(), uid()]),
      ...imagesOf(early, [uid(), uid()]),
    ];
    const toBig = await storeAs(big, 'MODALITY', bigImages, work);
    expect(toBig.code, toBig.stderr).toBe(0);
    const here = [...imagesOf(onlyHere, [uid()]), sharedImages[0]!];
    const toCache = await storeAs(cache, 'MODALITY', here, work);
    expect(toCache.code, toCache.stderr).toBe(0);
    const orthancImages = imagesOf(inOrthanc, [uid()], 'V200');
    const sent = await storeAs({ aeTitle: 'ORTHANC', port: orthanc.dicomPort }, 'MODALITY', orthancImages, work);
    expect(sent.code, sent.stderr).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await cache?.stop();
    await big?.stop();
    await orthanc?.stop();
    await viewer?.stop();
    silent?.close();
    await rm(work, { recursive: true, force: true });
  });

  const studies = (port: number, ae: string, extra: string[] = []) =>
    findscu(port, ae, ['-S'], ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'RetrieveAETitle', ...extra]);

  /** How many objects of a study CACHE holds. */
  const keptOf = async (study: string) =>
    (await cache.server.core.index.instancesMatching([])).filter((i) => i.studyInstanceUid === study).length;
  /** getscu of a study from CACHE into a folder of its own: how many objects came. */
  const getThrough = async (study: string, folder: string) => {
    const into = path.join(work, folder);
    const r = await getscu(cache.port, 'CACHE', into, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${study}`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return (await readdir(into)).length;
  };
  /** movescu of a study from CACHE to the VIEWER storescp (`debug`: -d, to read its responses). */
  const moveToViewer = (study: string, debug = false) =>
    run('movescu', [
      ...(debug ? ['-d'] : []),
      '-S',
      '-aet',
      'VIEWERQR',
      '-aec',
      'CACHE',
      '-aem',
      'VIEWER',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(cache.port),
    ]);
  /** findscu -d of every study on CACHE: its whole log, where the final response's comment is. */
  const findLogged = async () => {
    const r = await run('findscu', [
      '-d',
      '-S',
      '-aec',
      'CACHE',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'StudyInstanceUID',
      '127.0.0.1',
      String(cache.port),
    ]);
    return r.stdout + r.stderr;
  };

  it('answers a C-FIND with its own studies and each upstream’s, every study once, retrieved through it', async () => {
    const r = await studies(cache.port, 'CACHE');
    expect(r.final).toBe('Success');
    expect(r.answers.map((a) => a.StudyInstanceUID).sort()).toEqual(
      [onlyBig, onlyHere, shared, inOrthanc, passedOn, early].sort(),
    );
    expect(new Set(r.answers.map((a) => a.RetrieveAETitle))).toEqual(new Set(['CACHE']));
    // BIGPACS, asked by CACHE (its own upstream), answers from its own data only: no loop, nothing left out.
    expect(r.stdout).not.toMatch(/did not answer/);
    // BIGPACS asked directly merges CACHE's, which answers it from its own data (Orthanc's study not among them).
    const direct = await studies(big.port, 'BIGPACS');
    expect(direct.answers.map((a) => a.StudyInstanceUID).sort()).toEqual(
      [onlyBig, shared, passedOn, early, onlyHere].sort(),
    );
  }, 60_000);

  it("marks its requests NONVIRTUAL when told: the upstream then answers from its own data, not its upstreams'", async () => {
    // A second cache, not an upstream of BIGPACS: without the mark BIGPACS passes its query on to CACHE.
    const second = await startArchive({ VirtualServerFor0: 'BIGPACS' }, [`BIGPACS 127.0.0.1 ${big.port} un`], 'SECOND');
    try {
      const plain = await studies(second.port, 'SECOND');
      expect(plain.answers.map((a) => a.StudyInstanceUID)).toContain(onlyHere);
      await second.setIni('VirtualServerFor0', 'BIGPACS,NONVIRTUAL');
      expect(second.server.core.settings.virtualServers[0]).toMatchObject({ ae: 'BIGPACS', nonVirtual: true });
      const marked = await studies(second.port, 'SECOND');
      expect(marked.final).toBe('Success');
      expect(marked.answers.map((a) => a.StudyInstanceUID).sort()).toEqual([onlyBig, shared, passedOn, early].sort());
    } finally {
      await second.stop();
    }
  }, 60_000);

  it('passes on a C-MOVE of a study only upstream, object by object, and keeps a copy', async () => {
    const r = await moveToViewer(onlyBig, true);
    const final = retrieveResponses(r.stdout + r.stderr, 'Move').find((x) => x.final);
    expect(final, r.stdout + r.stderr).toMatchObject({ completed: 3, failed: 0, status: '0x0000' });
    expect(await viewer.files()).toHaveLength(3);
    // Cached: CACHE holds the study now, received from BIGPACS.
    expect(await keptOf(onlyBig)).toBe(3);
  }, 60_000);

  it('fetches only what is missing of a study it holds in part, for a C-GET', async () => {
    // Series A's missing object by UID list, series B as a whole, the object here from here.
    expect(await getThrough(shared, 'get-shared')).toBe(3);
    expect(await keptOf(shared)).toBe(3);
  }, 60_000);

  it('gets a study from Orthanc through it', async () => {
    expect(await getThrough(inOrthanc, 'get-orthanc')).toBe(1);
  }, 60_000);

  it('with CacheVirtualData = 0 and OverlapVirtualGet = 0, passes a study on once all of it came, then lets it go', async () => {
    await cache.setIni('CacheVirtualData', '0');
    await cache.setIni('OverlapVirtualGet', '0');
    expect(cache.server.core.settings).toMatchObject({ cacheVirtualData: false, overlapVirtualGet: 0 });
    const before = (await viewer.files()).length;
    const r = await moveToViewer(passedOn);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await viewer.files()).length).toBe(before + 2);
    await until('the passed-on study is no longer kept', async () =>
      (await cache.server.core.index.instancesMatching([])).every((i) => i.studyInstanceUid !== passedOn),
    );
    // What was here before stays: the study held in part, and the one fetched while caching was on.
    const kept = await cache.server.core.index.instancesMatching([]);
    expect(new Set(kept.map((i) => i.studyInstanceUid))).toEqual(new Set([onlyBig, onlyHere, shared, inOrthanc]));
    await cache.setIni('CacheVirtualData', '1');
    await cache.setIni('OverlapVirtualGet', '5');
  }, 60_000);

  it('names an upstream that never answers in the final comment, after VirtualServerTimeout, with the others answered', async () => {
    await apiFetch(cache, 'POST', '/api/nodes', {
      ae: 'SILENT',
      host: '127.0.0.1',
      port: (silent.address() as { port: number }).port,
      compression: 'un',
    });
    await cache.setIni('VirtualServerFor2', 'SILENT');
    await until('CACHE reads its new upstream', async () => cache.server.core.settings.virtualServers.length === 3);
    const log = await findLogged();
    expect(log).toMatch(/\(0000,0902\) LO \[not asked: SILENT did not answer within 3 s/);
    expect((log.match(/Received Find Response/g) ?? []).length).toBe(6);
    // Asked again at once: the silent upstream is left out for a while instead of costing every query the limit.
    expect(await findLogged()).toMatch(/\(0000,0902\) LO \[not asked: SILENT did not answer within 3 s \(\d+ s ago/);
  }, 60_000);

  it('with one upstream, starts fetching a study none of which is here beside listing it', async () => {
    await cache.setIni('VirtualServerFor1', '');
    await cache.setIni('VirtualServerFor2', '');
    expect(cache.server.core.settings.virtualServers.map((v) => v.ae)).toEqual(['BIGPACS']);
    expect(await getThrough(early, 'get-early')).toBe(2);
    expect(await keptOf(early)).toBe(2);
  }, 60_000);
});
