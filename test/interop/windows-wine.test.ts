import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { filesUnder } from '../helpers/cli-server.ts';
import { wineNode, wineSpawn, windowsPath } from '../helpers/wine.ts';

/**
 * The Windows lane: the core run by the Windows build of Node under Wine, on a data folder, driven from Linux by DCMTK.
 * It stores, finds and serves C-GET; replaces a duplicate while another Windows program holds the file open
 * exclusively (as a virus scanner does), waiting for it instead of failing, and deletes a study meanwhile (Wine, unlike
 * Windows, lets the deletion through and removes the file at the holder's close: the queue of files that could not be
 * deleted is tested on Linux, held-deletion.test.ts); stops on Ctrl+C (Wine delivers
 * SIGINT as the console's control event) and on `cli.ts stop` (what a service manager runs), and starts again with
 * nothing lost; after a hard kill it repairs what a power cut can leave (a row without its file, an object whose move
 * out of the incoming folder was lost). Wine is not Windows: see docs/platforms.md for what only a real Windows machine shows.
 */
// A step may start Node for Windows under Wine twice (a `stop`, then the core again): each a cold start of seconds,
// tens of seconds on a loaded 2-core machine; a hang still fails, after three minutes instead of one.
describe('the core on Windows (Node for Windows under Wine)', { timeout: 180_000 }, () => {
  let data: string;
  let work: string;
  let holder: string;
  const study = uid();
  let files: string[] = [];
  let core: ReturnType<typeof wineSpawn>;
  let dicomPort = 0;
  let api = { url: '', token: '' };

  const serve = async () => {
    core = wineSpawn([
      'main/cli.ts',
      'serve',
      '--data',
      windowsPath(data),
      '--port',
      '0',
      '--api-port',
      '0',
      '--listen',
      '127.0.0.1',
    ]);
    dicomPort = Number((await core.waitFor(/LISTENING \S+ (\d+)/))[1]);
    const m = await core.waitFor(/^API (http:\/\/[^/]+)\/ \(the local administrator's secret is in /m);
    api = { url: m[1]!, token: (await readFile(path.join(data, 'api-secret'), 'utf8')).trim() };
  };
  /** A Windows program holding `file` open with no sharing (UV_FS_O_EXLOCK) for `ms`. */
  const hold = async (file: string, ms: number) => {
    const p = wineSpawn([windowsPath(holder), windowsPath(file), String(ms)]);
    await p.waitFor(/HOLDING/);
    return p;
  };

  beforeAll(async () => {
    data = await mkdtemp(path.join(tmpdir(), 'pacs-wine-'));
    work = await mkdtemp(path.join(tmpdir(), 'pacs-wine-sent-'));
    holder = path.join(work, 'hold.cjs');
    await writeFile(
      holder,
      [
        "const fs = require('fs');",
        'const fd = fs.openSync(process.argv[2], fs.constants.O_RDONLY | fs.constants.UV_FS_O_EXLOCK);',
        "console.log('HOLDING');",
        "setTimeout(() => { fs.closeSync(fd); console.log('RELEASED ' + Date.now()); }, Number(process.argv[3]));",
      ].join('\n'),
    );
    files = await writeImages(
      path.join(work, 'sent'),
      [1, 2, 3].map((i) => makeImage({ patientId: 'CON', studyUid: study, instanceNumber: i })),
    );
    await serve();
  }, 240_000); // the first run on a machine makes Wine's prefix, which takes a while
  afterAll(async () => {
    if (core && core.child.exitCode === null) core.child.kill('SIGKILL');
    await rm(data, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('stores, finds and serves C-GET, under a folder name Windows tools can open', async () => {
    const stored = await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(dicomPort), ...files]);
    expect(stored.code, stored.stderr).toBe(0);
    const found = await run('findscu', [
      '-S',
      '-aec',
      'PACSWS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '-k',
      'NumberOfStudyRelatedInstances',
      '127.0.0.1',
      String(dicomPort),
    ]);
    expect(found.stdout + found.stderr).toMatch(/\(0020,1208\) IS \[3 \]/);
    const out = path.join(work, 'got');
    await run('mkdir', ['-p', out]);
    const got = await run('getscu', [
      '-S',
      '-aec',
      'PACSWS',
      '-od',
      out,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(dicomPort),
    ]);
    expect(got.code, got.stderr).toBe(0);
    expect(await readdir(out)).toHaveLength(3);
    // Patient ID "CON" is a device name on Windows: its folder is "_CON".
    expect(await readdir(path.join(data, 'storage'))).toContain('_CON');
    // The Windows way to acknowledge at once found each socket among the process's handles; Wine refuses the option
    // itself (WSAEOPNOTSUPP, 10045), which the log says once, for three associations, and everything works as before.
    const refused = core
      .output()
      .match(
        /TCP acknowledgements cannot be sent at once here \(acknowledgement frequency 1 \(SIO_TCP_SET_ACK_FREQUENCY\): WSAIoctl failed \(error 10045\)\)/g,
      );
    expect(refused).toHaveLength(1);
  });

  it("serves the UI only by its files' exact names, as the page with its policy", async () => {
    const page = await fetch(`${api.url}/index.html`);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    await page.text();
    expect((await fetch(`${api.url}/INDEX.HTML`)).status).toBe(404);
  });

  it('replaces a duplicate while another program holds the stored file, once it lets go', async () => {
    const [stored] = (await filesUnder(path.join(data, 'storage'))).filter((f) => f.endsWith('.dcm')).sort();
    const p = await hold(stored!, 2500);
    const again = await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(dicomPort), ...files]);
    const done = Date.now();
    expect(again.code, again.stderr).toBe(0);
    await p.exited;
    const released = Number(/RELEASED (\d+)/.exec(p.output())?.[1]);
    // The store could only complete after the holder let go: it waited rather than failing.
    expect(done).toBeGreaterThanOrEqual(released);
    expect(core.output()).not.toMatch(/0xa700|OutOfResources/i);
  });

  it('deletes a study while a file is held (gone once the holder lets go), and stops on `stop` as a service manager asks', async () => {
    const stored = (await filesUnder(path.join(data, 'storage'))).filter((f) => f.endsWith('.dcm')).sort();
    const p = await hold(stored[1]!, 3000);
    const res = await fetch(`${api.url}/api/studies/${study}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${api.token}` },
    });
    expect(await res.json()).toMatchObject({ objects: 3 });
    await p.exited;
    await expect
      .poll(async () => (await filesUnder(path.join(data, 'storage'))).filter((f) => f.endsWith('.dcm')))
      .toEqual([]);
    const stopped = await wineNode(['main/cli.ts', 'stop', '--data', windowsPath(data)]);
    expect(stopped.out).toContain('stop: the archive has stopped');
    expect(await core.exited).toBe(0);
    expect(core.output()).toMatch(/stop asked through the API: stopping/);
    await serve();
  });

  it('stops cleanly on Ctrl+C, and starts again with what it stored', async () => {
    const more = await writeImages(path.join(work, 'more'), [makeImage({ patientId: 'WIN2', studyUid: study })]);
    expect((await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(dicomPort), ...more])).code).toBe(0);
    core.child.kill('SIGINT');
    expect(await core.exited).toBe(0);
    expect(core.output()).toMatch(/SIGINT: stopping/);
    await expect(readFile(path.join(data, 'server.json'))).rejects.toThrow();
    await serve();
    const found = await run('findscu', [
      '-S',
      '-aec',
      'PACSWS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'PatientID=WIN2',
      '-k',
      'NumberOfStudyRelatedInstances',
      '127.0.0.1',
      String(dicomPort),
    ]);
    expect(found.stdout + found.stderr).toMatch(/\(0020,1208\) IS \[1 \]/);
    core.child.kill('SIGINT');
    expect(await core.exited).toBe(0);
  });

  it('after a hard kill, removes at start the row of an object whose file did not survive', async () => {
    await serve();
    const lost = await writeImages(path.join(work, 'lost'), [makeImage({ patientId: 'WIN3', studyUid: uid() })]);
    expect((await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(dicomPort), ...lost])).code).toBe(0);
    core.child.kill('SIGKILL');
    await core.exited;
    // What a power cut before the file reached the disk leaves: the row, without its file.
    await rm(path.join(data, 'storage', 'WIN3'), { recursive: true });
    await serve();
    expect(core.output()).toMatch(/object [0-9.]+: no file at WIN3\/.*its row is removed/);
    const found = await run('findscu', [
      '-v',
      '-P',
      '-aec',
      'PACSWS',
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      'PatientID=WIN3',
      '-k',
      'PatientName',
      '127.0.0.1',
      String(dicomPort),
    ]);
    expect(found.stdout + found.stderr).toMatch(/Received Final Find Response \(Success\)/);
    expect(found.stdout + found.stderr).not.toMatch(/Find Response: \d+ \(Pending\)/);
    core.child.kill('SIGINT');
    expect(await core.exited).toBe(0);
  });

  it('after a hard kill, puts in place an object whose move from the incoming folder was lost', async () => {
    await serve();
    const moved = await writeImages(path.join(work, 'moved'), [makeImage({ patientId: 'WIN4', studyUid: uid() })]);
    expect((await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(dicomPort), ...moved])).code).toBe(0);
    core.child.kill('SIGKILL');
    await core.exited;
    // What a power cut can leave with DurableWrites: the object complete under its temporary name, its rename lost.
    const [stored] = (await filesUnder(path.join(data, 'storage', 'WIN4'))).filter((f) => f.endsWith('.dcm'));
    const bytes = await readFile(stored!);
    await rm(path.join(data, 'storage', 'WIN4'), { recursive: true });
    await writeFile(path.join(data, 'storage', '.incoming', '77-lost.part'), bytes);
    await serve();
    expect(core.output()).toMatch(
      /object [0-9.]+: found complete in the incoming folder after the last stop .*put in place/,
    );
    expect((await readFile(stored!)).equals(bytes)).toBe(true);
    expect(await readdir(path.join(data, 'storage', '.incoming'))).toEqual([]);
    core.child.kill('SIGINT');
    expect(await core.exited).toBe(0);
  });
});
