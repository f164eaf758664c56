import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveCli, setIniKey } from '../helpers/cli-server.ts';
import { seedConfig } from '../../main/config/load.ts';
import { makeImage } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until } from '../helpers/wait.ts';
import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';

/**
 * The log in DATA/logs (issue 33.5) of the headless archive: a source's own level changed in dicom.ini applies to the
 * next line without a restart (LogSourceLevels), and the files are listed and downloaded through the API by who may
 * configure; no other file is reachable that way.
 */
describe('the log files of a running archive', () => {
  let work: string;
  let data: string;
  let server: ReturnType<typeof serveCli>;
  let api: { origin: string; token: string };
  let archive: { aeTitle: string; port: number };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-logfiles-'));
    data = path.join(work, 'data');
    await seedConfig(path.join(data, 'config'));
    await setIniKey(data, 'MyACRNema', 'LOGGED');
    server = serveCli(data);
    const started = await server.started;
    api = started;
    archive = { aeTitle: 'LOGGED', port: started.port };
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await rm(work, { recursive: true, force: true });
  });

  const logText = () => readFile(path.join(data, 'logs', 'pacs.log'), 'utf8').catch(() => '');
  const get = (url: string, token = api.token) =>
    fetch(`${api.origin}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("writes a source's debug lines once LogSourceLevels says so, without a restart", async () => {
    const before = makeImage({ rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [before], work)).code).toBe(0);
    await until('the log file has the association', async () => (await logText()).includes('CT01'));
    // Saved as the Settings screen saves dicom.ini: the whole text, with the new line.
    const { text } = (await (await get(pathOf(ENDPOINTS.settings))).json()) as { text: string };
    const saved = await fetch(`${api.origin}${pathOf(ENDPOINTS.saveSettings)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        text: text.replace(/\[sscscp\]\r?\n/i, (m) => `${m}LogSourceLevels = store-scp=debug\n`),
      }),
    });
    expect(saved.status, await saved.clone().text()).toBe(200);
    const after = makeImage({ rows: 8, columns: 8 });
    expect((await storeAs(archive, 'CT01', [after], work)).code).toBe(0);
    const debugLine = new RegExp(`DEBUG \\[store-scp\\] .*C-STORE ${after.sopUid.replace(/\./g, '\\.')} .*Success`);
    await until('the debug line of the second object is in the file', async () => debugLine.test(await logText()));
    expect(await logText()).not.toContain(`C-STORE ${before.sopUid}`);
  });

  it('lists the files and gives one for download; no other file is reachable that way', async () => {
    const list = (await (await get(pathOf(ENDPOINTS.logFiles))).json()) as { name: string; size: number }[];
    expect(list[0]).toMatchObject({ name: 'pacs.log' });
    const file = await get(pathOf(ENDPOINTS.logFile, [], { name: 'pacs.log' }));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="pacs.log"');
    expect(await file.text()).toContain('[store-scp]');
    for (const name of ['../config/dicom.ini', 'api-secret', 'pacs.99.log'])
      expect((await get(pathOf(ENDPOINTS.logFile, [], { name }))).status).toBe(404);
    expect((await get(pathOf(ENDPOINTS.logFiles), '')).status).toBe(401);
  });
});
