import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import type { ActivitySnapshot, EventMessage, LinkTokenDto, NodeDto } from '../../main/api/contract.ts';
import { until } from '../helpers/wait.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';

/** The HTTP + WebSocket API as the UI uses it: the secret, nodes with echo, the worklist, jobs, events, WADO-URI. */
describe('HTTP and WebSocket API', () => {
  let archive: TestArchive;
  let work: string;
  let base = '';
  const image = makeImage({ patientId: 'API1' });

  beforeAll(async () => {
    archive = await startArchive();
    base = `http://127.0.0.1:${archive.server.api!.port}`;
    work = await mkdtemp(path.join(tmpdir(), 'pacs-api-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown) => {
    const res = await apiFetch(archive, method, route, body);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> & unknown[] };
  };

  it('serves every endpoint of endpoints.ts with its method and permission, and no /api route besides', () => {
    const served = archive.server
      .api!.router.list()
      .filter((r) => !r.path.startsWith('/dicom-web'))
      .map((r) => `${r.method} ${r.path} ${r.permission}`)
      .sort();
    // The event stream is a WebSocket upgrade (http-api.ts), not a route.
    const declared = Object.values(ENDPOINTS)
      .filter((e) => e !== ENDPOINTS.events)
      .map((e) => `${e.method} ${e.path} ${e.permission}`)
      .sort();
    expect(served).toEqual(declared);
  });

  it('refuses a request without the secret, or with a wrong one', async () => {
    expect((await fetch(base + ENDPOINTS.status.path)).status).toBe(401);
    const wrong = await fetch(base + ENDPOINTS.status.path, { headers: { authorization: 'Bearer 1234' } });
    expect(wrong.status).toBe(401);
    expect((await call('GET', ENDPOINTS.status.path)).json).toMatchObject({
      aeTitle: 'TESTPACS',
      dicomPort: archive.port,
    });
  });

  it('adds, validates, echoes and removes nodes, writing acrnema.map', async () => {
    const bad = await call('POST', ENDPOINTS.nodes.path, { ae: 'A_TITLE_FAR_TOO_LONG', host: '127.0.0.1', port: 104 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/longer than 16 characters/);
    expect(
      (await call('POST', ENDPOINTS.nodes.path, { ae: 'SELF', host: '127.0.0.1', port: 70000 })).json.error,
    ).toMatch(/port "70000"/);
    expect(
      (await call('POST', ENDPOINTS.nodes.path, { ae: 'SELF', host: '127.0.0.1', port: archive.port })).status,
    ).toBe(200);
    const map = await readFile(archive.server.config.settings.acrNemaMap, 'utf8');
    expect(map).toMatch(new RegExp(`^SELF\\s+127\\.0\\.0\\.1\\s+${archive.port}\\s+un$`, 'm'));
    expect((await call('GET', ENDPOINTS.nodes.path)).json as unknown as NodeDto[]).toContainEqual({
      ae: 'SELF',
      host: '127.0.0.1',
      port: archive.port,
      compression: 'un',
      access: {
        rights: ['store', 'query', 'retrieve', 'worklist', 'commit', 'mpps'],
        retrieveTo: '*',
        checkHost: false,
        own: false,
      },
    });
    // Echo ourselves under the node's AE title: our listener answers only to its own title, so the echo is refused.
    const echo = await call('POST', pathOf(ENDPOINTS.echo, ['SELF']));
    expect(echo.json).toMatchObject({ ae: 'SELF', ok: false });
    expect(String(echo.json.error)).toMatch(/refused the association/);
    await call('POST', ENDPOINTS.nodes.path, { ae: 'TESTPACS', host: '127.0.0.1', port: archive.port });
    expect((await call('POST', pathOf(ENDPOINTS.echo, ['TESTPACS']))).json).toMatchObject({ ae: 'TESTPACS', ok: true });
    expect((await call('DELETE', pathOf(ENDPOINTS.node, ['SELF']))).status).toBe(200);
    expect((await call('DELETE', pathOf(ENDPOINTS.node, ['SELF']))).status).toBe(404);
    expect(await readFile(archive.server.config.settings.acrNemaMap, 'utf8')).not.toMatch(/^SELF/m);
  });

  it('creates, edits and deletes worklist entries, saying what is wrong with a bad one', async () => {
    const bad = await call('POST', ENDPOINTS.worklist.path, {
      patientId: 'W1',
      patientName: 'Doe^Jane',
      modality: 'MR',
      scheduledDate: 'tomorrow',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/the scheduled date "tomorrow" is not a date \(YYYYMMDD\)/);
    const made = await call('POST', ENDPOINTS.worklist.path, {
      patientId: 'W1',
      patientName: 'Doe^Jane',
      modality: 'MR',
      scheduledDate: '20261125',
    });
    const id = Number(made.json.id);
    expect((await call('PUT', pathOf(ENDPOINTS.worklistEntry, [id]), { modality: 'CT' })).json).toMatchObject({
      id,
      modality: 'CT',
    });
    expect((await call('GET', ENDPOINTS.worklist.path)).json).toHaveLength(1);
    expect((await call('DELETE', pathOf(ENDPOINTS.worklistEntry, [id]))).status).toBe(200);
    expect((await call('PUT', pathOf(ENDPOINTS.worklistEntry, [id]), { modality: 'CT' })).status).toBe(404);
  });

  const opens = (ws: WebSocket) =>
    new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });

  it('streams association and object events to a WebSocket while a modality stores', async () => {
    // A page signed in with the secret opens the stream with a one-time link token (a WebSocket URL carries no header).
    const link = (await call('POST', ENDPOINTS.linkToken.path, { path: ENDPOINTS.events.path }))
      .json as unknown as LinkTokenDto;
    const eventsUrl = `${base.replace('http', 'ws')}${ENDPOINTS.events.path}`;
    const ws = new WebSocket(`${eventsUrl}?token=${link.token}`);
    await opens(ws);
    // Once only; and never the secret itself in a URL.
    await expect(opens(new WebSocket(`${eventsUrl}?token=${link.token}`))).rejects.toThrow(/401/);
    await expect(opens(new WebSocket(`${eventsUrl}?token=${archive.server.apiSecret}`))).rejects.toThrow(/401/);
    const messages: EventMessage[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as EventMessage));
    const r = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...(await writeImages(work, [image])),
    ]);
    expect(r.code, r.stderr).toBe(0);
    await until("the association's closed event", () =>
      messages.some((m) => m.type === 'association' && m.event.type === 'closed'),
    );
    ws.close();
    expect(messages).toContainEqual({
      type: 'object',
      event: expect.objectContaining({
        direction: 'received',
        peerAe: 'MODALITY',
        sopInstanceUid: image.sopUid,
        status: 0,
      }),
    });
    expect(messages).toContainEqual({
      type: 'association',
      event: expect.objectContaining({ type: 'opened', callingAe: 'MODALITY', role: 'acceptor' }),
    });
    const unauthorized = new WebSocket(`${base.replace('http', 'ws')}${ENDPOINTS.events.path}`);
    await expect(
      new Promise((resolve, reject) => {
        unauthorized.once('open', resolve);
        unauthorized.once('error', reject);
      }),
    ).rejects.toThrow(/401/);
  });

  it('opens a download with a link token for its path only, once, never with the secret in the URL', async () => {
    const link = async (path: string) =>
      (await call('POST', ENDPOINTS.linkToken.path, { path })).json as unknown as LinkTokenDto;
    const csv = `${base}${ENDPOINTS.auditCsv.path}?limit=5`;
    expect((await fetch(`${csv}&token=${archive.server.apiSecret}`)).status).toBe(401);
    const wrongPath = await link(ENDPOINTS.export.path);
    expect((await fetch(`${csv}&token=${wrongPath.token}`)).status).toBe(401);
    const once = await link(ENDPOINTS.auditCsv.path);
    const first = await fetch(`${csv}&token=${once.token}`);
    expect(first.status).toBe(200);
    expect(await first.text()).toMatch(/^id,at,user/); // (text() drops the byte order mark)
    expect((await fetch(`${csv}&token=${once.token}`)).status).toBe(401);
    // Only the paths a browser must open without a header.
    expect((await call('POST', ENDPOINTS.linkToken.path, { path: ENDPOINTS.status.path })).status).toBe(400);
  });

  it('serves a stored object by WADO-URI, and nothing that is not indexed', async () => {
    const url = `${base}${ENDPOINTS.wado.path}?requestType=WADO&studyUID=${image.studyUid}&seriesUID=${image.seriesUid}&objectUID=${image.sopUid}&contentType=application%2Fdicom`;
    const signed = { headers: { authorization: `Bearer ${archive.server.apiSecret}` } };
    expect((await fetch(`${url}&token=${archive.server.apiSecret}`)).status).toBe(401);
    const res = await fetch(url, signed);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dicom');
    const file = path.join(work, 'wado.dcm');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    expect(await dumpDataSet(file)).toBe(await dumpDataSet(path.join(work, `${image.sopUid}.dcm`)));
    expect((await fetch(url.replace(image.sopUid, '1.2.3.4'), signed)).status).toBe(404);
    expect((await fetch(url.replace('requestType=WADO', 'requestType=OTHER'), signed)).status).toBe(400);
    expect((await fetch(url.replace('application%2Fdicom', 'image%2Fgif'), signed)).status).toBe(406);
    expect((await fetch(`${base}/wado?requestType=WADO&objectUID=..%2F..%2Fetc%2Fpasswd`, signed)).status).toBe(404);
  });

  it('shows dicom.ini as keys with help, refuses a bad value with its line, and saves a good one', async () => {
    const shown = await call('GET', ENDPOINTS.settings.path);
    const text = String(shown.json.text);
    expect(shown.json.keys).toContainEqual(
      expect.objectContaining({ key: 'TCPPort', default: '11112', help: expect.stringMatching(/port/) }),
    );
    expect(shown.json.keys).toContainEqual(
      expect.objectContaining({
        key: 'MAGDevice0',
        effect: 'restart',
        help: expect.stringMatching(/Storage folder 0/),
      }),
    );
    const badText = text.replace(/^TCPPort\s*=.*$/m, 'TCPPort = eleven');
    const badLine = badText.split('\n').findIndex((l) => l.startsWith('TCPPort')) + 1;
    const bad = await call('PUT', ENDPOINTS.settings.path, { text: badText });
    expect(bad.status).toBe(400);
    expect(bad.json.problems).toEqual([
      {
        line: badLine,
        reason: 'TCPPort: "eleven" is not a whole number from 0 to 65535',
        message: expect.objectContaining({ text: '{key}: {reason}' }),
      },
    ]);
    expect(await readFile(path.join(archive.dataDir, 'config', 'dicom.ini'), 'utf8')).toBe(text);
    const good = await call('PUT', ENDPOINTS.settings.path, {
      text: text.replace(/^LogLevel\s*=.*$/m, 'LogLevel = warn'),
    });
    expect(good.json).toEqual({ saved: true, changed: [{ key: 'LogLevel', effect: 'live' }] });
    expect(archive.server.config.settings.logLevel).toBe('warn');
    expect(await readFile(path.join(archive.dataDir, 'config', 'dicom.ini'), 'utf8')).toMatch(/^LogLevel = warn$/m);
  });

  it('searches the local archive and a remote node with keywords', async () => {
    const local = await call('POST', ENDPOINTS.studies.path, { level: 'STUDY', keys: { PatientID: 'API1' } });
    expect(local.status).toBe(200);
    expect(local.json).toEqual([
      expect.objectContaining({
        PatientID: 'API1',
        StudyInstanceUID: image.studyUid,
        NumberOfStudyRelatedInstances: '1',
        ModalitiesInStudy: 'CT',
      }),
    ]);
    const byName = await call('POST', ENDPOINTS.studies.path, {
      level: 'PATIENT',
      keys: { PatientName: 'test^*', PatientID: '' },
    });
    expect(byName.json).toEqual([{ PatientName: 'Test^Patient', PatientID: 'API1' }]);
    expect(
      (await call('POST', ENDPOINTS.studies.path, { level: 'STUDY', keys: { StudyDate: 'yesterday' } })).json.error,
    ).toMatch(/StudyDate/);
    expect((await call('POST', ENDPOINTS.studies.path, { level: 'STUDY', keys: { NoSuchKeyword: '' } })).status).toBe(
      400,
    );
    expect((await call('POST', ENDPOINTS.studies.path, { level: 'STUDY', keys: {}, limit: 0 })).json.error).toMatch(
      /limit/,
    );
    expect(
      (await call('POST', ENDPOINTS.studies.path, { level: 'STUDY', keys: { PatientID: '' }, limit: 1 })).json,
    ).toEqual([{ PatientID: 'API1' }]);
    const remote = await call('POST', pathOf(ENDPOINTS.remoteFind, ['TESTPACS']), {
      level: 'SERIES',
      keys: { StudyInstanceUID: image.studyUid, SeriesInstanceUID: '', Modality: '' },
    });
    expect(remote.json).toEqual([
      { StudyInstanceUID: image.studyUid, SeriesInstanceUID: image.seriesUid, Modality: 'CT' },
    ]);
    expect((await call('POST', pathOf(ENDPOINTS.remoteFind, ['NOWHERE']), { level: 'STUDY', keys: {} })).status).toBe(
      400,
    );
  });

  it('queues sends and retrieves, refusing what it cannot run, and lists jobs', async () => {
    expect(
      (await call('POST', ENDPOINTS.send.path, { destination: 'NOWHERE', level: 'STUDY', uid: image.studyUid })).json
        .error,
    ).toMatch(/not in acrnema\.map/);
    expect(
      (await call('POST', ENDPOINTS.send.path, { destination: 'TESTPACS', level: 'FRAME', uid: image.studyUid }))
        .status,
    ).toBe(400);
    expect(
      (
        await call('POST', ENDPOINTS.retrieve.path, {
          source: 'TESTPACS',
          how: 'push',
          query: { level: 'STUDY', keys: {} },
        })
      ).json.error,
    ).toMatch(/move or get/);
    const sent = await call('POST', ENDPOINTS.send.path, {
      destination: 'TESTPACS',
      level: 'STUDY',
      uid: image.studyUid,
    });
    expect(sent.json).toMatchObject({ kind: 'send', destination: 'TESTPACS', total: 1 });
    await archive.server.transfers.queue.idle();
    expect((await call('GET', ENDPOINTS.jobs.path)).json).toContainEqual(
      expect.objectContaining({ id: sent.json.id, state: 'done', done: 1 }),
    );
    expect((await call('GET', `${ENDPOINTS.jobs.path}?limit=1`)).json).toEqual([
      expect.objectContaining({ id: sent.json.id }),
    ]);
    expect((await call('GET', `${ENDPOINTS.jobs.path}?limit=0`)).status).toBe(400);
    expect((await call('POST', pathOf(ENDPOINTS.cancelJob, [99999]))).status).toBe(404);
    expect((await call('GET', '/api/nothing')).status).toBe(404);
    const notJson = await fetch(base + ENDPOINTS.worklist.path, {
      method: 'POST',
      headers: { authorization: `Bearer ${archive.server.apiSecret}` },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
  });

  it("shows an object's header with names, nested sequence items and values as text", async () => {
    const header = await call('GET', pathOf(ENDPOINTS.objectHeader, [image.sopUid]));
    expect(header.status).toBe(200);
    const rows = header.json as unknown as { depth: number; tag: string; vr: string; keyword: string; value: string }[];
    expect(rows[0]).toEqual({
      depth: 0,
      tag: '0002,0010',
      vr: 'UI',
      keyword: 'TransferSyntaxUID',
      value: TransferSyntax.ExplicitLittleEndian,
    });
    expect(rows).toContainEqual({
      depth: 0,
      tag: '0010,0010',
      vr: 'PN',
      keyword: 'PatientName',
      value: 'Test^Patient',
    });
    expect(rows).toContainEqual({ depth: 0, tag: '0028,0010', vr: 'US', keyword: 'Rows', value: '64' });
    expect(rows).toContainEqual({ depth: 0, tag: '0009,1001', vr: 'LO', keyword: '', value: 'private value' });
    expect(rows).toContainEqual({ depth: 0, tag: '7FE0,0010', vr: 'OW', keyword: 'PixelData', value: '8192 bytes' });
    const seq = rows.findIndex((r) => r.keyword === 'ReferencedImageSequence');
    expect(rows.slice(seq, seq + 3)).toEqual([
      { depth: 0, tag: '0008,1140', vr: 'SQ', keyword: 'ReferencedImageSequence', value: '1 item(s)' },
      { depth: 1, tag: 'FFFE,E000', vr: '', keyword: 'Item 1', value: '' },
      { depth: 2, tag: '0008,1150', vr: 'UI', keyword: 'ReferencedSOPClassUID', value: StorageSopClass.CtImage },
    ]);
    expect((await call('GET', pathOf(ENDPOINTS.objectHeader, ['1.2.3']))).status).toBe(404);
  });

  it('serves the built UI without the secret, with its CSP, and nothing outside the build folder', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self';/);
    expect(page.headers.get('content-security-policy')).toMatch(/worker-src 'self';/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/eval/);
    const html = await page.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${base}/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    // The image decoders' worker runs under its own policy (eval for the codecs' glue, nothing to connect to).
    const worker = await fetch(`${base}/assets/index.worker.bundle.min.worker.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; connect-src data:",
    );
    for (const bad of ['/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/assets/nothing.js', '/api-secret']) {
      expect((await fetch(base + bad)).status, bad).toBe(404);
    }
    // The API itself still wants the secret.
    expect((await fetch(base + ENDPOINTS.activity.path)).status).toBe(401);
  });

  it('imports an uploaded object, and refuses what is not one DICOM file', async () => {
    const upload = makeImage({ patientId: 'UPL' });
    const post = (body: Buffer, type: string) =>
      fetch(base + pathOf(ENDPOINTS.importFile, [], { name: 'scan.dcm' }), {
        method: 'POST',
        headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': type },
        body,
      });
    const ok = await post(upload.bytes, 'application/dicom');
    expect(await ok.json()).toEqual({ files: 1, imported: 1, duplicates: 0, skipped: [], other: [] });
    expect(await archive.server.index.findInstance(upload.sopUid)).toBeDefined();
    const cut = await post(upload.bytes.subarray(0, upload.bytes.length - 100), 'application/dicom');
    expect(await cut.json()).toMatchObject({
      files: 1,
      imported: 0,
      skipped: [{ file: 'scan.dcm', reason: expect.stringMatching(/short|ends/) }],
    });
    expect((await post(upload.bytes, 'application/json')).status).toBe(415);
    expect(
      (await fetch(base + pathOf(ENDPOINTS.importFile, [], { name: 'x' }), { method: 'POST', body: upload.bytes }))
        .status,
    ).toBe(401);
    expect(await readdir(path.join(archive.dataDir, 'uploads'))).toEqual([]);
  });

  it('deletes a study: its rows, its files and the folders the layout made for them', async () => {
    const other = makeImage({ patientId: 'API2' });
    const r = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...(await writeImages(work, [other])),
    ]);
    expect(r.code).toBe(0);
    const activity = (await call('GET', ENDPOINTS.activity.path)).json as unknown as ActivitySnapshot;
    expect(activity.recent[0]).toMatchObject({
      callingAe: 'MODALITY',
      calledAe: archive.aeTitle,
      role: 'acceptor',
      objects: 1,
      failed: 0,
      reason: 'released',
    });
    expect(activity.recent[0]!.bytes).toBeGreaterThan(8192);
    const stored = await archive.server.index.findInstance(other.sopUid);
    const file = archive.server.store.absolutePath(stored!.location);
    await expect(readFile(file)).resolves.toBeDefined();
    const deleted = await call('DELETE', pathOf(ENDPOINTS.study, [other.studyUid]));
    expect(deleted.json).toEqual({ studyUid: other.studyUid, objects: 1, filesNotDeleted: 0 });
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    await expect(readFile(path.dirname(file))).rejects.toThrow(/ENOENT/);
    expect((await call('POST', ENDPOINTS.studies.path, { level: 'STUDY', keys: { PatientID: 'API2' } })).json).toEqual(
      [],
    );
    expect((await call('DELETE', pathOf(ENDPOINTS.study, [other.studyUid]))).status).toBe(404);
    // The other study stays.
    expect(
      (await call('POST', ENDPOINTS.studies.path, { level: 'STUDY', keys: { PatientID: 'API1' } })).json,
    ).toHaveLength(1);
  });
});
