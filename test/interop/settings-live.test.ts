import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import type { SettingsDto } from '../../main/api/contract.ts';

/** Saving dicom.ini from the settings screen: what applies at once, what waits for a listener restart, and the restart. */
describe('settings applied live and listener restart', () => {
  let archive: TestArchive;

  beforeAll(async () => {
    archive = await startArchive({ MaxJobsPerNode: '2' });
  });
  afterAll(async () => {
    await archive?.stop();
  });

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown) => {
    const res = await apiFetch(archive, method, route, body);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const echo = (ae: string, port: number) =>
    run('echoscu', ['-aet', 'ECHOER', '-aec', ae, '127.0.0.1', String(port)], 20_000);

  it('applies a new duplicate policy to the next object stored', async () => {
    const text = ((await call('GET', ENDPOINTS.settings.path)).json as unknown as SettingsDto).text;
    const saved = await call('PUT', ENDPOINTS.settings.path, {
      text: text.replace(/^DuplicatePolicy\s*=.*$/m, 'DuplicatePolicy = reject'),
    });
    expect(saved.json.changed).toEqual([{ key: 'DuplicatePolicy', effect: 'live' }]);
    const work = await mkdtemp(path.join(tmpdir(), 'pacs-live-'));
    try {
      const img = makeImage({ patientId: 'LIVE1' });
      const files = await writeImages(work, [img]);
      const store = () =>
        run('storescu', ['-v', '-aet', 'MOD1', '-aec', 'TESTPACS', '127.0.0.1', String(archive.port), ...files]);
      expect((await store()).code).toBe(0);
      const again = await store();
      expect(again.stdout + again.stderr).toMatch(/Received Store Response \(.*0x111\)/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('applies a forwarding rule at once, and keeps its node from being deleted while the rule names it', async () => {
    expect((await call('POST', ENDPOINTS.nodes.path, { ae: 'ARCHIVE2', host: '127.0.0.1', port: 1104 })).status).toBe(
      200,
    );
    const text = ((await call('GET', ENDPOINTS.settings.path)).json as unknown as SettingsDto).text;
    const withRule = `${text.trimEnd()}\nExportConverters = 1\nExportConverter0 = forward to ARCHIVE2\n`;
    const saved = await call('PUT', ENDPOINTS.settings.path, { text: withRule });
    expect(saved.json.changed).toEqual(
      expect.arrayContaining([
        { key: 'ExportConverters', effect: 'live' },
        { key: 'ExportConverter0', effect: 'live' },
      ]),
    );
    expect(archive.server.config.forwardRules.map((r) => r.destination)).toEqual(['ARCHIVE2']);
    const refused = await call('DELETE', pathOf(ENDPOINTS.node, ['archive2']));
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatch(
      /^ExportConverter0 \(dicom\.ini line \d+\) forwards to ARCHIVE2: change or remove that rule first$/,
    );
    expect((await call('PUT', ENDPOINTS.settings.path, { text })).status).toBe(200);
    expect(archive.server.config.forwardRules).toEqual([]);
    expect((await call('DELETE', pathOf(ENDPOINTS.node, ['ARCHIVE2']))).status).toBe(200);
  });

  it('applies job limits at once, and the AE title only when the listener restarts', async () => {
    const shown = (await call('GET', ENDPOINTS.settings.path)).json as unknown as SettingsDto;
    expect(shown.keys.find((k) => k.key === 'MyACRNema')?.effect).toBe('listener');
    expect(shown.keys.find((k) => k.key === 'APIPort')?.effect).toBe('restart');
    const text = shown.text
      .replace(/^MaxJobsPerNode\s*=.*$/m, 'MaxJobsPerNode = 5')
      .replace(/^MyACRNema\s*=.*$/m, 'MyACRNema = RENAMED');
    const saved = await call('PUT', ENDPOINTS.settings.path, { text });
    expect(saved.status).toBe(200);
    expect(saved.json.changed).toEqual(
      expect.arrayContaining([
        { key: 'MaxJobsPerNode', effect: 'live' },
        { key: 'MyACRNema', effect: 'listener' },
      ]),
    );
    expect(archive.server.config.settings.maxJobsPerNode).toBe(5);
    // Until the restart, the listener still answers to its old name.
    expect(archive.server.config.settings.aeTitle).toBe('TESTPACS');
    expect((await echo('TESTPACS', archive.port)).code).toBe(0);
    expect((await echo('RENAMED', archive.port)).code).not.toBe(0);

    // An address that is not this computer's: the restart fails, and the listener stays as it was.
    const settingsNow = ((await call('GET', ENDPOINTS.settings.path)).json as unknown as SettingsDto).text;
    expect(
      (
        await call('PUT', ENDPOINTS.settings.path, {
          text: settingsNow.replace(/^ListenAddress\s*=.*$/m, 'ListenAddress = 192.0.2.1'),
        })
      ).status,
    ).toBe(200);
    const refused = await call('POST', ENDPOINTS.restartListener.path);
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatch(/cannot listen on 192\.0\.2\.1:.*; still listening as TESTPACS on port \d+$/);
    const stillPort = Number(/port (\d+)$/.exec(String(refused.json.error))![1]);
    expect((await echo('TESTPACS', stillPort)).code).toBe(0);
    expect((await call('PUT', ENDPOINTS.settings.path, { text: settingsNow })).status).toBe(200);

    const restarted = await call('POST', ENDPOINTS.restartListener.path);
    expect(restarted.status).toBe(200);
    const port = Number(restarted.json.dicomPort);
    expect(restarted.json.aeTitle).toBe('RENAMED');
    expect((await echo('RENAMED', port)).code).toBe(0);
    expect((await echo('TESTPACS', port)).code).not.toBe(0);
    expect((await call('GET', ENDPOINTS.status.path)).json).toMatchObject({ aeTitle: 'RENAMED', dicomPort: port });
  });
});
