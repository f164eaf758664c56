import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { pixelsOf } from '../helpers/compressed.ts';
import { makeImage, phantom, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';
import { freePort } from '../helpers/storescp.ts';
import type { Job } from '../../main/jobs/job.ts';

/**
 * DICOMweb nodes (issue 15): Orthanc's DICOMweb server as a node of ours, named in dicomweb.map through the API as the
 * Nodes screen does. We test it (the smallest QIDO-RS search), search it, retrieve a study from it with WADO-RS as a
 * job into the archive, and send a study to it with STOW-RS as a job; what arrives is compared with what was sent.
 */
describe('DICOMweb nodes: searching, retrieving from and sending to Orthanc', () => {
  let archive: TestArchive;
  let orthanc: RunningOrthanc;
  let work: string;
  const study = uid();
  const series = uid();
  const SIZE = 32;
  const theirs: MadeImage[] = [1, 2, 3].map((n) =>
    makeImage({
      patientId: 'WEBNODE1',
      patientName: 'Web^Node',
      studyUid: study,
      seriesUid: series,
      instanceNumber: n,
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, n),
    }),
  );
  let api: (method: string, route: string, body?: unknown) => Promise<Response>;

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-webnodes-'));
    orthanc = await startOrthanc({
      url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`,
      secret: archive.server.apiSecret,
    });
    for (const img of theirs) await orthanc.rest('POST', '/instances', img.bytes);
    api = (method, route, body) =>
      fetch(`http://127.0.0.1:${archive.server.api!.port}${route}`, {
        method,
        headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  }, 60_000);
  afterAll(async () => {
    await orthanc?.stop();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const finished = async (job: Job): Promise<Job> => {
    await archive.server.transfers.queue.idle();
    return (await archive.server.index.jobStore().getJob(job.id))!;
  };

  it('is added to dicomweb.map through the API, answers a test, and refuses a name acrnema.map uses', async () => {
    const saved = await api('POST', '/api/web-nodes', {
      name: 'ORTHANCWEB',
      url: `${orthanc.url}/dicom-web/`,
      auth: '',
    });
    expect(saved.status).toBe(200);
    expect(await readFile(path.join(archive.dataDir, 'config', 'dicomweb.map'), 'utf8')).toMatch(
      new RegExp(`^ORTHANCWEB\\s+${orthanc.url.replace(/[.:/]/g, '\\$&')}/dicom-web\\s*$`, 'm'),
    );
    const echo = (await (await api('POST', '/api/nodes/ORTHANCWEB/echo')).json()) as { ok: boolean };
    expect(echo.ok).toBe(true);
    expect((await api('POST', '/api/web-nodes', { name: 'BAD', url: 'ftp://x', auth: '' })).status).toBe(400);
    const clash = await api('POST', '/api/web-nodes', {
      name: archive.server.config.nodes.nodes[0]!.ae,
      url: 'http://127.0.0.1:1/dicom-web',
      auth: '',
    });
    expect(clash.status).toBe(409);
    // A node that is not there: the test says so in words.
    const closed = await freePort();
    await api('POST', '/api/web-nodes', {
      name: 'NOBODY',
      url: `http://127.0.0.1:${closed}/dicom-web`,
      auth: 'bearer:abc',
    });
    const nobody = (await (await api('POST', '/api/nodes/NOBODY/echo')).json()) as { ok: boolean; error: string };
    expect(nobody).toMatchObject({
      ok: false,
      error: `NOBODY at http://127.0.0.1:${closed}/dicom-web cannot be reached: ECONNREFUSED`,
    });
    const listed = (await (await api('GET', '/api/web-nodes')).json()) as { name: string; auth: string }[];
    expect(listed.find((n) => n.name === 'NOBODY')?.auth).toBe('bearer');
  });

  it('searches the node with QIDO-RS as the Query/Retrieve screen does', async () => {
    const res = await api('POST', '/api/nodes/ORTHANCWEB/find', {
      level: 'STUDY',
      keys: { PatientID: 'WEBNODE1', PatientName: '', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { PatientID: 'WEBNODE1', PatientName: 'Web^Node', StudyInstanceUID: study, NumberOfStudyRelatedInstances: '3' },
    ]);
    const images = (await (
      await api('POST', '/api/nodes/ORTHANCWEB/find', {
        level: 'IMAGE',
        keys: { StudyInstanceUID: study, SeriesInstanceUID: theirs[0]!.seriesUid, SOPInstanceUID: '' },
      })
    ).json()) as { SOPInstanceUID: string }[];
    expect(images.map((i) => i.SOPInstanceUID).sort()).toEqual(theirs.map((i) => i.sopUid).sort());
  });

  it('retrieves a study from the node with WADO-RS, as a job, pixels unchanged', async () => {
    const job = (await (
      await api('POST', '/api/retrieve', {
        source: 'ORTHANCWEB',
        how: 'get',
        query: { level: 'STUDY', keys: { StudyInstanceUID: study } },
      })
    ).json()) as Job;
    const done = await finished(job);
    expect(done).toMatchObject({ state: 'done', done: 3, failed: 0 });
    for (const img of theirs) {
      const inst = (await archive.server.index.findInstance(img.sopUid))!;
      expect(inst, img.sopUid).toBeDefined();
      const original = (await writeImages(path.join(work, 'theirs'), [img]))[0]!;
      expect(
        (await pixelsOf(archive.server.store.absolutePath(inst.location))).pixels.equals(
          (await pixelsOf(original)).pixels,
        ),
      ).toBe(true);
    }
  });

  it('sends a study to the node with STOW-RS, as a job', async () => {
    const ours = [1, 2].map((n) =>
      makeImage({
        patientId: 'WEBNODE2',
        studyUid: uid(),
        instanceNumber: n,
        rows: SIZE,
        columns: SIZE,
        pixel: phantom(SIZE, SIZE, 5 + n),
      }),
    );
    const files = await writeImages(path.join(work, 'ours'), ours);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
    const job = (await (
      await api('POST', '/api/send', { destination: 'ORTHANCWEB', level: 'PATIENT', uid: 'WEBNODE2' })
    ).json()) as Job;
    expect(await finished(job)).toMatchObject({ state: 'done', done: 2, failed: 0 });
    for (const img of ours) {
      const found = await orthanc.rest<{ ID: string }[]>('POST', '/tools/lookup', Buffer.from(img.sopUid));
      expect(found, img.sopUid).not.toEqual([]);
      const id = found[0]!.ID;
      const file = path.join(work, `sent-${img.sopUid}.dcm`);
      await writeFile(file, await orthanc.bytes(`/instances/${id}/file`));
      expect((await pixelsOf(file)).pixels.equals((await pixelsOf(files[ours.indexOf(img)]!)).pixels)).toBe(true);
    }
  });
});
