import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { API_ROUTES, type SettingsDto } from '../../main/api/contract.ts';

/** Saving dicom.ini from the settings screen: what applies at once, what waits for a listener restart, and the restart. */
describe('settings applied live and listener restart', () => {
  let archive: TestArchive;
  let base = '';

  beforeAll(async () => {
    archive = await startArchive({ MaxJobsPerNode: '2' });
    base = `http://127.0.0.1:${archive.server.api!.port}`;
  });
  afterAll(async () => { await archive?.stop(); });

  const call = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(base + route, {
      method, headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };
  const echo = (ae: string, port: number) => run('echoscu', ['-aet', 'ECHOER', '-aec', ae, '127.0.0.1', String(port)], 20_000);

  it('applies job limits at once, and the AE title only when the listener restarts', async () => {
    const shown = (await call('GET', API_ROUTES.settings)).json as unknown as SettingsDto;
    expect(shown.keys.find((k) => k.key === 'MyACRNema')?.effect).toBe('listener');
    expect(shown.keys.find((k) => k.key === 'APIPort')?.effect).toBe('restart');
    const text = shown.text.replace(/^MaxJobsPerNode\s*=.*$/m, 'MaxJobsPerNode = 5').replace(/^MyACRNema\s*=.*$/m, 'MyACRNema = RENAMED');
    const saved = await call('PUT', API_ROUTES.settings, { text });
    expect(saved.status).toBe(200);
    expect(saved.json.changed).toEqual(expect.arrayContaining([{ key: 'MaxJobsPerNode', effect: 'live' }, { key: 'MyACRNema', effect: 'listener' }]));
    expect(archive.server.config.settings.maxJobsPerNode).toBe(5);
    // Until the restart, the listener still answers to its old name.
    expect(archive.server.config.settings.aeTitle).toBe('TESTPACS');
    expect((await echo('TESTPACS', archive.port)).code).toBe(0);
    expect((await echo('RENAMED', archive.port)).code).not.toBe(0);

    const restarted = await call('POST', API_ROUTES.restartListener);
    expect(restarted.status).toBe(200);
    const port = Number(restarted.json.dicomPort);
    expect(restarted.json.aeTitle).toBe('RENAMED');
    expect((await echo('RENAMED', port)).code).toBe(0);
    expect((await echo('TESTPACS', port)).code).not.toBe(0);
    expect((await call('GET', API_ROUTES.status)).json).toMatchObject({ aeTitle: 'RENAMED', dicomPort: port });
  });
});
